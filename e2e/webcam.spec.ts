/**
 * Webcam clips in the Data view, with Chromium's fake camera (a moving test pattern): turn the
 * camera on, record two labelled clips into one dataset, relabel one, train a run on them and
 * probe its features with the clips' labels from the run view; and
 * a refused camera permission is in webcam-refused.spec.ts (other browser flags).
 */
import { expect, test } from './fixtures';
import { datasetFrames } from './data-helpers';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium-flags.mjs';

// The fake camera, and its permission granted without a prompt.
test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  },
});

test('records labelled clips into a dataset that a run trains on', async ({ page, playground }) => {
  await playground.open('/');
  await page.getByRole('button', { name: 'Data', exact: true }).click();
  const card = page.getByRole('region', { name: 'Webcam clips' });
  await expect(card).toContainText('never uploaded');
  await card.getByRole('button', { name: 'Turn camera on' }).click();
  await expect(card.getByLabel('Camera preview')).toBeVisible();
  await expect
    .poll(() => card.getByLabel('Camera preview').evaluate((v: HTMLVideoElement) => v.readyState))
    .toBeGreaterThanOrEqual(2);

  await card.getByLabel('Seconds per clip').fill('2.5');
  for (const label of ['wave', 'clap']) {
    await card.getByLabel('Label of the next clip').fill(label);
    await card.getByRole('button', { name: 'Record clip' }).click();
    await expect(card.getByRole('button', { name: 'Stop recording' })).toBeVisible();
    await expect(card.getByRole('button', { name: 'Record clip' })).toBeVisible({
      timeout: 20_000,
    });
  }
  const dataset = page.getByRole('article', { name: 'Dataset Webcam clips' });
  await expect(dataset).toContainText('2 clips · wave (1), clap (1)');
  await expect(card).toContainText('2 clips in “Webcam clips” below.');

  const [info] = await page.evaluate(() => window.playground.listDatasets());
  expect(info).toMatchObject({
    kind: 'webcam',
    files: ['wave 1', 'clap 2'],
    labels: ['wave', 'clap'],
    frames: 50, // 2 × 2.5 s at 10 fps
    width: 64,
    height: 64,
    channels: 3,
    fps: 10,
  });
  expect(info.trainClips + info.heldOutClips).toBeGreaterThanOrEqual(2);

  // The fake camera's pattern moves: the recorded frames differ.
  const frames = await datasetFrames(page, {
    datasetId: info.id,
    name: info.name,
    frames: 25, // one sequence per clip
  } as never);
  const frameBytes = 64 * 64 * 3;
  let changed = 0;
  for (let i = 0; i < frameBytes; i++) {
    if (frames.data[i] !== frames.data[20 * frameBytes + i]) changed += 1;
  }
  expect(changed).toBeGreaterThan(100);

  // A label per clip, edited in the dataset card.
  const second = dataset.getByLabel('Label of clap 2');
  await second.fill('clap hands');
  await second.press('Enter');
  await expect(dataset).toContainText('wave (1), clap hands (1)');
  const [relabelled] = await page.evaluate(() => window.playground.listDatasets());
  expect(relabelled.labels).toEqual(['wave', 'clap hands']);

  await page.setViewportSize({ width: 1280, height: 720 });
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/webcam-1280.png' });
  await page.setViewportSize({ width: 390, height: 844 });
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/webcam-390.png' });
  await dataset.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/webcam-dataset-390.png' });

  // The clips train a model like any imported video (clips of 10 frames: two in each file).
  const id = await playground.createRun({
    model: 'lstm',
    preset: 'tiny',
    config: { inputFrames: 5, futureFrames: 5 },
    data: { source: 'video', datasetId: info.id, seed: 1 },
  });
  await playground.step(id, 1);
  const run = await playground.waitForStep(id, 1, 150_000);
  expect(run.error).toBeNull();
  const losses = Object.values(run.metrics).flatMap((points) => points.map(([, v]) => v));
  expect(losses.length).toBeGreaterThan(0);
  expect(losses.every(Number.isFinite)).toBe(true);

  // The labelled clips probe the run's features, from the run view.
  await page.getByRole('navigation', { name: 'View' }).getByRole('button', { name: 'Run' }).click();
  const probes = page.getByRole('region', { name: 'What it learned: few-label probes' });
  await expect(probes).toContainText('Labels now: wave (1 clip), clap hands (1 clip).');
  // The task is the file labels, nothing to choose: said as text, with no Task control.
  await expect(probes).toContainText('Task: the labels you gave the files');
  await expect(probes.getByRole('group', { name: 'Task' })).toHaveCount(0);
  await probes.getByRole('button', { name: 'Run probe' }).click();
  const chart = probes.getByRole('img', { name: /^Linear probe, your labels: score against/ });
  await expect(chart).toBeVisible({ timeout: 120_000 });
  await expect(chart).toContainText('chance 0.5');
  // Each file's first clip to learn from, its last to test.
  await expect(probes).toContainText(
    '2 labels (wave, clap hands), 2 clips to learn from, 2 to test',
  );
  // Pretrained, random init and the mean frame of each clip (a linear probe's pixels reference).
  await expect(chart.locator('polyline')).toHaveCount(3);
  await expect(probes.getByRole('rowheader', { name: 'Mean frame (pixels)' })).toBeVisible();
});
