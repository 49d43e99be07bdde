// vite.config.js — builds web/ into web/dist (static files pinggu serve hands out).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  base: './',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: { input: { entry: 'entry.html' } },
  },
});
