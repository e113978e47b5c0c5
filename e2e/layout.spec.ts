/**
 * The first screen and the run view as a new user sees them: what to press is in view without
 * scrolling at 1280×720, a model card's button starts training, and the run view shows frames and
 * the loss curve before statistics and checkpoints. axe-core checks each view for serious or
 * critical violations; screenshots at three window sizes go to test-results/ to be looked at.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
] as const;

const AXE_SOURCE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: unknown[] }[];
}

/** The serious and critical axe-core violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol: the app's CSP (rightly) blocks inline script tags.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `test-results/layout-${name}-${size.width}x${size.height}.png` });
  }
}

test('first screen: the buttons in view at 1280×720, a model card starts training, frames first', async ({
  playground,
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await playground.open();
  const heading = page.getByRole('heading', { name: 'Train a video model in your browser' });
  await expect(heading).toBeVisible();

  // Every model card's button and the classroom demo are on screen without scrolling.
  const quickStarts = page.getByRole('button', { name: /^Train the .* preset of / });
  await expect(quickStarts).toHaveCount(3);
  for (const button of await quickStarts.all()) await expect(button).toBeInViewport();
  await expect(page.getByRole('button', { name: 'All models side by side' })).toBeInViewport();

  expect(await seriousViolations(page)).toEqual([]);
  await screenshots(page, 'first-screen');

  // The LSTM card's button creates and starts a tiny run (CPU here: this test is about layout).
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByLabel('Backend').selectOption('cpu');
  await page.getByRole('button', { name: /^Train the .* preset of LSTM/ }).click();
  await expect.poll(() => page.evaluate(() => window.playground.listRuns().length)).toBe(1);
  const [id] = await page.evaluate(() => window.playground.listRuns());
  await playground.waitForStep(id, 3, 120_000);
  expect(await playground.getRun(id)).toMatchObject({
    model: 'lstm',
    preset: 'tiny',
    backend: 'cpu',
  });

  // Frames come before the statistics and the checkpoint controls, the loss chart right after.
  const frames = page.getByTestId('frame-view');
  await expect(frames).toBeVisible();
  const loss = page.getByRole('heading', { name: 'Training loss' });
  const checkpoint = page.getByRole('button', { name: 'Save in browser' });
  const top = async (locator: ReturnType<Page['locator']>) =>
    (await locator.boundingBox())?.y ?? Number.POSITIVE_INFINITY;
  expect(await top(frames)).toBeLessThan(720);
  expect(await top(frames)).toBeLessThan(await top(loss));
  expect(await top(loss)).toBeLessThan(await top(checkpoint));

  await page.evaluate((runId) => window.playground.pause(runId), id);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshots(page, 'run-lstm');
});
