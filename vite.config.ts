/**
 * The studio renderer's build: `vite build` turns renderer/ into renderer/dist, which the Electron
 * app serves from driftline://app/ and `driftline serve` serves in browser mode. Relative asset
 * paths (`base: './'`) work under both.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./renderer/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The page must run under a CSP without 'unsafe-inline' scripts: no inlined module preload.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
  },
  server: { port: 5173, strictPort: false },
});
