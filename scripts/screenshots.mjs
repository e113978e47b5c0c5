#!/usr/bin/env node
/**
 * Screenshots of every view at 1440×900, 1280×720 and 390×844 into test-results/screenshots/, to
 * be looked at (it asserts nothing, so it is not part of `npm test`): the first screen, the run
 * view of each model with a few steps trained, Compare with two runs, Present, Data, a lesson link
 * and the classroom demo while its later runs wait for their turn. Serves the built app (run
 * `npx vite build` first) and drives it like the browser tests. A Playwright test run empties
 * test-results/, so look before running one.
 *
 *   node --import tsx scripts/screenshots.mjs [--steps 3] [--out test-results/screenshots]
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-flags.mjs';
import { MODEL_KINDS } from '../src/core/models/registry.ts';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const steps = Number(option('steps', '3'));
const outDir = option('out', 'test-results/screenshots');
const PORT = Number(process.env.SCREENSHOT_PORT ?? 4198);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
];

const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
  stdio: 'ignore',
  detached: true,
});

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(BASE_URL)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('vite preview did not start');
}

async function open(page, path = '/') {
  await page.goto(`${BASE_URL}${path}`);
  await page.waitForFunction(() => 'playground' in window);
  await page.evaluate(() => window.playground.ready);
}

/** The page at each size, from the top; reports sideways scrolling (none is wanted). */
async function shoot(page, name) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(400); // charts redraw on resize in the next frames
    const sideways = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    const file = `${outDir}/${name}-${size.width}x${size.height}.png`;
    await page.screenshot({ path: file });
    console.log(`${file}${sideways > 0 ? ` (scrolls sideways by ${sideways} px)` : ''}`);
  }
  await page.setViewportSize(SIZES[1]);
}

mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  await waitForServer();
  const page = await browser.newPage({ viewport: SIZES[1] });
  page.on('pageerror', (error) => console.log(`pageerror: ${error.message}`));
  await open(page);
  await shoot(page, 'first-screen');

  // One tiny run of each model on the CPU (the backend does not matter to the layout).
  const ids = [];
  for (const model of MODEL_KINDS) {
    ids.push(
      await page.evaluate(
        (m) => window.playground.createRun({ model: m, preset: 'tiny', backend: 'cpu' }),
        model,
      ),
    );
  }
  for (const id of ids) await page.evaluate(([r, n]) => window.playground.step(r, n), [id, steps]);
  await page.evaluate(() => window.playground.setView('run'));
  const runItems = page.getByRole('complementary', { name: 'Runs' }).locator('.run-item');
  for (const [i, model] of MODEL_KINDS.entries()) {
    await runItems.nth(i).click();
    await page.getByTestId('frame-view').first().waitFor();
    await shoot(page, `run-${model}`);
  }

  // The whole rCNN run view once (its frame card holds the most rows).
  await runItems.nth(MODEL_KINDS.indexOf('rcnn')).click();
  await page.getByTestId('frame-view').first().waitFor();
  await page.screenshot({ path: `${outDir}/run-rcnn-full-page-1280.png`, fullPage: true });

  await page.evaluate((two) => window.playground.compare(two), [ids[0], ids[2]]);
  await shoot(page, 'compare');
  await page.evaluate((all) => window.playground.compare(all), ids);
  for (const view of ['present', 'data']) {
    await page.evaluate((v) => window.playground.setView(v), view);
    await shoot(page, view);
  }

  const lesson = await page.evaluate(() =>
    window.playground.shareUrl({ view: 'present', controlsHidden: true }),
  );
  await open(page, new URL(lesson).pathname + new URL(lesson).search + new URL(lesson).hash);
  await page.getByTestId('present-view').waitFor();
  await shoot(page, 'lesson');

  // The classroom demo: the first run is built alone, the others wait for their turn.
  await open(page);
  await page.getByRole('button', { name: 'All models side by side' }).click();
  await page.getByTestId('present-view').waitFor();
  await page.waitForTimeout(1500);
  await shoot(page, 'classroom-demo-waiting');
  await page.evaluate(() => window.playground.setView('run'));
  await runItems.last().click();
  await shoot(page, 'classroom-demo-waiting-run');
} finally {
  await browser.close();
  try {
    process.kill(-server.pid);
  } catch {
    /* already gone */
  }
}
