/** Build of the effector's phone page (served by the central server under /effecteur/). */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: resolve(import.meta.dirname, 'src-effector-page'),
  base: '/effecteur/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/effector-page'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
});
