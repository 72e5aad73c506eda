/** Build of the renderer for the browser shell (served by the web host). */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: resolve(import.meta.dirname, 'src-renderer'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    target: 'es2022',
    // One bundle (~150 kB gzipped) served from the local disk or loopback: no split needed.
    chunkSizeWarningLimit: 800,
  },
});
