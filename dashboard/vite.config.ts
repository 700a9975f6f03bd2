import { defineConfig } from "vite";

// The dashboard's single-page app. No framework plugin: Vite's own transformer compiles JSX
// for Preact's automatic runtime, which is all the app needs for a production build.
export default defineConfig({
  root: import.meta.dirname,
  publicDir: "public",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No source maps in what Pages serves; the app is small enough to read as built.
    sourcemap: false,
  },
  server: {
    // `npx vite dashboard` for live reloading; the API comes from `npm start`'s dashboard.
    proxy: { "/api": "http://127.0.0.1:8788", "/auth": "http://127.0.0.1:8788" },
  },
});
