/**
 * Two models side by side on WebGPU (SwiftShader here): LSTM tiny and VGAN tiny, the second added
 * with "add run to compare" so both share one data stream. Both train; the compare view overlays
 * them; one play / scrub control moves both runs' frames; a run that fails to start leaves the
 * others training. Screenshots of the compare and presentation views go to test-results/.
 */
import { encodeNpy } from '../src/core/data/npy';
import { decodeExperiment } from '../src/protocol/experiment';
import { expect, test } from './fixtures';

// SwiftShader: a tiny step takes 2–3 s per model, more with two runs on two cores.
const LSTM_STEPS = 4;
const VGAN_STEPS = 2;

test('LSTM tiny and VGAN tiny train side by side, overlaid and in synchronised playback', async ({
  playground,
  page,
}) => {
  await playground.open();
  // Both warm up at once: the second is added as soon as the first is in the run list.
  const [lstm, vgan] = await page.evaluate(() => {
    const first = window.playground.createRun({
      model: 'lstm',
      preset: 'tiny',
      backend: 'webgpu',
      data: { source: 'moving-mnist', seed: 21, digitSize: 14, speed: 3 },
    });
    const second = window.playground.addRunToCompare({ model: 'vgan', preset: 'tiny' });
    return Promise.all([first, second]);
  });
  // The added run copied the first run's data spec, seed and backend.
  const shared = decodeExperiment(await page.evaluate(() => window.playground.shareUrl()));
  expect(shared.runs[1].data).toEqual(shared.runs[0].data);
  expect(shared.runs[1].backend).toBe('webgpu');
  expect((await playground.getRun(vgan)).backend).toBe('webgpu');

  await page.evaluate((ids) => window.playground.compare(ids), [lstm, vgan]);
  await page.getByRole('button', { name: 'Start all compared' }).click();
  await Promise.all([
    playground.waitForStep(lstm, LSTM_STEPS, 150_000),
    playground.waitForStep(vgan, VGAN_STEPS, 150_000),
  ]);

  // A run that cannot start fails alone: an imported array of 6 frames is too short for the
  // LSTM's 20-frame clips, which only its worker finds out.
  const shortArray = [...encodeNpy(new Uint8Array(6 * 16 * 16), [6, 1, 16, 16])];
  await expect(
    page.evaluate(async (bytes) => {
      const file = new Blob([new Uint8Array(bytes)]);
      const { datasetId } = await window.playground.importNpy(file, { clipLength: 3 });
      return window.playground.createRun({
        model: 'lstm',
        preset: 'tiny',
        backend: 'webgpu',
        data: { source: 'video', datasetId },
      });
    }, shortArray),
  ).rejects.toThrow(/too short/);
  const broken = (await page.evaluate(() => window.playground.listRuns()))[2];
  await expect.poll(async () => (await playground.getRun(broken)).status).toBe('error');
  const before = [(await playground.getRun(lstm)).step, (await playground.getRun(vgan)).step];
  await Promise.all([
    playground.waitForStep(lstm, before[0] + 1, 90_000),
    playground.waitForStep(vgan, before[1] + 1, 90_000),
  ]);
  // The compare view lists it with its error; it stays out of the comparison.
  const brokenChip = page
    .getByRole('region', { name: 'Compared runs' })
    .getByRole('listitem')
    .filter({ hasText: '#3 lstm' });
  await expect(brokenChip).toContainText(/Error · step 0.*too short/);
  await expect(
    page.getByRole('checkbox', { name: 'Compare #3 lstm · composite · tiny' }),
  ).not.toBeChecked();

  // Both train: finite losses, the LSTM's falling, the GAN's two losses reported.
  const [a, b] = [await playground.getRun(lstm), await playground.getRun(vgan)];
  for (const series of [a.metrics.loss, b.metrics.d_loss, b.metrics.g_loss]) {
    expect(series.length).toBeGreaterThanOrEqual(VGAN_STEPS);
    expect(series.every(([, value]) => Number.isFinite(value))).toBe(true);
  }
  expect(a.metrics.loss.at(-1)![1]).toBeLessThan(a.metrics.loss[0][1]);

  // Overlaid charts: the progress chart holds both runs; each model's losses have their own.
  const compare = await page.evaluate(() => window.playground.getCompare());
  expect(compare.ids).toEqual([lstm, vgan]);
  expect(compare.metrics).toEqual(expect.arrayContaining(['loss', 'd_loss', 'g_loss']));
  const progress = page.getByTestId('overlay-Training progress');
  await expect(progress.locator('.chart-series')).toHaveCount(2);
  await expect(progress.locator('.chart-legend-item')).toHaveText([/#1 lstm/, /#2 vgan/]);
  await expect(page.getByTestId('overlay-loss').locator('.chart-series')).toHaveCount(1);
  await expect(page.getByTestId('overlay-d_loss').locator('.chart-series')).toHaveCount(1);
  // Pointing at a curve reads out the nearest logged point of every run on it.
  const lossPlot = page.getByTestId('overlay-loss').locator('.series-chart svg').first();
  await lossPlot.scrollIntoViewIfNeeded();
  const plotBox = await lossPlot.boundingBox();
  if (!plotBox) throw new Error('the loss chart has no box');
  await page.mouse.move(plotBox.x + plotBox.width * 0.6, plotBox.y + plotBox.height * 0.5);
  await expect(page.getByTestId('overlay-loss').locator('.chart-hover')).toContainText(
    /step \d+.*#1 lstm.*: \d/,
  );
  await page.mouse.move(0, 0);
  await expect(page.getByTestId('overlay-loss').locator('.chart-hover')).toHaveCount(0);
  const table = page.getByTestId('compare-table');
  await expect(table.locator('thead th')).toHaveText(['Quantity', /#1 LSTM/, /#2 VGAN/]);
  await expect(table.getByRole('row', { name: /ms \/ step/ })).not.toContainText('—');
  await expect(table.getByRole('row', { name: /Parameters/ })).not.toContainText('—');

  // Synchronised playback: scrubbing moves both runs' frames to the same clip frame.
  const rows = [page.getByTestId(`playback-${lstm}`), page.getByTestId(`playback-${vgan}`)];
  const pixels = () =>
    Promise.all(
      rows.map((row) =>
        row
          .locator('canvas')
          .first()
          .evaluate((element) => {
            const canvas = element as HTMLCanvasElement;
            const data = canvas
              .getContext('2d')!
              .getImageData(0, 0, canvas.width, canvas.height).data;
            let sum = 0;
            for (let i = 0; i < data.length; i += 4) sum = (sum * 31 + data[i]) % 1_000_003;
            return sum;
          }),
      ),
    );
  await page.evaluate(() => window.playground.setPlayback({ playing: false, frame: 0 }));
  for (const row of rows) await expect(row).toHaveAttribute('data-frame', '0');
  const atStart = await pixels();
  await page.getByRole('slider', { name: 'Frame' }).fill('6');
  for (const row of rows) await expect(row).toHaveAttribute('data-frame', '5');
  const atSix = await pixels();
  expect(atSix[0]).not.toBe(atStart[0]);
  expect(atSix[1]).not.toBe(atStart[1]);
  // Play: one clock moves both.
  await page.getByRole('button', { name: 'Play all runs’ frames' }).click();
  await expect
    .poll(async () => (await page.evaluate(() => window.playground.getCompare())).playback.frame)
    .not.toBe(5);
  await page.getByRole('button', { name: 'Pause all runs’ frames' }).click();
  const frame = String((await page.evaluate(() => window.playground.getCompare())).playback.frame);
  for (const row of rows) await expect(row).toHaveAttribute('data-frame', frame);
  await page.evaluate(() => window.playground.setPlayback({ frame: 12 }));
  await page.screenshot({ path: 'test-results/compare-view.png', fullPage: true });

  // Pausing one run from the compare view leaves the other training.
  await page.getByRole('button', { name: 'Pause #2 vgan · two-stream · tiny' }).click();
  await expect.poll(async () => (await playground.getRun(vgan)).status).toBe('paused');
  const lstmStep = (await playground.getRun(lstm)).step;
  await playground.waitForStep(lstm, lstmStep + 1, 60_000);

  await page.evaluate(() => window.playground.setView('present'));
  await expect(page.getByTestId('present-view')).toBeVisible();
  await expect(page.getByText('What to watch for')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/present-view.png', fullPage: true });
  for (const id of [lstm, vgan, broken]) await playground.call('dispose', id);
});
