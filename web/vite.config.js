// vite.config.js — builds web/ into web/dist (static files pinggu serve hands out, pages.c):
// index.html, the pages of every role (src/pages/), and entry.html, the browser questionnaire.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  base: './',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: { index: 'index.html', entry: 'entry.html' } },
  },
});
