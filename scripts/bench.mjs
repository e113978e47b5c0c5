#!/usr/bin/env node
/**
 * `npm run bench`: builds the app, serves it, and measures in headless Chromium with the same flags
 * as the browser tests: every model × preset × backend (ms/step, FLOPs, memory), each registered
 * optimisation switched off vs on, k-means, the Moving MNIST generator and the video decoder in a
 * benchmark worker; then the app itself (a run through the UI against a bare loop, the main thread
 * while two runs train, the seconds from Create & start to the first step of each tiny preset in a
 * fresh browser profile) and the GPU pool over a long run. Prints one report with the targets and
 * the change against the previous run, and writes bench-results/latest.json plus a dated copy.
 *
 * Options (defaults in brackets):
 *   --backends webgpu,webgl,cpu   --cells lstm/composite/tiny,…   --include-large (paper presets)
 *   --steps 10  --warmup 3  --max-seconds 90 (per cell; slower cells report fewer steps or skip)
 *   --decode-runs 3           video decode runs (0 skips)
 *   --no-optimizations        skip the off-vs-on measurement of each optimisation
 *   --overhead-cell lstm/composite/tiny  --overhead-rounds 24  --overhead-segment 12 (steps; 0 rounds skips)
 *   --ui-seconds 20           main thread while two runs train (0 skips)
 *   --memory-cells lstm/composite/tiny  --memory-steps 1000 (0 skips)
 *   --first-step-cells lstm/composite/tiny,… (every model's tiny preset; none skips)
 *   --out bench-results
 */
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-flags.mjs';
import { measureFirstStep, measureResponsiveness, openAppRun } from './bench-app.mjs';
import { formatReport } from '../src/bench/report.ts';
import { MODELS } from '../src/core/models/registry.ts';
import { quantile, throughput } from '../src/core/train/stats.ts';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const parseCell = (text) => {
  const [model, variant, preset] = text.split('/');
  return { model, variant, preset };
};
const decodeRuns = Number(option('decode-runs', '3'));
const plan = {
  backends: option('backends', 'webgpu,webgl,cpu').split(','),
  steps: Number(option('steps', '10')),
  warmupSteps: Number(option('warmup', '3')),
  maxSecondsPerCell: Number(option('max-seconds', '90')),
  includeLarge: args.includes('--include-large'),
  optimizations: !args.includes('--no-optimizations'),
  // Decode throughput: the committed 720p H.264 fixture (2 s, 60 frames) to 64×64 gray.
  ...(decodeRuns > 0
    ? {
        decode: {
          url: '/bench-fixtures/bench-720p.mp4',
          label: '720p H.264 (2 s, testsrc2)',
          width: 64,
          height: 64,
          color: 'gray',
          runs: decodeRuns,
        },
      }
    : {}),
  ...(option('cells') ? { cells: option('cells').split(',').map(parseCell) } : {}),
};
const overheadCell = parseCell(option('overhead-cell', 'lstm/composite/tiny'));
const overheadRounds = Number(option('overhead-rounds', '24'));
const overheadSegment = Number(option('overhead-segment', '12'));
const uiSeconds = Number(option('ui-seconds', '20'));
const memoryCells = option('memory-cells', 'lstm/composite/tiny').split(',').map(parseCell);
const memorySteps = Number(option('memory-steps', '1000'));
const outDir = option('out', 'bench-results');
const everyTinyPreset = MODELS.filter((m) => m.presets.some((p) => p.id === 'tiny'))
  .map((m) => `${m.kind}/${m.defaultVariant}/tiny`)
  .join(',');
const firstStepOption = option('first-step-cells', everyTinyPreset);
const firstStepCells = firstStepOption === 'none' ? [] : firstStepOption.split(',').map(parseCell);
/** A first step later than this is reported as failed (the target is 10 s). */
const FIRST_STEP_TIMEOUT_MS = 180_000;

const PORT = Number(process.env.BENCH_PORT ?? 4199);
const BASE_URL = `http://127.0.0.1:${PORT}`;
/** Periodic held-out evaluation stays out of the overhead run: it is model work, not overhead. */
const NO_EVALUATION = { evalEvery: 1_000_000 };
/** Untimed steps on both sides of the overhead measurement before its rounds (JIT, pools). */
const WARMUP_STEPS = 5;

// Always rebuild: a stale dist/ would measure old code.
execSync('npm run build', { stdio: 'inherit' });
const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
  stdio: 'ignore',
  detached: true,
});
const stopServer = () => {
  try {
    process.kill(-server.pid);
  } catch {
    /* already gone */
  }
};

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${BASE_URL}/bench.html`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('vite preview did not start');
}

const log = (line) => console.error(`  ${line}`);
const cellKey = (c) => `${c.model}/${c.variant}/${c.preset}`;

/** The measured backend where `cell` ran fastest (among `allowed`), or the first allowed one. */
function fastestBackend(models, cell, allowed) {
  const rows = models
    .filter((r) => cellKey(r) === cellKey(cell) && allowed.includes(r.backend))
    .filter((r) => Number.isFinite(r.msPerStepMedian))
    .sort((a, b) => a.msPerStepMedian - b.msPerStepMedian);
  return rows[0] ?? null;
}

try {
  await waitForServer();
  const loadBefore = os.loadavg();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const benchPage = await browser.newPage();
  benchPage.on('console', (message) => log(message.text()));
  // The decode clip is served from the app's origin (it lives with the test fixtures).
  await benchPage.route('**/bench-fixtures/bench-720p.mp4', (route) =>
    route.fulfill({ path: 'e2e/fixtures/video/bench-720p.mp4', contentType: 'video/mp4' }),
  );
  await benchPage.goto(`${BASE_URL}/bench.html`);
  const task = (t) => benchPage.evaluate((x) => window.runBenchmark(x), t);

  // First, while nothing else of the benchmark runs: each start in its own fresh profile.
  const firstStep = [];
  for (const cell of firstStepCells) {
    log(`first step: ${cellKey(cell)}, Auto backend, fresh profile`);
    firstStep.push(await measureFirstStep(browser, BASE_URL, cell, FIRST_STEP_TIMEOUT_MS));
  }

  const result = await task({ task: 'cells', plan });

  // App overhead: many short rounds, each one segment of the app run, of a bare loop and of a
  // twin of that bare loop in another worker (in rotating order), so load that drifts during the
  // measurement (a 2-core machine, a software GPU) affects every side alike. The twin against the
  // bare loop is the same code against itself: the spread this machine gives a ratio. While a bare
  // loop trains, the app page's main thread is held still.
  let overhead = null;
  const overheadRow = fastestBackend(result.models, overheadCell, Object.keys(result.adapters));
  if (overheadRounds > 0 && overheadRow) {
    const { backend } = overheadRow;
    const loopPlan = { cell: overheadCell, config: NO_EVALUATION, backend };
    log(
      `overhead: ${cellKey(overheadCell)} on ${backend}, ${overheadRounds} rounds of 3 × ${overheadSegment} steps`,
    );
    const appPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const app = await openAppRun(appPage, BASE_URL, loopPlan);
    const bareSides = ['bare', 'twin'];
    for (const name of bareSides) {
      await benchPage.evaluate(([n, p]) => window.bareLoops.open(n, p), [name, loopPlan]);
    }
    const train = async (side, steps) => {
      if (side === 'app') return app.train(steps);
      await app.hold();
      const ends = await benchPage.evaluate(
        ([n, k]) => window.bareLoops.train(n, k),
        [side, steps],
      );
      await app.resume();
      return ends;
    };
    const sides = ['app', ...bareSides];
    for (const side of sides) await train(side, WARMUP_STEPS);
    const rounds = [];
    for (let round = 0; round < overheadRounds; round++) {
      const segment = {};
      const order = sides.map((_, i) => sides[(i + round) % sides.length]);
      for (const side of order) segment[side] = await train(side, overheadSegment);
      rounds.push(segment);
    }
    const endsByStep = await app.stepEndsMs();
    await app.dispose();
    await appPage.close();
    for (const name of bareSides) await benchPage.evaluate((n) => window.bareLoops.close(n), name);
    // Steps/s within a segment, without its first and last steps: their intervals overlap the
    // harness's own clicks (Resume, Pause) on the same cores. The same for the bare loops.
    const rate = (ends) => throughput(ends.slice(0, -1), 1);
    const appRounds = rounds.map(({ app: { from, to } }) => {
      const ends = [];
      for (let step = from; step <= to; step++) ends.push(endsByStep.get(step));
      return rate(ends);
    });
    const bareRounds = rounds.map((r) => rate(r.bare));
    const twinRounds = rounds.map((r) => rate(r.twin));
    const sorted = (values) => [...values].sort((a, b) => a - b);
    const ratios = sorted(appRounds.map((r, i) => r / bareRounds[i]));
    const twinRatios = sorted(twinRounds.map((r, i) => r / bareRounds[i]));
    overhead = {
      ...overheadCell,
      backend,
      config: NO_EVALUATION,
      segmentSteps: overheadSegment,
      appRounds,
      bareRounds,
      roundRatios: ratios,
      ratio: quantile(ratios, 0.5),
      twin: { rounds: twinRounds, roundRatios: twinRatios, ratio: quantile(twinRatios, 0.5) },
    };
  }

  // The main thread while two runs train, each on its fastest measured backend.
  let responsiveness = null;
  if (uiSeconds > 0) {
    const specs = ['lstm/composite/tiny', 'vgan/two-stream/tiny'].map((text) => {
      const cell = parseCell(text);
      const row = fastestBackend(result.models, cell, Object.keys(result.adapters));
      return { ...cell, backend: row?.backend ?? 'cpu' };
    });
    log(`main thread while ${specs.map(cellKey).join(' and ')} train, ${uiSeconds} s`);
    const appPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const measured = await measureResponsiveness(appPage, BASE_URL, {
      specs,
      seconds: uiSeconds,
      views: ['run', 'compare'],
    });
    await appPage.close();
    responsiveness = {
      runs: specs.map((s) => `${cellKey(s)} (${s.backend})`),
      backend: [...new Set(specs.map((s) => s.backend))].join(' + '),
      seconds: uiSeconds,
      views: ['run', 'compare'],
      ...measured,
    };
  }

  // Memory over a long run, on the fastest backend that reports a GPU pool.
  const memory = [];
  const pooled = Object.keys(result.adapters).filter((b) => b !== 'cpu');
  for (const cell of memorySteps > 0 ? memoryCells : []) {
    const row = fastestBackend(result.models, cell, pooled);
    const backend = row?.backend ?? pooled[0];
    if (!backend) break;
    log(`memory: ${cellKey(cell)} on ${backend}, ${memorySteps} steps`);
    memory.push(
      await task({
        task: 'memory',
        plan: {
          spec: { ...cell, backend },
          steps: memorySteps,
          warmupFraction: 0.2,
          maxSeconds: 1800,
        },
      }),
    );
  }
  await browser.close();

  const record = {
    version: 3,
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'CPU',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadBefore,
      loadAfter: os.loadavg(),
    },
    userAgent: result.userAgent,
    adapters: result.adapters,
    plan: {
      ...plan,
      overheadCell,
      overheadRounds,
      overheadSegment,
      uiSeconds,
      memoryCells,
      memorySteps,
      firstStepCells,
    },
    models: result.models,
    optimizations: result.optimizations,
    modelBenchmarks: result.modelBenchmarks,
    generator: result.generator,
    decode: result.decode,
    memory,
    overhead,
    responsiveness,
    firstStep,
  };
  const latest = `${outDir}/latest.json`;
  const previous = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')) : null;
  console.log(`\n${formatReport(record, Array.isArray(previous?.models) ? previous : null)}`);
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(record, null, 2);
  const dated = `${outDir}/${record.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(latest, json);
  writeFileSync(dated, json);
  console.log(`\nWrote ${latest} and ${dated}`);
} finally {
  stopServer();
}
