import { defineConfig } from 'vite';

// Plain Vite with Preact's automatic JSX runtime (no plugin needed).
// The build is CSP-friendly: no inline scripts or styles, no eval, every
// asset bundled into dist/ (the server will send a strict CSP).
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0, // no data: URLs for assets
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    // `npm run dev`: the WebSocket goes to the dev bridge (npm run bridge).
    proxy: { '/ws': { target: 'ws://127.0.0.1:8088', ws: true } },
  },
});
