import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import {
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  dataContentType,
  headersFile,
} from './deploy/security-headers.ts';

/**
 * Built pages carry the Content-Security-Policy (deploy/security-headers.ts) in a meta tag, so it
 * holds on any host. The dev server goes without it (Vite's hot reload injects inline scripts).
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/**
 * The headers a static host should send (docs/deployment.md): `vite preview` (what the browser
 * tests and the benchmark serve) sends them with every response, with the data files' content
 * type; and the build writes them to `dist/_headers`, the file Netlify and Cloudflare Pages read.
 */
function securityHeaders(): Plugin {
  return {
    name: 'security-headers',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile() });
    },
    configurePreviewServer(server) {
      server.middlewares.use((request, response, next) => {
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          response.setHeader(name, value);
        }
        const type = dataContentType(request.url ?? '');
        if (type) response.setHeader('Content-Type', type);
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy(), securityHeaders()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  server: { host: '127.0.0.1', port: 5173 },
  // The main page never imports tfjs or mediabunny, only the workers do: scan them at start-up,
  // or the dev server discovers those dependencies on the first run and reloads the page.
  optimizeDeps: { entries: ['index.html', 'bench.html', 'workers/*.ts'] },
  preview: { host: '127.0.0.1', port: 4173 },
});
