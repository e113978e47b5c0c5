/**
 * What a run learned, in the run view of the shipped tiny LSTM example: the few-label probe chart
 * (from its button, small clip counts through the API), the stress-test card and the feature
 * views, then the probe chart side by side in Compare. Screenshot at 1280×720. And the VGAN
 * example's feature views: its first-layer filters and the ones a held-out clip drives most.
 */
import { expect, test } from './fixtures';

test('probe chart, stress tests and feature views render for a run', async ({
  playground,
  page,
}) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await playground.open();
  const id = await page.evaluate(() =>
    window.playground.openExample('lstm-composite-tiny', { backend: 'cpu' }),
  );

  // A probe with small label and clip counts through the API while the run trains; the run is
  // paused once it has taken a step (each takes seconds on the CPU, and they share the worker).
  const card = page.getByRole('region', { name: 'What it learned: few-label probes' });
  await page.evaluate((runId) => window.playground.start(runId), id);
  const stepBefore = (await playground.getRun(id)).step;
  const probing = page.evaluate(
    (runId) =>
      window.playground.probe(runId, {
        labelsPerClass: [1, 5, 'all'],
        trainClips: 100,
        testClips: 50,
        seeds: 1,
      }),
    id,
  );
  await expect
    .poll(async () => (await playground.getRun(id)).step, { timeout: 120_000 })
    .toBeGreaterThan(stepBefore);
  await page.evaluate((runId) => window.playground.pause(runId), id);
  const first = await probing;
  expect(first.labelsPerClass).toEqual([1, 5, 'all']);
  expect(first.chance).toBeCloseTo(0.1, 5);

  const chart = card.getByRole('img', { name: /^Linear probe, first digit: score against/ });
  await expect(chart).toBeVisible();
  const table = card.getByRole('table');
  for (const tick of ['1', '5', 'all (~10)']) {
    await expect(table.getByRole('columnheader', { name: tick, exact: true })).toBeVisible();
  }
  for (const row of ['Pretrained', 'Random init', 'Mean frame (pixels)']) {
    await expect(table.getByRole('rowheader', { name: row })).toBeVisible();
  }
  // Three curves of three points each (a linear probe also reads the mean frame), and the chance
  // line at 0.1.
  await expect(chart.locator('polyline')).toHaveCount(3);
  await expect(chart.locator('circle')).toHaveCount(9);
  await expect(chart).toContainText('chance 0.1');
  expect(first.meanFrame).toHaveLength(3);
  const cells = await table.getByRole('cell').allTextContents();
  expect(cells.map(Number)).toEqual(
    [...first.pretrained, ...first.random, ...first.meanFrame!].map((v) =>
      Number(v.toPrecision(3)),
    ),
  );

  // A second kind: charted beside the first.
  await page.evaluate(
    (runId) =>
      window.playground.probe(runId, {
        task: 'digits-present',
        digits: 2, // the example trained on one digit per clip; two make the task multi-label
        labelsPerClass: [1, 5],
        trainClips: 60,
        testClips: 40,
        seeds: 1,
      }),
    id,
  );
  await expect(
    card.getByRole('img', { name: /^Linear probe, digits present: score against/ }),
  ).toBeVisible();
  await expect(chart).toBeVisible();

  // The stress-test card (its own spec checks every case; a few clips here).
  await page.evaluate(
    (runId) => window.playground.stressTest(runId, { clips: 4, horizon: 12 }),
    id,
  );
  const stress = page.getByRole('region', { name: 'Stress tests' });
  await expect(
    stress.getByRole('rowheader', { name: '1 digit, 12 frames (trained on 10)' }),
  ).toBeVisible();

  // Feature views from the card's button (the main example's clip), then for clip 3 by API.
  const features = page.getByRole('region', { name: 'Feature views' });
  await features.getByRole('button', { name: 'Show feature views' }).click();
  for (const title of [
    'Input → hidden weights',
    'Hidden → output weights',
    'Units that respond most to this clip',
  ]) {
    await expect(features.getByRole('heading', { name: title })).toBeVisible();
  }
  const tiles = features.getByRole('img', {
    name: 'Input → hidden weights: Input → hidden, 1 frame',
  });
  // Weight tiles: gray for 0, lighter and darker pixels for the weights, darker grid lines.
  const grays = await tiles.evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) seen.add(data[i]);
    return seen.size;
  });
  expect(grays).toBeGreaterThan(50);
  const views = await page.evaluate(
    (runId) => window.playground.featureViews(runId, { clip: 2 }),
    id,
  );
  expect(views.clip).toBe(2);
  expect(views.views.map((v) => v.title)).toContain('Units that respond most to this clip');
  await expect(features).toContainText('held-out clip 3');
  const refused = await page.evaluate(
    (runId) =>
      window.playground.featureViews(runId, { clip: 10_000 }).then(
        () => 'accepted',
        (error: Error) => error.message,
      ),
    id,
  );
  expect(refused).toMatch(/clip must be the index of a held-out clip/);

  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/what-it-learned.png' });
  await features.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/what-it-learned-features.png' });

  // Side by side in Compare: the run's column shows its latest linear first-digit probe.
  await page
    .getByRole('navigation', { name: 'View' })
    .getByRole('button', { name: 'Compare' })
    .click();
  const compare = page.getByRole('region', { name: 'Few-label probes' });
  await expect(
    compare.getByRole('img', { name: /: Linear probe, first digit: score against/ }),
  ).toBeVisible();
  await compare.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/what-it-learned-compare.png' });

  // The button: the run view's starts a probe in the worker, its progress shows in the card.
  await page.getByRole('navigation', { name: 'View' }).getByRole('button', { name: 'Run' }).click();
  await card.getByRole('button', { name: 'Run probe' }).click();
  await expect(card.getByRole('button', { name: 'Probing…' })).toBeDisabled();
  await expect(card.getByRole('progressbar', { name: 'Probe progress' })).toBeVisible();
  await expect(card).toContainText(/Probe: pretrained: /);
});

test("the VGAN example's feature views: its first-layer filters and those a clip drives", async ({
  playground,
  page,
}) => {
  test.setTimeout(120_000);
  await playground.open();
  await page.evaluate(() =>
    window.playground.openExample('vgan-two-stream-tiny', { backend: 'cpu' }),
  );
  const features = page.getByRole('region', { name: 'Feature views' });
  await features.getByRole('button', { name: 'Show feature views' }).click();
  for (const title of ['First-layer filters over time', 'Units that respond most to this clip']) {
    await expect(features.getByRole('heading', { name: title })).toBeVisible();
  }
  // The responses: one mosaic per output frame of the first layer (8 frames at stride 2).
  await expect(
    features.getByRole('img', {
      name: /^Units that respond most to this clip: Responses, 4 frames/,
    }),
  ).toBeVisible();
  await expect(features).toContainText('Mean response over the output frames');
  await features.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/what-it-learned-vgan-features.png' });
});
