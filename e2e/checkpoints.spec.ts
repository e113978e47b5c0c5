/**
 * Checkpoints in the browser, through the UI: a tiny run trains a few steps on WebGPU, is saved in
 * IndexedDB and downloaded as safetensors; the download opens as a new run and the stored copy
 * opens after a page reload, both at the same step with the same held-out scores (which depend on
 * every weight); a corrupt file is refused with its message while the run keeps training; a
 * shipped example opens as a paused run with its samples drawn.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';
import type { PlaygroundPage } from './fixtures';

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

/** Held-out scores of a run: they depend on every weight, so equal scores mean equal weights. */
async function scores(playground: PlaygroundPage, id: string): Promise<Record<string, number>> {
  await playground.call('evaluate', id);
  const run = await playground.getRun(id);
  expect(run.evaluation).not.toBeNull();
  return run.evaluation!.result.scalars;
}

/**
 * Equal to float32 rounding: WebGPU's parallel sums may add in another order from one evaluation
 * to the next, so allow a few units in the last place (relative 1e-6; a changed weight moves the
 * scores far more).
 */
function expectSameScores(actual: Record<string, number>, expected: Record<string, number>) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    expect(Math.abs(actual[name] - value), name).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(value)),
    );
  }
}

/** The safetensors header's metadata (8-byte little-endian length, then JSON). */
function metadataOf(bytes: Buffer): Record<string, string> {
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')).__metadata__;
}

test('a checkpoint round-trips through a download and through IndexedDB; a corrupt file changes nothing', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun(SPEC);
  await playground.step(id, 3);
  await playground.waitForStep(id, 3, 60_000);
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  const expected = await scores(playground, id);

  const card = page.getByRole('region', { name: 'Checkpoint' });
  await card.getByRole('button', { name: 'Save in browser' }).click();
  await expect(card.getByRole('status')).toContainText(
    /Saved “lstm-composite-tiny-step3” in this browser/,
  );
  const saved = page.getByRole('list', { name: 'Checkpoints saved in this browser' });
  await expect(saved.getByText('lstm-composite-tiny-step3')).toBeVisible();

  const downloading = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Download .safetensors' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('lstm-composite-tiny-step3.safetensors');
  const file = 'test-results/lstm-composite-tiny-step3.safetensors';
  await download.saveAs(file);
  const bytes = await readFile(file);
  expect(metadataOf(bytes)).toMatchObject({ model: 'lstm', step: '3', format_version: '1' });

  // The download opens as a new run: same step, same scores.
  await page.getByLabel('Checkpoint file to open as a new run').setInputFiles(file);
  await expect
    .poll(async () => (await page.evaluate(() => window.playground.listRuns())).length)
    .toBe(2);
  const [, fromFile] = await page.evaluate(() => window.playground.listRuns());
  await expect.poll(async () => (await playground.getRun(fromFile)).status).toBe('paused');
  const restored = await playground.getRun(fromFile);
  expect(restored.step).toBe(3);
  expect(restored.metrics.loss.map(([step]) => step)).toEqual([1, 2, 3]); // the file's curves
  await expect(
    page.getByText(/Restored from lstm-composite-tiny-step3\.safetensors at step 3/),
  ).toBeVisible();
  expectSameScores(await scores(playground, fromFile), expected);
  await page.screenshot({ path: 'test-results/checkpoint-restored.png', fullPage: true });

  // A corrupt file, loaded into the first run while it trains: refused by name, the run goes on.
  await page.getByRole('button', { name: /#1 LSTM/ }).click();
  await playground.call('start', id);
  const before = (await playground.getRun(id)).step;
  const corrupt = {
    name: 'broken.safetensors',
    mimeType: 'application/octet-stream',
    buffer: bytes.subarray(0, bytes.length - 64),
  };
  await page.getByLabel('Checkpoint file to load into this run').setInputFiles(corrupt);
  const alert = page.getByRole('region', { name: 'Checkpoint' }).getByRole('alert');
  await expect(alert).toContainText('The checkpoint was not loaded; the run is unchanged');
  await expect(alert).toContainText(
    /The file is truncated: its tensors need \d+ bytes of data but only \d+ are present/,
  );
  await playground.waitForStep(id, before + 3, 60_000);
  const running = await playground.getRun(id);
  expect(running.status).toBe('running');
  expect(running.error).toBeNull();
  await page.screenshot({ path: 'test-results/checkpoint-corrupt.png', fullPage: true });
  await playground.call('pause', id);
  expect((await playground.getRun(fromFile)).step).toBe(3); // the other run is untouched

  // After a reload, the checkpoint saved in IndexedDB opens as a run with the same scores.
  await playground.open();
  expect(await page.evaluate(() => window.playground.listRuns())).toEqual([]);
  await page
    .getByRole('button', { name: 'Open saved checkpoint: lstm-composite-tiny-step3' })
    .click();
  await expect
    .poll(async () => (await page.evaluate(() => window.playground.listRuns())).length)
    .toBe(1);
  const [fromStore] = await page.evaluate(() => window.playground.listRuns());
  await expect.poll(async () => (await playground.getRun(fromStore)).status).toBe('paused');
  expect((await playground.getRun(fromStore)).step).toBe(3);
  expectSameScores(await scores(playground, fromStore), expected);
  expect(
    await page.evaluate(() =>
      window.playground.listCheckpoints().then((l) => l.map((c) => c.step)),
    ),
  ).toEqual([3]);

  // It trains on from there, and it can be deleted from the list.
  await playground.step(fromStore, 1);
  await playground.waitForStep(fromStore, 4, 60_000);
  await page
    .getByRole('button', { name: 'Delete saved checkpoint: lstm-composite-tiny-step3' })
    .click();
  await expect(page.getByText('None yet: use “Save in browser” on a run.')).toBeVisible();
});

test('a shipped example opens from the empty page as a paused run with its samples drawn', async ({
  playground,
  page,
}) => {
  await playground.open();
  const examples = await page.evaluate(() => window.playground.listExamples());
  const lstm = examples.find((example) => example.model === 'lstm');
  expect(lstm).toBeTruthy();
  // Every shipped example is offered on the empty page and in the sidebar.
  const emptyPage = page.getByRole('region', { name: /Open a trained example/ });
  for (const example of examples) {
    await expect(emptyPage.getByRole('button', { name: example.title })).toBeVisible();
    await expect(
      page.getByRole('button', { name: `Open example: ${example.title}` }),
    ).toBeVisible();
  }
  await page.getByLabel('Backend').selectOption('cpu');
  await emptyPage.getByRole('button', { name: lstm!.title }).click();
  await expect
    .poll(async () => (await page.evaluate(() => window.playground.listRuns())).length)
    .toBe(1);
  const [id] = await page.evaluate(() => window.playground.listRuns());
  await expect
    .poll(async () => (await playground.getRun(id)).status, { timeout: 60_000 })
    .toBe('paused');
  const run = await playground.getRun(id);
  expect(run.step).toBe(lstm!.steps);
  expect(run.backend).toBe('cpu');
  // Opening resolves once the samples of the restored weights are drawn.
  const frames = page.locator('[data-testid="frame-view"]');
  await expect(frames.locator('canvas').first()).toBeVisible();
  await expect(frames).toContainText(`sampled at step ${lstm!.steps.toLocaleString('en-US')}`);
  expect(run.metrics.loss.at(-1)?.[0]).toBe(lstm!.steps); // the training curve came along
  // The Evaluation card shows the restored weights' held-out scores without a step.
  const evaluation = page.getByRole('region', { name: 'Evaluation', exact: true });
  await expect(evaluation).toContainText(
    `held-out set, at step ${lstm!.steps.toLocaleString('en-US')}`,
    { timeout: 60_000 },
  );
  await expect(evaluation.getByRole('region', { name: 'Evaluation metrics table' })).toBeVisible();
  // Opening resolves after that evaluation.
  await expect(page.getByText(/Restored from the example/)).toBeVisible();
  await page.screenshot({ path: 'test-results/checkpoint-example.png', fullPage: true });
});
