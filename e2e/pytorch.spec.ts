/**
 * From the browser to PyTorch and back: a run trains a few steps in the page (WebGPU), its
 * checkpoint is downloaded, continues in PyTorch on the CPU (the python/ package's train CLI, with
 * Python as `npm run test:python` finds it), and the file PyTorch writes opens in the page as a new
 * run whose loss curve carries on from the browser's and which trains on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';

const SPEC = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'webgpu',
  seed: 1,
  config: {
    frameSize: 16,
    hiddenUnits: 16,
    inputFrames: 4,
    futureFrames: 4,
    batchSize: 4,
    evalSequences: 4,
    evalEvery: 100_000,
    sampleEvery: 100_000,
  },
  data: { source: 'moving-mnist', seed: 5, digitSize: 8, speed: 2 },
};
const BROWSER_STEPS = 4;
const PYTORCH_STEPS = 3;

/** $PYTHON, else the first of /usr/bin/python3, python3, python that imports torch. */
function python(): string {
  const candidates = process.env.PYTHON
    ? [process.env.PYTHON]
    : ['/usr/bin/python3', 'python3', 'python'];
  const found = candidates.find(
    (candidate) => spawnSync(candidate, ['-c', 'import torch, numpy']).status === 0,
  );
  if (!found) throw new Error(`No Python with torch and numpy among ${candidates.join(', ')}`);
  return found;
}

test('a browser run continues in PyTorch and comes back with its loss curve', async ({
  playground,
  page,
}) => {
  test.setTimeout(480_000);
  await playground.open();
  const id = await playground.createRun(SPEC);
  await playground.step(id, BROWSER_STEPS);
  await playground.waitForStep(id, BROWSER_STEPS, 60_000);
  const browserCurve = (await playground.getRun(id)).metrics.loss;

  const card = page.getByRole('region', { name: 'Checkpoint' });
  const downloading = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Download .safetensors' }).click();
  const fromBrowser = path.resolve('test-results/browser-run.safetensors');
  await (await downloading).saveAs(fromBrowser);

  // PyTorch on the CPU continues the run.
  const fromPyTorch = path.resolve('test-results/pytorch-run.safetensors');
  const log = execFileSync(
    python(),
    [
      '-m',
      'video_model_playground.train',
      '--resume',
      fromBrowser,
      '--steps',
      String(PYTORCH_STEPS),
    ].concat(['--device', 'cpu', '--log-every', '1', '--out', fromPyTorch]),
    { env: { ...process.env, PYTHONPATH: path.resolve('python') }, encoding: 'utf8' },
  );
  expect(log).toContain(`resumed from ${fromBrowser} at step ${BROWSER_STEPS}`);
  expect(log).toContain(`wrote ${fromPyTorch}`);
  expect((await readFile(fromPyTorch)).length).toBeGreaterThan(0);

  // The app opens PyTorch's file as a new run: the browser's curve, then PyTorch's steps.
  await page.getByLabel('Checkpoint file to open as a new run').setInputFiles(fromPyTorch);
  await expect
    .poll(async () => (await page.evaluate(() => window.playground.listRuns())).length)
    .toBe(2);
  const [, continued] = await page.evaluate(() => window.playground.listRuns());
  // A run opened from a file with no backend forced opens on the CPU here (software WebGPU).
  await expect
    .poll(async () => (await playground.getRun(continued)).status, { timeout: 180_000 })
    .toBe('paused');
  const restored = await playground.getRun(continued);
  const total = BROWSER_STEPS + PYTORCH_STEPS;
  expect(restored.step).toBe(total);
  const curve = restored.metrics.loss;
  expect(curve.map(([step]) => step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  curve.slice(0, BROWSER_STEPS).forEach(([, value], i) => {
    expect(value).toBeCloseTo(browserCurve[i][1], 3); // stored to 7 significant digits
  });
  for (const [, value] of curve) expect(Number.isFinite(value)).toBe(true);

  // And it trains on in the browser (timing the backends after its first step there).
  await playground.step(continued, 2);
  await playground.waitForStep(continued, total + 2, 300_000);
  const after = await playground.getRun(continued);
  expect(after.metrics.loss.map(([step]) => step).slice(-2)).toEqual([total + 1, total + 2]);
  expect(after.error).toBeNull();
  await page.screenshot({ path: 'test-results/pytorch-continued.png', fullPage: true });
});
