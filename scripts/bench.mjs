#!/usr/bin/env node
/**
 * `npm run bench`: builds the app, serves it, runs bench.html in headless Chromium with
 * the same flags as the browser tests, prints one table and writes bench-results/latest.json.
 *
 * Options: --backends webgpu,webgl,cpu  --steps 10  --warmup 3  --max-seconds 90 (per cell)
 *          --include-large
 *          --cells lstm/composite/tiny,lstm/composite/small
 *          --decode-runs 3 (0 skips the video decode measurement)
 */
import { execSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-flags.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const plan = {
  backends: option('backends', 'webgpu,webgl,cpu').split(','),
  steps: Number(option('steps', '10')),
  warmupSteps: Number(option('warmup', '3')),
  maxSecondsPerCell: Number(option('max-seconds', '90')),
  includeLarge: args.includes('--include-large'),
  // Decode throughput: the committed 720p H.264 fixture (2 s, 60 frames) to 64×64 gray.
  ...(Number(option('decode-runs', '3')) > 0
    ? {
        decode: {
          url: '/bench-fixtures/bench-720p.mp4',
          label: '720p H.264 (2 s, testsrc2)',
          width: 64,
          height: 64,
          color: 'gray',
          runs: Number(option('decode-runs', '3')),
        },
      }
    : {}),
  ...(option('cells')
    ? {
        cells: option('cells')
          .split(',')
          .map((cell) => {
            const [model, variant, preset] = cell.split('/');
            return { model, variant, preset };
          }),
      }
    : {}),
};

const PORT = Number(process.env.BENCH_PORT ?? 4199);

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
      if ((await fetch(`http://127.0.0.1:${PORT}/bench.html`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('vite preview did not start');
}

const mb = (bytes) => (bytes == null ? '–' : (bytes / 2 ** 20).toFixed(1));
const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function printTable(rows, header) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of rows) console.log(line(row));
}

try {
  await waitForServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage();
  page.on('console', (message) => console.error(`  ${message.text()}`));
  // The decode clip is served from the app's origin (it lives with the test fixtures).
  await page.route('**/bench-fixtures/bench-720p.mp4', (route) =>
    route.fulfill({ path: 'e2e/fixtures/video/bench-720p.mp4', contentType: 'video/mp4' }),
  );
  await page.goto(`http://127.0.0.1:${PORT}/bench.html`);
  const result = await page.evaluate((p) => window.runBenchmark(p), plan);
  await browser.close();

  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  console.log(`\nMachine: ${machine}`);
  console.log(`Browser: ${result.userAgent}`);
  for (const [backend, adapter] of Object.entries(result.adapters)) {
    console.log(`Adapter (${backend}): ${adapter}`);
  }
  console.log('');
  printTable(
    result.models.map((r) => [
      `${r.model}/${r.variant}/${r.preset}`,
      r.backend,
      r.batchSize,
      r.parameters.toLocaleString('en-US'),
      fixed(r.msPerStepMedian),
      `${fixed(r.msPerStepMin)}–${fixed(r.msPerStepMax)}`,
      fixed(r.stepsPerSecond, 2),
      fixed(r.examplesPerSecond, 1),
      mb(r.peakTensorBytes),
      mb(r.gpuPoolBytes),
      r.note ?? '',
    ]),
    [
      'model/variant/preset',
      'backend',
      'batch',
      'params',
      'ms/step (median)',
      'min–max',
      'steps/s',
      'examples/s',
      'peak tensors MB',
      'GPU pool MB',
      'note',
    ],
  );
  if (result.kmeans?.length) {
    console.log('\nrCNN patch dictionary: mini-batch k-means updates');
    printTable(
      result.kmeans.map((r) => [
        `rcnn/${r.preset}`,
        r.backend,
        r.dictionarySize.toLocaleString('en-US'),
        r.batchSize.toLocaleString('en-US'),
        r.patchDims,
        fixed(r.iterationsPerSecond, 2),
        fixed(r.msPerIteration, 1),
      ]),
      ['preset', 'backend', 'K', 'batch', 'dims', 'iterations/s', 'ms/iteration'],
    );
  }
  console.log(
    `\nMoving MNIST generator: ${Math.round(result.generator.sequencesPerSecond)} sequences/s (${result.generator.name})`,
  );
  if (result.decode && 'failed' in result.decode) {
    console.log(`Video decode: failed (${result.decode.failed})`);
  } else if (result.decode) {
    const d = result.decode;
    console.log(
      `Video decode: ${Math.round(d.framesPerSecond)} frames/s, ${d.clip} [${d.codec}] → ${d.target} (${d.frames} frames, median of ${d.runs} runs: ${fixed(d.msMedian, 0)} ms; mediabunny + WebCodecs in a worker)`,
    );
  }
  mkdirSync('bench-results', { recursive: true });
  const record = { date: new Date().toISOString(), machine, plan, ...result };
  writeFileSync('bench-results/latest.json', JSON.stringify(record, null, 2));
  console.log('Wrote bench-results/latest.json');
} finally {
  stopServer();
}
