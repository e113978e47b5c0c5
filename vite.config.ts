import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The app talks to nothing but its own origin: scripts, workers, MNIST files and every request
 * come from 'self'; blob: only for workers and downloads the app makes itself. No 'unsafe-eval'
 * (tfjs, its WebGPU backend and mediabunny need none); 'wasm-unsafe-eval' only because long.js
 * inside tfjs compiles a tiny WebAssembly module for 64-bit multiplication (it falls back to
 * JavaScript, but logs a violation in every run worker). The dev server goes without it (Vite's
 * hot reload injects inline scripts); built pages carry it in a meta tag, and `vite preview`
 * (what the browser tests and the benchmark serve) also sends it as a header.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'", // React's style attributes
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

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

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
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
  preview: {
    host: '127.0.0.1',
    port: 4173,
    headers: {
      'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    },
  },
});
