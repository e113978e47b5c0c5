/**
 * Every model in the catalog trains on an imported clip through `window.playground`, on WebGPU,
 * under the app's Content-Security-Policy; a Moving MNIST set is generated and exported in the
 * data worker; and no request of the page or its workers leaves the app's origin (a request to
 * another origin is refused by the CSP).
 */
import type { Request } from '@playwright/test';
import { MODELS } from '../src/core/models/registry';
import { parseNpyHeader } from '../src/core/data/npy';
import { exportNpy, importFixture, isSummary } from './data-helpers';
import { expect, test } from './fixtures';

const STEPS = 2;

test('an imported clip trains every model’s tiny preset on WebGPU under the CSP; nothing leaves the origin', async ({
  playground,
  page,
  context,
  baseURL,
}) => {
  const requests: string[] = [];
  const record = (request: Request) => requests.push(request.url());
  context.on('request', record);
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await playground.open();

  // 720p H.264 (testsrc2) → 64×64 RGB; each run resizes it to its model's size and colour.
  const clip = await importFixture(page, 'bench-720p.mp4', { width: 64, height: 64 });
  if (!isSummary(clip)) throw new Error(clip.error);
  expect(clip).toMatchObject({ frames: 60, fps: 30, width: 64, height: 64 });

  for (const entry of MODELS) {
    await test.step(`${entry.kind} tiny`, async () => {
      const id = await playground.createRun({
        model: entry.kind,
        preset: 'tiny',
        backend: 'webgpu',
        data: { source: 'video', datasetId: clip.datasetId, seed: 1 },
      });
      expect((await playground.getRun(id)).backend).toBe('webgpu');
      await playground.step(id, STEPS);
      const run = await playground.waitForStep(id, STEPS, 150_000);
      expect(run.error).toBeNull();
      const series = Object.values(run.metrics);
      expect(series.length).toBeGreaterThan(0);
      for (const points of series) {
        expect(points.length).toBeGreaterThanOrEqual(STEPS);
        expect(points.every(([, value]) => Number.isFinite(value))).toBe(true);
      }
      await playground.call('dispose', id);
    });
  }

  // A Moving MNIST set generated in the data worker (which fetches MNIST from the origin).
  const mnist = await exportNpy(page, { source: 'moving-mnist', count: 3, seed: 5 });
  expect(parseNpyHeader(mnist, 'export').shape).toEqual([20, 3, 64, 64]);

  const origin = new URL(baseURL ?? page.url()).origin;
  expect(requests.some((url) => url.includes('/data/mnist/'))).toBe(true); // worker requests seen
  const outside = requests.filter((url) => !url.startsWith(origin) && !/^(blob|data):/.test(url));
  expect(outside).toEqual([]);
  expect(violations).toEqual([]);

  // The policy is really there: a request to another origin is refused before it is sent.
  context.off('request', record);
  const blocked = await page.evaluate(async () => {
    const violation = new Promise<string>((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), {
        once: true,
      });
      setTimeout(() => resolve('no violation reported'), 5_000);
    });
    const fetched = await fetch('https://example.com/').then(
      () => 'sent',
      () => 'refused',
    );
    return { fetched, directive: await violation };
  });
  expect(blocked).toEqual({ fetched: 'refused', directive: 'connect-src' });
});
