/**
 * The video language model end to end on WebGPU (SwiftShader here): `createRun` builds the patch
 * dictionary with a visible, advancing progress bar and a Cancel button, the tiny rCNN trains in
 * its worker with a falling loss, extrapolation and filling are drawn beside their baselines,
 * the dictionary card shows its atlas and PSNR curve, and cancelling a second run's dictionary
 * ends its creation with error code 'cancelled'.
 */
import type { Locator } from '@playwright/test';
import { expect, headAndTail, test } from './fixtures';

// A software GPU takes ~2 s a tiny step; the loss falls from log 64 ≈ 4.2 by half in a dozen.
const TRAIN_STEPS = 12;

/**
 * Pixels of a canvas that frames were drawn on (opaque; the gaps between frames stay
 * transparent), and how many of them are brighter than a dark gray (ink).
 */
function canvasPixels(canvas: Locator): Promise<{ drawn: number; lit: number; area: number }> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const context = c.getContext('2d');
    const area = c.width * c.height;
    if (!context || area === 0) return { drawn: 0, lit: 0, area };
    const { data } = context.getImageData(0, 0, c.width, c.height);
    let drawn = 0;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255) drawn++;
      if (data[i + 3] === 255 && data[i] > 48) lit++;
    }
    return { drawn, lit, area };
  });
}

test('rCNN tiny: dictionary with progress, falling loss on webgpu, tasks beside baselines, cancel', async ({
  playground,
  page,
}) => {
  await playground.open();
  const creating = playground.createRun({ model: 'rcnn', preset: 'tiny', backend: 'webgpu' });

  // The dictionary is built before training, with a progress bar that advances and can be cancelled.
  const progress = page.getByRole('progressbar', { name: 'Building the patch dictionary' });
  await expect(progress).toBeVisible({ timeout: 60_000 });
  await expect(
    page.getByRole('button', { name: /Cancel: stop building the patch dictionary/ }),
  ).toBeVisible();
  const seen = new Set<number>();
  for (let i = 0; i < 40 && seen.size < 2; i++) {
    const value = await progress.getAttribute('aria-valuenow').catch(() => null);
    if (value !== null && Number(value) > 0) seen.add(Number(value));
    await page.waitForTimeout(150);
  }
  expect(seen.size).toBeGreaterThanOrEqual(2);
  await page.screenshot({ path: 'test-results/rcnn-dictionary.png', fullPage: true });

  const id = await creating;
  const ready = await playground.getRun(id);
  expect(ready.backend).toBe('webgpu');
  expect(ready.status).toBe('ready');

  await playground.call('start', id);
  const trained = await playground.waitForStep(id, TRAIN_STEPS, 90_000);
  await playground.call('pause', id);
  expect(trained.error).toBeNull();
  const loss = trained.metrics.loss;
  expect(loss.length).toBeGreaterThanOrEqual(TRAIN_STEPS);
  expect(loss.every(([, value]) => Number.isFinite(value))).toBe(true);
  const { head, tail } = headAndTail(loss, 3);
  expect(head).toBeGreaterThan(3.5); // ≈ log 64 = 4.16 nats: uniform over the 64 codes
  expect(tail).toBeLessThan(head * 0.8);
  expect(trained.metrics.perplexity.at(-1)?.[1]).toBeCloseTo(Math.exp(loss.at(-1)?.[1] ?? 0), 2);

  // Extrapolation and filling, each beside its baseline: every frame drawn. The true clip and
  // the baselines show digits; after a dozen steps the model's own frames may still be mostly
  // background, so for them the test asks that they were drawn.
  await playground.call('evaluate', id);
  await page.screenshot({ path: 'test-results/rcnn-trained.png', fullPage: true });
  const frames = page.getByTestId('frame-view');
  const rows = [
    { label: 'Ground truth: frames 1 to 6', frames: 6, ink: true },
    { label: 'Extrapolated: frames 3 to 6', frames: 4, ink: false },
    { label: 'Copy last frame: frames 3 to 6', frames: 4, ink: true },
    { label: 'Filled in: frames 2 to 4', frames: 3, ink: false },
    { label: 'Linear interpolation: frames 2 to 4', frames: 3, ink: true },
    { label: 'Uncertainty: frames 3 to 6', frames: 4, ink: false },
  ];
  for (const row of rows) {
    const canvas = frames.getByRole('img', { name: row.label });
    await expect(canvas).toBeVisible();
    const pixels = await canvasPixels(canvas);
    // Each strip spans the clip's 6 frames; a row's frames cover their share of it (less gaps).
    expect(pixels.drawn, row.label).toBeGreaterThan(0.8 * pixels.area * (row.frames / 6));
    if (row.ink) expect(pixels.lit, row.label).toBeGreaterThan(40);
  }

  // The dictionary: its atlas and the PSNR-against-size curve.
  const dictionary = page.getByTestId('frame-view-dictionary');
  await expect(dictionary.getByRole('heading', { name: 'Patch dictionary' })).toBeVisible();
  expect(
    (await canvasPixels(dictionary.getByRole('img', { name: /Centroids/ }))).lit,
  ).toBeGreaterThan(40);
  await expect(dictionary.getByText('Quantization PSNR against dictionary size')).toBeVisible();

  // Held-out scores of both tasks and both baselines.
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  for (const column of [
    'Extrapolation',
    'Copy-last-frame baseline',
    'Filling',
    'Linear-interpolation baseline',
  ]) {
    await expect(evaluation.getByRole('columnheader', { name: column })).toBeVisible();
  }
  const scores = (await playground.getRun(id)).evaluation?.result.scalars ?? {};
  for (const name of [
    'extrapolation/mse',
    'baseline/extrapolation/mse',
    'filling/psnr',
    'baseline/filling/psnr',
  ]) {
    expect(Number.isFinite(scores[name]), name).toBe(true);
  }
  await playground.call('dispose', id);

  // Cancel: a dictionary that would take hours is stopped from the button (on the CPU backend,
  // which starts faster; cancelling does not depend on the backend).
  const second = playground
    .createRun({
      model: 'rcnn',
      preset: 'tiny',
      backend: 'cpu',
      config: { kmeansIterations: 100_000 },
    })
    .then(
      () => null,
      (error: Error) => error.message,
    );
  const cancel = page.getByRole('button', { name: /Cancel: stop building the patch dictionary/ });
  await expect(cancel).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/k-means, K = 64: update/)).toBeVisible({ timeout: 30_000 });
  await cancel.click();
  expect(await second).toMatch(/Cancelled/);
  const [cancelled] = await page.evaluate(() => window.playground.listRuns());
  const snapshot = await playground.getRun(cancelled);
  expect(snapshot.status).toBe('error');
  expect(snapshot.error?.code).toBe('cancelled');
  await expect(page.getByText('Run creation cancelled')).toBeVisible();
  await page.screenshot({ path: 'test-results/rcnn-cancelled.png', fullPage: true });
});
