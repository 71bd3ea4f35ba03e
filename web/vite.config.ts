import react from '@vitejs/plugin-react-swc';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The dashboard: built by `npm run build` into dist/web, served by the app at /dashboard (src/dashboard/dashboard.ts). */
export default defineConfig({
  root: here,
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The dashboard's CSP has no 'unsafe-inline' for scripts: nothing may be inlined into index.html.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/v1': 'http://localhost:3000', '/admin': 'http://localhost:3000', '/auth': 'http://localhost:3000' } },
});
