/**
 * Stress tests in the run view: the shipped LSTM example (trained on one digit per clip) is tested
 * on 2 digits and rolled out past its 10 trained frames, from the button and from the automation
 * API. (A model trained on 2 digits is also tested on 1: tests/stress-test.test.ts.)
 */
import { expect, test } from './fixtures';

test('stress tests of the shipped LSTM example render in the run view and come back from the API', async ({
  playground,
  page,
}) => {
  test.setTimeout(240_000);
  await playground.open();
  const id = await page.evaluate(() =>
    window.playground.openExample('lstm-composite-tiny', { backend: 'cpu' }),
  );
  const card = page.getByRole('region', { name: 'Stress tests' });
  // 16 clips per case (the default 64 takes four times as long on the CPU backend).
  await card
    .getByRole('group', { name: 'Clips per case' })
    .getByRole('button', { name: '16' })
    .click();
  await card.getByRole('button', { name: 'Run stress tests' }).click();
  const table = card.getByRole('table');
  await expect(table).toBeVisible({ timeout: 180_000 });
  await expect(table).toContainText('averaged over 16 clips per case');
  for (const row of [
    '1 digit, as trained',
    '2 digits, never seen',
    '1 digit, 30 frames (trained on 10)',
  ]) {
    await expect(table.getByRole('rowheader', { name: row })).toBeVisible();
  }
  await expect(card).toContainText(/Rolled out 30 frames: MSE [\d.]+ over the 10 frames/);
  const prediction = card.getByRole('img', { name: '2 digits, never seen: Prediction, 10 frames' });
  await expect(prediction).toBeVisible();
  const lit = await prediction.evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 32) count++;
    return count;
  });
  expect(lit).toBeGreaterThan(50);
  // The 30-frame rollout wraps into three lines of 10 frames (2-px gaps) instead of shrinking.
  const rollout = card.getByRole('img', {
    name: '1 digit, 30 frames (trained on 10): Prediction, 30 frames',
  });
  expect(
    await rollout.evaluate((element) => [
      (element as HTMLCanvasElement).width,
      (element as HTMLCanvasElement).height,
    ]),
  ).toEqual([10 * 32 + 9 * 2, 3 * 32 + 2 * 2]);
  await page.screenshot({ path: 'test-results/stress-test.png', fullPage: true });

  // The same through the automation API, with fewer clips.
  const report = await page.evaluate(
    (runId) => window.playground.stressTest(runId, { clips: 8, horizon: 20 }),
    id,
  );
  const rows = Object.fromEntries(
    report.cases.map((c) => [c.case, [c.digits, c.predictedFrames, c.scores.scalars]]),
  );
  expect(Object.keys(rows)).toEqual(['in-domain', 'more-digits', 'long-horizon']);
  const inDomain = report.cases[0].scores.scalars;
  expect(inDomain['prediction/mse']).toBeLessThan(inDomain['baseline/mse']);
  expect(report.cases[2].predictedFrames).toBe(20);
  await expect(
    card.getByRole('rowheader', { name: '1 digit, 20 frames (trained on 10)' }),
  ).toBeVisible();
  await expect(table).toContainText('averaged over 8 clips per case');
  const refused = await page.evaluate(
    (runId) =>
      window.playground.stressTest(runId, { clips: 0 }).then(
        () => 'accepted',
        (error: Error) => error.message,
      ),
    id,
  );
  expect(refused).toMatch(/clips must be a whole number/);
});
