import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// GraphiQL bundled from npm, served by numplane under /graphiql/ in debug mode (works offline).
export default defineConfig({
  plugins: [react()],
  root: "ide",
  base: "/graphiql/",
  build: { outDir: "../ide-dist", emptyOutDir: true, chunkSizeWarningLimit: 4000 },
});
