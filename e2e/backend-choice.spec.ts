/**
 * The right backend for the machine without waiting for it: here WebGPU is SwiftShader (a software
 * adapter), so a run created without a backend starts on the CPU backend (which compiles no
 * kernels), times a few training steps of its model on the CPU, WebGPU and WebGL in slices between
 * its own training steps from its first step on (it never stops training for the timing), and
 * moves to the fastest at a step boundary, saying so next to the backend badge. The choice is
 * remembered per adapter and configuration (a reload starts the same spec on the remembered
 * backend without timing again); a forced backend is kept.
 */
import { expect, test } from './fixtures';
import type { RunSnapshot } from '../src/app/runs/run-manager';

/** The backend the trials favour: the fastest, unless it is less than 1.2× faster than the CPU. */
function expectedPick(choice: NonNullable<RunSnapshot['backendChoice']>): string {
  const timed = choice.trials.filter((trial) => trial.msPerStep !== null);
  const fastest = timed.reduce((a, b) => (b.msPerStep! < a.msPerStep! ? b : a));
  const cpu = timed.find((trial) => trial.backend === 'cpu');
  return cpu && fastest.msPerStep! * 1.2 > cpu.msPerStep! ? 'cpu' : fastest.backend;
}

const relativeDifference = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('a run with no backend forced on a software WebGPU adapter starts on the CPU and moves to the fastest backend it measured, which a reload remembers', async ({
  playground,
  page,
}) => {
  test.setTimeout(480_000);
  await playground.open();
  const id = await playground.createRun({ model: 'lstm', preset: 'tiny' });
  const ready = await playground.getRun(id);
  test.skip(ready.backendChoice === null, 'WebGPU is a hardware adapter');

  // Ready on the CPU at once: nothing timed yet.
  expect(ready.backend).toBe('cpu');
  expect(ready.backendChoice).toMatchObject({ picked: 'cpu', startedOn: 'cpu', pending: true });
  expect(ready.backendChoice!.trials).toEqual([]);
  const note = page.getByTestId('backend-choice');
  await expect(note).toContainText('software adapter');
  await expect(note).toContainText('Training on CPU meanwhile');

  // After the first step the backends are timed in slices between the run's own steps: it goes
  // on training meanwhile (a step after each slice, and each backend takes at least two slices).
  await playground.call('start', id);
  let settled = ready;
  let [lastStep, lastStepAt, longestGap] = [0, Date.now(), 0];
  await expect
    .poll(
      async () => {
        settled = await playground.getRun(id);
        if (settled.step !== lastStep) {
          if (lastStep > 0) longestGap = Math.max(longestGap, Date.now() - lastStepAt);
          [lastStep, lastStepAt] = [settled.step, Date.now()];
        }
        return settled.backendChoice?.pending;
      },
      { timeout: 360_000, intervals: [200] },
    )
    .toBeUndefined();
  await playground.call('pause', id);
  const trained = await playground.getRun(id);
  console.log(
    `lstm tiny, Auto: backends timed while training steps 2–${settled.step}; longest wait between two steps ${(longestGap / 1000).toFixed(1)} s`,
  );
  expect(settled.step).toBeGreaterThanOrEqual(1 + 4 + 2 + 2);
  expect(trained.error).toBeNull();
  const choice = trained.backendChoice!;
  expect(choice.pending).toBeUndefined();
  expect(choice.reason).not.toContain('remembered');
  expect(choice.trials.map((trial) => trial.backend)).toEqual(['cpu', 'webgpu', 'webgl']);
  expect(choice.trials.filter((trial) => trial.msPerStep !== null).length).toBeGreaterThanOrEqual(
    2,
  );
  expect(choice.picked).toBe(expectedPick(choice));
  expect(trained.backend).toBe(choice.picked);
  if (choice.picked === 'cpu') expect(choice.switchedAtStep).toBeUndefined();
  else expect(choice.switchedAtStep).toBeGreaterThan(4);
  const steps = trained.metrics.loss.map(([step]) => step);
  expect(steps).toEqual(steps.map((_, i) => i + 1));
  expect(trained.metrics.loss.every(([, value]) => Number.isFinite(value))).toBe(true);

  // The note names the reason, the pick, where the run switched and every timing.
  await expect(note).toContainText(/per step/);
  await expect(note.locator('li')).toHaveCount(3);
  if (choice.switchedAtStep)
    await expect(note).toContainText(`since step ${choice.switchedAtStep}`);
  await expect(page.getByTestId('backend-badge')).toContainText(trained.backend!, {
    ignoreCase: true,
  });
  await page.screenshot({ path: 'test-results/backend-choice.png', fullPage: true });

  // A forced backend is never second-guessed. The timing and the move left the run's training
  // as it was: the same seeds forced onto the CPU take the same first step, and the same next
  // steps up to the backends' rounding.
  const forced = await playground.createRun({ model: 'lstm', preset: 'tiny', backend: 'cpu' });
  const forcedReady = await playground.getRun(forced);
  expect(forcedReady.backend).toBe('cpu');
  expect(forcedReady.backendChoice).toBeNull();
  await playground.step(forced, 4);
  const forcedRun = await playground.waitForStep(forced, 4, 120_000);
  const losses = (run: RunSnapshot) => run.metrics.loss.slice(0, 4).map(([, value]) => value);
  expect(losses(trained)[0]).toBeCloseTo(losses(forcedRun)[0], 4);
  losses(forcedRun).forEach((value, i) =>
    expect(relativeDifference(losses(trained)[i], value)).toBeLessThan(1e-3),
  );

  // After a reload (a new page, the same browser profile) the choice comes from storage.
  await playground.open();
  const started = Date.now();
  const second = await playground.createRun({ model: 'lstm', preset: 'tiny' }, { start: true });
  const secondStep = await playground.waitForStep(second, 1, 60_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `lstm tiny, Auto, remembered choice: first step after ${seconds.toFixed(1)} s on ${secondStep.backend}`,
  );
  expect(secondStep.error).toBeNull();
  expect(secondStep.backendChoice!.trials).toEqual(choice.trials);
  expect(secondStep.backendChoice!.picked).toBe(choice.picked);
  expect(secondStep.backendChoice!.reason).toContain('remembered');
  // It moves after its first step, with no timing: the trials are the remembered ones.
  const moved = await playground.waitForStep(second, 3, 240_000);
  expect(moved.error).toBeNull();
  expect(moved.backend).toBe(trained.backend);
  expect(moved.backendChoice!.trials).toEqual(choice.trials);
  if (moved.backend !== 'cpu') expect(moved.backendChoice!.switchedAtStep).toBe(1);
});
