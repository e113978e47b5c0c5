/**
 * VGAN on WebGPU (SwiftShader here) in a worker: the two-stream tiny preset trains with finite
 * d_loss / g_loss and draws its four views (video, background, mask, masked foreground), the
 * fixed-noise grid and the interpolation; the one-stream and image-to-video variants train too,
 * and picking a still in the UI makes image-to-video animate that still.
 */
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';

// About 3 s a step on SwiftShader: enough steps to see both losses move, few enough to stay short.
const TRAIN_STEPS = 6;

/** Pixels brighter than near-black on a canvas (0 for an empty one). */
function litPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const context = c.getContext('2d');
    if (!context || c.width === 0) return 0;
    const { data } = context.getImageData(0, 0, c.width, c.height);
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 32) lit++;
    return lit;
  });
}

/** The first frame of a strip canvas as a data URL (to compare what two samples show). */
function firstCell(canvas: Locator): Promise<string> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const cell = document.createElement('canvas');
    cell.width = c.height;
    cell.height = c.height;
    cell.getContext('2d')?.drawImage(c, 0, 0, c.height, c.height, 0, 0, c.height, c.height);
    return cell.toDataURL();
  });
}

test('VGAN tiny trains on webgpu: finite D and G losses, the four views, fixed noise, interpolation', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun({
    model: 'vgan',
    variant: 'two-stream',
    preset: 'tiny',
    backend: 'webgpu',
    data: { source: 'moving-mnist', digitSize: 14 },
  });
  expect((await playground.getRun(id)).backend).toBe('webgpu');
  await playground.call('start', id);
  const trained = await playground.waitForStep(id, TRAIN_STEPS, 120_000);
  await playground.call('pause', id);
  expect(trained.error).toBeNull();
  for (const name of ['d_loss', 'g_loss', 'mask_l1', 'd_real_accuracy', 'd_fake_accuracy']) {
    const series = trained.metrics[name];
    expect(series.length, name).toBeGreaterThanOrEqual(TRAIN_STEPS);
    expect(
      series.every(([, value]) => Number.isFinite(value)),
      name,
    ).toBe(true);
  }

  // The paper's Figure 3 live: generated video, background, mask and masked foreground.
  const frames = page.getByTestId('frame-view');
  for (const label of ['Generated', 'Background', 'Mask', 'Foreground (m⊙f)']) {
    const canvas = frames.getByRole('img', { name: new RegExp(`^${escape(label)}: frames`) });
    await expect(canvas).toBeVisible();
    expect(await litPixels(canvas), label).toBeGreaterThan(50);
  }
  // Samples come from fixed noise, not from held-out videos: nothing to pick.
  await expect(page.getByRole('group', { name: /held-out sequence|still/i })).toHaveCount(0);
  await expect(page.getByTestId('frame-view-fixed-noise').getByRole('img')).toHaveCount(4); // min(8, batch 4)
  await expect(page.getByTestId('frame-view-interpolation').getByRole('img')).toHaveCount(5);
  await expect(page.getByRole('heading', { name: 'Discriminator accuracy' })).toBeVisible();
  await page.screenshot({ path: 'test-results/vgan-two-stream.png', fullPage: true });
  await playground.call('dispose', id);
});

test('VGAN one-stream and image-to-video train on webgpu; a picked still is animated', async ({
  playground,
  page,
}) => {
  await playground.open();
  const oneStream = await playground.createRun({
    model: 'vgan',
    variant: 'one-stream',
    preset: 'tiny',
    backend: 'webgpu',
  });
  await playground.step(oneStream, 2);
  const one = await playground.waitForStep(oneStream, 2, 60_000);
  expect(one.metrics.d_loss.every(([, value]) => Number.isFinite(value))).toBe(true);
  expect(one.metrics.g_loss.every(([, value]) => Number.isFinite(value))).toBe(true);
  expect(one.metrics.mask_l1).toBeUndefined(); // no mask in one stream
  await playground.call('dispose', oneStream);

  const imageToVideo = await playground.createRun({
    model: 'vgan',
    variant: 'image-to-video',
    preset: 'tiny',
    backend: 'webgpu',
  });
  await playground.step(imageToVideo, 2);
  const conditional = await playground.waitForStep(imageToVideo, 2, 60_000);
  for (const name of ['d_loss', 'g_loss', 'image_l1']) {
    expect(
      conditional.metrics[name].every(([, value]) => Number.isFinite(value)),
      name,
    ).toBe(true);
  }

  // Pick held-out sequence 5's first frame as the still: the sample's input still becomes it.
  const frames = page.getByTestId('frame-view');
  const still = frames.getByRole('img', { name: /^Input still: frames/ });
  await expect(still).toBeVisible();
  const before = await firstCell(still);
  const picker = page.getByRole('group', { name: 'Pick a still to animate' });
  await picker.getByRole('button', { name: 'Held-out sequence 5' }).click();
  await expect(picker.getByRole('button', { name: 'Held-out sequence 5' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect.poll(() => firstCell(still)).not.toBe(before);
  expect((await playground.getRun(imageToVideo)).exampleIndices[0]).toBe(4);
  await expect(frames.getByRole('img', { name: /^Generated: frames/ })).toBeVisible();
  await page.screenshot({ path: 'test-results/vgan-image-to-video.png', fullPage: true });
  await playground.call('dispose', imageToVideo);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
