/**
 * Seconds to the first step: Create & start with the Auto backend, for each model's tiny preset,
 * in a fresh browser profile (so no backend choice is remembered). On a software WebGPU adapter
 * the run starts on the CPU backend, which compiles no kernels, and times the other backends
 * after its first step (backend-choice.spec.ts). The time from the click to the first reported
 * step is printed; the test asserts only that training starts (timings are a benchmark matter:
 * `npm run bench` measures the same in fresh profiles against the 10 s target, BENCHMARKS.md).
 */
import { expect, test } from './fixtures';

for (const model of ['lstm', 'vgan', 'rcnn']) {
  test(`${model} tiny with the Auto backend trains its first step after Create & start`, async ({
    playground,
    page,
  }) => {
    await playground.open();
    await page.getByLabel('Model', { exact: true }).selectOption(model);
    await expect(page.getByRole('radio', { name: /Tiny/ })).toBeChecked();
    await expect(page.getByLabel('Backend', { exact: true })).toHaveValue('auto');

    const clicked = Date.now();
    await page.getByRole('button', { name: 'Create & start', exact: true }).click();
    const id = await page.evaluate(() => window.playground.listRuns()[0]);
    const run = await playground.waitForStep(id, 1, 180_000);
    const seconds = (Date.now() - clicked) / 1000;
    console.log(
      `${model} tiny, Auto: first step ${seconds.toFixed(1)} s after Create & start, on ${run.backend}`,
    );
    expect(run.error).toBeNull();
    expect(run.status).toBe('running');
    const firstLosses = Object.values(run.metrics).map((series) => series[0]);
    expect(firstLosses.length).toBeGreaterThan(0);
    firstLosses.forEach(([step, value]) => {
      expect(step).toBe(1);
      expect(Number.isFinite(value)).toBe(true);
    });
    await expect(page.getByTestId('backend-badge')).toContainText(run.backend!, {
      ignoreCase: true,
    });
  });
}
