/**
 * The headers a static host should send (deploy/security-headers.ts): the deployment guide lists
 * every one with its value, the `_headers` file for Netlify and Cloudflare Pages carries them all,
 * and the data folders get their content type. (The browser tests check what `vite preview`
 * sends and that the app runs under the policy.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  DATA_CONTENT_TYPE,
  DATA_FOLDERS,
  SECURITY_HEADERS,
  dataContentType,
  headersFile,
} from '../deploy/security-headers';

const guide = readFileSync('docs/deployment.md', 'utf8');

describe('security headers', () => {
  it('are the ones the issue asks for, the policy forbidding framing and sniffing', () => {
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(
      `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    );
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
  });

  it('are all in the deployment guide, with their values, in the nginx example too', () => {
    const nginx = guide.slice(guide.indexOf('```nginx'));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(guide).toContain(`\`${name}\``);
      expect(nginx).toContain(`add_header ${name} "${value}" always;`);
    }
    expect(guide).toContain(CONTENT_SECURITY_POLICY);
    for (const folder of DATA_FOLDERS) {
      expect(nginx).toContain(
        `location ${folder} { types { } default_type ${DATA_CONTENT_TYPE}; }`,
      );
    }
  });

  it('are all in the _headers file the build writes', () => {
    const lines = headersFile().split('\n');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(lines).toContain(`  ${name}: ${value}`);
    }
    for (const folder of DATA_FOLDERS) {
      expect(lines.slice(lines.indexOf(`${folder}*`))[1]).toBe(
        `  Content-Type: ${DATA_CONTENT_TYPE}`,
      );
    }
  });

  it('give checkpoints and MNIST files a content type, and nothing else', () => {
    expect(dataContentType('/checkpoints/lstm-composite-tiny.safetensors')).toBe(DATA_CONTENT_TYPE);
    expect(dataContentType('/data/mnist/t10k-images-idx3-ubyte?x=1')).toBe(DATA_CONTENT_TYPE);
    expect(dataContentType('/assets/index.js')).toBeNull();
    expect(dataContentType('/')).toBeNull();
  });
});
