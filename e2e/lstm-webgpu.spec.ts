/**
 * The spine end to end: the LSTM tiny preset trains in a Web Worker on WebGPU (SwiftShader here),
 * its loss falls, frames are drawn, pausing stops the steps, and the main thread stays responsive.
 */
import { expect, headAndTail, test } from './fixtures';

// SwiftShader runs WebGPU on the CPU at ~2–3 s per tiny step: 40 steps show the loss falling.
const TRAIN_STEPS = 40;

test('LSTM tiny trains on webgpu in a worker: loss falls, frames drawn, pause holds', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun({ model: 'lstm', preset: 'tiny', backend: 'webgpu' });
  const ready = await playground.getRun(id);
  expect(ready.backend).toBe('webgpu');
  expect(ready.adapter).toBeTruthy();
  expect(ready.status).toBe('ready');

  // The backend badge tells the user which adapter trains and whether it is a software one.
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toContainText('webgpu', { ignoreCase: true });
  if (ready.softwareAdapter) await expect(badge).toContainText('software', { ignoreCase: true });

  await playground.watchLongTasks();
  await playground.call('start', id);
  const trained = await playground.waitForStep(id, TRAIN_STEPS, 170_000);
  await page.screenshot({ path: 'test-results/lstm-training.png', fullPage: true });
  expect(trained.error).toBeNull();

  const loss = trained.metrics.loss;
  expect(loss.length).toBeGreaterThanOrEqual(TRAIN_STEPS);
  expect(loss.every(([, value]) => Number.isFinite(value))).toBe(true);
  const { head, tail } = headAndTail(loss, 8);
  expect(tail).toBeLessThan(head * 0.85);

  // Frames: the frame view's canvases hold non-blank pixels.
  const canvases = page.locator('[data-testid="frame-view"] canvas');
  await expect(canvases.first()).toBeVisible();
  const inked = await canvases.evaluateAll((elements) =>
    elements.map((element) => {
      const canvas = element as HTMLCanvasElement;
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0) return 0;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 32) lit++;
      return lit;
    }),
  );
  expect(Math.max(...inked)).toBeGreaterThan(50);

  // Pause: the step count stops moving.
  await playground.call('pause', id);
  const pausedAt = (await playground.getRun(id)).step;
  await page.waitForTimeout(2_000);
  const later = await playground.getRun(id);
  expect(later.step).toBe(pausedAt);
  expect(later.status).toBe('paused');

  // Single-step advances by exactly the requested count.
  await playground.step(id, 3);
  await playground.waitForStep(id, pausedAt + 3, 30_000);
  await page.waitForTimeout(500);
  expect((await playground.getRun(id)).step).toBe(pausedAt + 3);

  // The main thread only renders: no long task anywhere near a frozen UI while training.
  const longTasks = await playground.longTasks();
  expect(Math.max(0, ...longTasks)).toBeLessThan(250);

  await playground.call('dispose', id);
  expect(await page.evaluate(() => window.playground.listRuns())).toEqual([]);
});
