import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The console, served by numplane at /. Hashed file names under assets/ let numplane cache them for a year.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  // `npx vite` for hot reload beside `make serve`: the API stays same-origin through the proxy.
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } } },
  test: { include: ["src/**/*.test.ts"] },
});
