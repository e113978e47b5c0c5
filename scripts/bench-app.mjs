/**
 * The benchmark's measurements of the app itself, driven in the real UI (index.html) through
 * Playwright: a run's training throughput as the app delivers it, the main thread's long tasks
 * and frame rate while two runs train, and the seconds from Create & start to the first step.
 */
import os from 'node:os';

/** Opens the app and waits for `window.playground`. */
async function openApp(page, baseUrl) {
  await page.goto(`${baseUrl}/`);
  await page.waitForFunction(() => 'playground' in window);
  await page.evaluate(() => window.playground.ready);
}

/**
 * A run created in the app and trained in segments with its Start / Resume and Pause button, as a
 * user would. Between segments the page's main thread can be held still (the DevTools protocol's
 * debugger pause), so that while the bare loop trains the idle app takes nothing from it.
 */
export async function openAppRun(page, baseUrl, { cell, backend, config }) {
  await openApp(page, baseUrl);
  const id = await page.evaluate((spec) => window.playground.createRun(spec), {
    model: cell.model,
    variant: cell.variant,
    preset: cell.preset,
    backend,
    config,
  });
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Debugger.enable');
  let step = 0;
  let poke = Promise.resolve();
  const toggle = () => page.getByRole('button', { name: /^(Start|Resume|Pause)$/ });
  return {
    /** Trains `steps` more steps; the step numbers it reached. */
    async train(steps) {
      const from = step + 1;
      await toggle().click(); // Start / Resume
      const snapshot = await page.evaluate(
        ([runId, n]) => window.playground.waitForStep(runId, n, 30 * 60_000),
        [id, step + steps],
      );
      await toggle().click(); // Pause (it waits for the step in flight)
      // Polled on a timer: the default (every animation frame) would itself keep the page busy.
      await page.waitForFunction(
        (runId) => window.playground.getRun(runId).status === 'paused',
        id,
        { polling: 100 },
      );
      step = await page.evaluate((runId) => window.playground.getRun(runId).step, id);
      return { from, to: Math.max(snapshot.step, step) };
    },
    /** Stops the page's main thread until `resume`. */
    async hold() {
      const held = new Promise((resolve) => devtools.once('Debugger.paused', resolve));
      await devtools.send('Debugger.pause');
      // The pause takes effect at the next script the page runs: run one now (it completes on resume).
      poke = devtools.send('Runtime.evaluate', { expression: '0' });
      await held;
    },
    async resume() {
      await devtools.send('Debugger.resume');
      await poke;
    },
    /** The worker's wall-clock time at the end of every step so far (the metric points' wallMs). */
    async stepEndsMs() {
      const json = await page.evaluate(async (runId) => {
        const blob = await window.playground.exportMetrics(runId, 'json');
        return blob.text();
      }, id);
      const { series } = JSON.parse(json);
      const first = Object.values(series)[0];
      return new Map(first.steps.map((s, i) => [s, first.wallMs[i]]));
    },
    dispose: () => page.evaluate((runId) => window.playground.dispose(runId), id),
  };
}

/**
 * Two runs train in the app while the page records long tasks (PerformanceObserver 'longtask')
 * and animation frames (requestAnimationFrame), showing each view in `views` for an equal share of
 * `seconds`.
 */
export async function measureResponsiveness(page, baseUrl, { specs, seconds, views }) {
  await openApp(page, baseUrl);
  const ids = [];
  for (const spec of specs)
    ids.push(await page.evaluate((s) => window.playground.createRun(s), spec));
  for (const id of ids) await page.evaluate((runId) => window.playground.start(runId), id);
  // Measure once both are past their first steps (start-up is not training).
  for (const id of ids) {
    await page.evaluate((runId) => window.playground.waitForStep(runId, 2, 600_000), id);
  }
  const stepsBefore = await page.evaluate(
    (list) => list.map((id) => window.playground.getRun(id).step),
    ids,
  );
  await page.evaluate(() => {
    const probe = { longTasks: [], frames: [], viewsShown: [], running: true };
    window.__responsiveness = probe;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        probe.longTasks.push({ startMs: entry.startTime, durationMs: entry.duration });
      }
    }).observe({ type: 'longtask' });
    const tick = (time) => {
      probe.frames.push(time);
      if (probe.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  for (const view of views) {
    await page.evaluate(
      ([v, list]) => {
        window.__responsiveness.viewsShown.push({ view: v, atMs: performance.now() });
        return v === 'compare' ? window.playground.compare(list) : window.playground.setView(v);
      },
      [view, ids],
    );
    await page.waitForTimeout((seconds * 1000) / views.length);
  }
  const probe = await page.evaluate(() => {
    const p = window.__responsiveness;
    p.running = false;
    return { longTasks: p.longTasks, frames: p.frames, viewsShown: p.viewsShown };
  });
  const stepsAfter = await page.evaluate(
    (list) => list.map((id) => window.playground.getRun(id).step),
    ids,
  );
  for (const id of ids) await page.evaluate((runId) => window.playground.dispose(runId), id);
  const gaps = probe.frames.slice(1).map((t, i) => t - probe.frames[i]);
  const span = (probe.frames.at(-1) - probe.frames[0]) / 1000;
  // Each long task with the view on screen and how long after switching to it it began.
  const taskLog = probe.longTasks.map(({ startMs, durationMs }) => {
    const shown = probe.viewsShown.filter((v) => v.atMs <= startMs).at(-1);
    return {
      view: shown?.view ?? 'before the first view',
      msAfterSwitch: shown ? Math.round(startMs - shown.atMs) : null,
      durationMs: Math.round(durationMs),
    };
  });
  return {
    longTasks: probe.longTasks.length,
    longestTaskMs: probe.longTasks.length
      ? Math.max(...probe.longTasks.map((t) => t.durationMs))
      : 0,
    taskLog,
    framesPerSecond: gaps.length / span,
    longestFrameMs: gaps.length ? Math.max(...gaps) : NaN,
    steps: stepsAfter.map((after, i) => after - stepsBefore[i]),
  };
}

/**
 * Seconds from Create & start to the first reported step, as a new user meets it: a fresh browser
 * context (empty storage and cache, so no remembered backend choice), the cell picked in the
 * sidebar, the Auto backend. A run that fails or does not step within `timeoutMs` gives
 * `seconds: null` and the reason.
 */
export async function measureFirstStep(browser, baseUrl, cell, timeoutMs) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const loadAverage = os.loadavg()[0];
  try {
    await openApp(page, baseUrl);
    await page.getByLabel('Model', { exact: true }).selectOption(cell.model);
    await page.getByLabel('Variant', { exact: true }).selectOption(cell.variant);
    await page.locator(`input[name="preset"][value="${cell.preset}"]`).check();
    await page.getByLabel('Backend', { exact: true }).selectOption('auto');
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Create & start', exact: true }).click();
    const run = await page.evaluate(
      ([ms]) => window.playground.waitForStep(window.playground.listRuns()[0], 1, ms),
      [timeoutMs],
    );
    const seconds = (Date.now() - clicked) / 1000;
    return { ...cell, seconds, backend: run.backend, error: null, loadAverage };
  } catch (error) {
    return { ...cell, seconds: null, backend: null, error: error.message, loadAverage };
  } finally {
    await context.close();
  }
}
