/**
 * The right backend for the machine: here WebGPU is SwiftShader (a software adapter), so a run
 * created without a backend times a few training steps of its model on WebGPU, WebGL and the CPU
 * and trains on the fastest, saying so next to the backend badge; a forced backend is kept.
 */
import { expect, test } from './fixtures';

test('a run with no backend forced on a software WebGPU adapter trains on the fastest backend it measured', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun({ model: 'lstm', preset: 'tiny' });
  const ready = await playground.getRun(id);
  test.skip(ready.backendChoice === null && !ready.softwareAdapter, 'WebGPU is a hardware adapter');

  const choice = ready.backendChoice;
  expect(choice).not.toBeNull();
  expect(choice!.trials.map((trial) => trial.backend)).toEqual(['webgpu', 'webgl', 'cpu']);
  const timed = choice!.trials.filter((trial) => trial.msPerStep !== null);
  expect(timed.length).toBeGreaterThanOrEqual(2); // WebGPU and the CPU at least
  const fastest = timed.reduce((a, b) => (b.msPerStep! < a.msPerStep! ? b : a));
  expect(choice!.picked).toBe(fastest.backend);
  expect(ready.backend).toBe(choice!.picked);

  // The note names the reason, the pick and every timing.
  const note = page.getByTestId('backend-choice');
  await expect(note).toContainText('software adapter');
  await expect(note).toContainText(/per step/);
  await expect(note.locator('li')).toHaveCount(3);
  await expect(page.getByTestId('backend-badge')).toContainText(ready.backend!, {
    ignoreCase: true,
  });
  await page.screenshot({ path: 'test-results/backend-choice.png', fullPage: true });

  // The run trains on its chosen backend from the stream's first batch, like any other run.
  await playground.step(id, 3);
  const trained = await playground.waitForStep(id, 3, 120_000);
  expect(trained.error).toBeNull();
  expect(trained.metrics.loss.every(([, value]) => Number.isFinite(value))).toBe(true);

  // A forced backend is never second-guessed, and the timing left the first run untouched: the
  // same model and data seeds forced onto the chosen backend take the same first steps.
  const forced = await playground.createRun({
    model: 'lstm',
    preset: 'tiny',
    backend: ready.backend,
  });
  const forcedReady = await playground.getRun(forced);
  expect(forcedReady.backend).toBe(ready.backend);
  expect(forcedReady.backendChoice).toBeNull();
  await playground.step(forced, 3);
  const forcedRun = await playground.waitForStep(forced, 3, 120_000);
  const losses = (run: typeof trained) => run.metrics.loss.slice(0, 3).map(([, value]) => value);
  losses(forcedRun).forEach((value, i) => expect(value).toBeCloseTo(losses(trained)[i], 4));
});

test('the same spec on the same adapter starts on the remembered backend without timing again', async ({
  playground,
}) => {
  test.setTimeout(420_000);
  await playground.open();
  const coldStart = Date.now();
  const first = await playground.createRun({ model: 'lstm', preset: 'tiny' });
  await playground.step(first, 1);
  const timed = await playground.waitForStep(first, 1, 120_000);
  console.log(
    `lstm tiny, Auto, backends timed: first step after ${((Date.now() - coldStart) / 1000).toFixed(1)} s`,
  );
  test.skip(timed.backendChoice === null && !timed.softwareAdapter, 'WebGPU is a hardware adapter');
  expect(timed.backendChoice!.reason).not.toContain('remembered');

  // After a reload (a new page, the same browser profile) the choice comes from storage.
  await playground.open();
  const started = Date.now();
  const second = await playground.createRun({ model: 'lstm', preset: 'tiny' });
  await playground.step(second, 1);
  const trained = await playground.waitForStep(second, 1, 60_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(`lstm tiny, Auto, remembered choice: first step after ${seconds.toFixed(1)} s`);
  expect(trained.error).toBeNull();
  expect(trained.backend).toBe(timed.backend);
  expect(trained.backendChoice!.picked).toBe(timed.backendChoice!.picked);
  expect(trained.backendChoice!.trials).toEqual(timed.backendChoice!.trials);
  expect(trained.backendChoice!.reason).toContain('remembered');
});
