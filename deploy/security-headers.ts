/**
 * The HTTP headers a static host of the built app should send, in one place: `vite preview`
 * sends them, the build writes them to `dist/_headers` for hosts that read that file (Netlify,
 * Cloudflare Pages; both in vite.config.ts), and docs/deployment.md explains each one and shows
 * an nginx configuration (a unit test keeps the document in step).
 */

/**
 * Only the app's own origin: its scripts, workers, MNIST files, checkpoints and every request
 * come from 'self'; blob: only for workers and downloads the app makes itself. No 'unsafe-eval'
 * (tfjs, its WebGPU backend and mediabunny need none) and no inline scripts or <style> elements
 * (React sets style properties through the CSSOM, which the policy does not govern);
 * 'wasm-unsafe-eval' only because long.js inside tfjs compiles a tiny WebAssembly module for
 * 64-bit multiplication (it falls back to JavaScript, but logs a violation in every run worker).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Sent with every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // As a header it may also forbid framing (a meta tag cannot): no clickjacking of the controls.
  'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  // Browsers take every Content-Type as given: a checkpoint or .npy file is never run as a script.
  'X-Content-Type-Options': 'nosniff',
  // Shared links carry the experiment in the hash, which browsers never send; the page itself
  // links nowhere, so no referrer is needed at all.
  'Referrer-Policy': 'no-referrer',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
  // A window the app opens (none today) or that opens it cannot reach into it.
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Other sites cannot embed the app's files (its checkpoints, MNIST digits, scripts).
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Powerful features the app never uses stay off, whatever a script might try. The camera is
  // the page's own (webcam clips in the Data view), never an embedded frame's.
  'Permissions-Policy':
    'camera=(self), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=(), payment=()',
};

/**
 * The app's data files have names hosts do not know (checkpoints end in `.safetensors`, the
 * MNIST IDX files in `-ubyte`), and with nosniff a file needs its type: everything under these
 * folders is sent as raw bytes. (Folders rather than extensions, because that is the pattern
 * every host's header rules understand.)
 */
export const DATA_FOLDERS: readonly string[] = ['/checkpoints/', '/data/mnist/'];
export const DATA_CONTENT_TYPE = 'application/octet-stream';

/** DATA_CONTENT_TYPE for a URL path inside DATA_FOLDERS, null for every other path. */
export function dataContentType(path: string): string | null {
  const file = path.split(/[?#]/)[0];
  return DATA_FOLDERS.some((folder) => file.startsWith(folder)) ? DATA_CONTENT_TYPE : null;
}

/** `dist/_headers`: the same headers in the format Netlify and Cloudflare Pages read. */
export function headersFile(): string {
  const lines = ['# Generated from deploy/security-headers.ts (see docs/deployment.md).', '/*'];
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) lines.push(`  ${name}: ${value}`);
  for (const folder of DATA_FOLDERS)
    lines.push(`${folder}*`, `  Content-Type: ${DATA_CONTENT_TYPE}`);
  return `${lines.join('\n')}\n`;
}
