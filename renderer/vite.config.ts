import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `base: './'` makes the same bundle load from Electron's app:// scheme, from the headless
// server and from a test route, whatever the origin.
export const config = defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2023',
  },
});

// Vite loads its config through the default export.
export default config;
