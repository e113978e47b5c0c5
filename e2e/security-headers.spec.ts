/**
 * The headers `vite preview` sends are the ones a static host should send
 * (deploy/security-headers.ts, docs/deployment.md): on pages, scripts, data files and 404s, with
 * checkpoints and MNIST files typed; the build's `_headers` file carries the same; and the app
 * runs under the Content-Security-Policy (no inline styles either) without a single violation
 * while a run trains and every view is shown.
 */
import { DATA_CONTENT_TYPE, SECURITY_HEADERS, headersFile } from '../deploy/security-headers';
import { expect, test } from './fixtures';

test('every response carries the security headers; data files are typed', async ({ request }) => {
  const page = await request.get('/');
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
  expect(script).toBeTruthy();
  const responses = {
    page,
    script: await request.get(script as string),
    checkpoint: await request.get('/checkpoints/lstm-composite-tiny.safetensors'),
    mnist: await request.get('/data/mnist/t10k-labels-idx1-ubyte'),
    missing: await request.get('/no-such-file.safetensors'),
  };
  for (const [what, response] of Object.entries(responses)) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(response.headers()[name.toLowerCase()], `${name} of ${what}`).toBe(value);
    }
  }
  expect(responses.page.headers()['content-type']).toMatch(/^text\/html/);
  expect(responses.script.headers()['content-type']).toMatch(/^text\/javascript/);
  expect(responses.checkpoint.status()).toBe(200);
  expect(responses.checkpoint.headers()['content-type']).toBe(DATA_CONTENT_TYPE);
  expect(responses.mnist.headers()['content-type']).toBe(DATA_CONTENT_TYPE);
  // Netlify and Cloudflare Pages read the same headers from the build's _headers file.
  expect(await (await request.get('/_headers')).text()).toBe(headersFile());
});

test('the app trains and shows every view under the policy without a violation', async ({
  playground,
  page,
}) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { violations: string[] }).violations = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.effectiveDirective}: ${event.blockedURI}`),
    );
  });
  await playground.open();
  const id = await playground.createRun({ model: 'lstm', preset: 'tiny', backend: 'cpu' });
  await playground.step(id, 2);
  await playground.waitForStep(id, 2, 120_000);
  await playground.call('evaluate', id);
  await expect(page.locator('svg').first()).toBeVisible();
  for (const view of ['compare', 'present', 'data', 'run'] as const) {
    await page.evaluate((name) => window.playground.setView(name), view);
    // Two animation frames: the view has rendered its charts and frames.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
  }
  const inPage = await page.evaluate(
    () => (window as unknown as { violations: string[] }).violations,
  );
  expect(inPage).toEqual([]);
  expect(violations).toEqual([]);
});
