#!/usr/bin/env node
/**
 * `node scripts/run-together.mjs A B …`: runs the npm scripts A, B, … at the same time, prints
 * each one's output in order once they have all ended, and exits with the first failure's code.
 * `npm test` runs the static checks (one core, about 50 s) beside the PyTorch tests (mostly one
 * core, about 75 s) on two cores.
 */
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/run-together.mjs SCRIPT [SCRIPT …]');
  process.exit(2);
}

/** Runs `npm run NAME`, collecting its stdout and stderr together. */
function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    const child = spawn('npm', ['run', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('error', (error) =>
      resolve({ name, code: 1, output: `${error.message}\n`, seconds: seconds() }),
    );
    child.on('close', (code) =>
      resolve({
        name,
        code: code ?? 1, // null: ended by a signal
        output: Buffer.concat(chunks).toString(),
        seconds: seconds(),
      }),
    );
  });
}

console.log(`Running together: ${names.map((name) => `npm run ${name}`).join(', ')}`);
const results = await Promise.all(names.map(run));
for (const { name, code, output, seconds } of results) {
  const verdict = code === 0 ? 'passed' : `failed (exit ${code})`;
  console.log(`\n── npm run ${name}: ${verdict} in ${seconds.toFixed(1)} s`);
  if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
}
const failed = results.find((result) => result.code !== 0);
process.exit(failed ? failed.code : 0);
