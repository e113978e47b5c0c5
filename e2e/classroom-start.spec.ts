/**
 * Seconds to the first step of the classroom demo and of a shared lesson link, with the Auto
 * backend in a fresh browser profile (no backend choice remembered): the demo's button on the
 * first screen, and a link that opens the presentation view with its controls hidden and starts
 * training. Every model's classroom preset trains side by side in its own worker. The times from
 * the click (or the page load) to each run's first reported step are printed; the test asserts
 * that every run starts training, not how fast (timings are a benchmark matter, BENCHMARKS.md).
 */
import type { Page } from '@playwright/test';
import { MODEL_KINDS, modelDefinition } from '../src/core/models/registry';
import { experimentUrl, viewQuery } from '../src/protocol/experiment';
import type { RunSpec } from '../src/protocol/messages';
import { expect, test } from './fixtures';

/** Polls every run until each has reported its first step; seconds after `since` for each. */
async function firstSteps(page: Page, since: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  await expect
    .poll(
      async () => {
        const runs = await page.evaluate(() =>
          window.playground.listRuns().map((id) => window.playground.getRun(id)),
        );
        for (const run of runs) {
          if (run.error) throw new Error(`${run.model}: ${run.error.message}`);
          if (run.step >= 1 && !seen.has(run.model))
            seen.set(run.model, (Date.now() - since) / 1000);
        }
        return seen.size;
      },
      { timeout: 300_000, intervals: [250] },
    )
    .toBe(MODEL_KINDS.length);
  return seen;
}

function report(what: string, seen: Map<string, number>): void {
  const each = [...seen].map(([model, s]) => `${model} ${s.toFixed(1)} s`).join(', ');
  const first = Math.min(...seen.values());
  console.log(`${what}: first step of the first run ${first.toFixed(1)} s; each: ${each}`);
}

test('the classroom demo button on the first screen starts every model training', async ({
  playground,
  page,
}) => {
  test.setTimeout(360_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await playground.open();
  const demo = page.getByRole('button', { name: 'All models side by side' });
  await expect(demo).toBeInViewport();
  const clicked = Date.now();
  await demo.click();
  await expect(page.getByTestId('present-view')).toBeVisible();
  report('Classroom demo', await firstSteps(page, clicked));
});

test('a lesson link opens the presentation and starts every model training', async ({
  playground,
  page,
}) => {
  test.setTimeout(360_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const runs: RunSpec[] = MODEL_KINDS.map((kind) => {
    const entry = modelDefinition(kind);
    return {
      model: kind,
      variant: entry.classroom.variant ?? entry.defaultVariant,
      preset: entry.classroom.preset,
      data: { source: 'moving-mnist', seed: 42, digits: 2, speed: 3 },
      seed: 0,
    };
  });
  const link = experimentUrl(`/${viewQuery('present', true)}`, { runs, start: true });
  const opened = Date.now();
  await playground.open(link);
  await expect(page.getByTestId('present-view')).toBeVisible();
  report('Lesson link', await firstSteps(page, opened));
});
