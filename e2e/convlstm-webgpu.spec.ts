/**
 * The ConvLSTM encoder-forecaster end to end on WebGPU (SwiftShader here): the tiny preset trains in
 * its worker with a falling loss, its input, ground-truth and predicted frames are drawn, and the
 * held-out evaluation scores the forecast beside the copy-last-frame baseline.
 */
import type { Locator } from '@playwright/test';
import { expect, headAndTail, test } from './fixtures';

// The cross-entropy starts near 32·32·ln 2 ≈ 710 per frame (every pixel ½) and falls below 300
// within about 10 steps as the model learns the background (measured on the CPU backend).
const TRAIN_STEPS = 12;

/** Pixels of a canvas brighter than a dark gray (ink). */
function litPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const context = c.getContext('2d');
    if (!context || c.width === 0) return 0;
    const { data } = context.getImageData(0, 0, c.width, c.height);
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255 && data[i] > 48) lit++;
    return lit;
  });
}

test('ConvLSTM tiny: falling loss on webgpu, frames drawn, forecast beside its baseline', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun({
    model: 'convlstm',
    preset: 'tiny',
    backend: 'webgpu',
    config: { sampleEvery: 6, evalSequences: 8 },
  });
  const ready = await playground.getRun(id);
  expect(ready.backend).toBe('webgpu');
  expect(ready.status).toBe('ready');

  await playground.call('start', id);
  const trained = await playground.waitForStep(id, TRAIN_STEPS, 240_000);
  await playground.call('pause', id);
  expect(trained.error).toBeNull();
  const loss = trained.metrics.loss;
  expect(loss.length).toBeGreaterThanOrEqual(TRAIN_STEPS);
  expect(loss.every(([, value]) => Number.isFinite(value))).toBe(true);
  const { head, tail } = headAndTail(loss, 3);
  expect(head).toBeGreaterThan(500);
  expect(tail).toBeLessThan(head * 0.7);

  await playground.call('evaluate', id);
  await page.screenshot({ path: 'test-results/convlstm-trained.png', fullPage: true });
  const frames = page.getByTestId('frame-view');
  for (const label of ['Input', 'Ground truth', 'Prediction']) {
    const canvas = frames.getByRole('img', { name: new RegExp(`^${label}: frames`) }).first();
    await expect(canvas, label).toBeVisible();
    // The true frames show digits; after a dozen steps the prediction may be mostly background,
    // so for it the test asks that it was drawn.
    if (label !== 'Prediction') expect(await litPixels(canvas), label).toBeGreaterThan(40);
  }

  const scores = (await playground.getRun(id)).evaluation?.result.scalars ?? {};
  for (const name of ['future/cross_entropy', 'baseline/future/cross_entropy', 'future/psnr']) {
    expect(Number.isFinite(scores[name]), name).toBe(true);
  }
  expect(scores['future/cross_entropy']).toBeLessThan(scores['baseline/future/cross_entropy']);
  await playground.call('dispose', id);
});
