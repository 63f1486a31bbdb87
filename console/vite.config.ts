import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The console, served by numplane at /. Hashed file names under assets/ let numplane cache them for a year.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: { include: ["src/**/*.test.ts"] },
});
