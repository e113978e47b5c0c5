#!/usr/bin/env node
/**
 * `npm run test:python`: the PyTorch package (python/) against the app, in three steps:
 *   1. the app's reference outputs, computed with its tfjs code (tests/python/write-references.ts);
 *   2. the Python tests (python/tests/, unittest): parity with those outputs, the training CLI,
 *      two-process data parallelism (gloo on the CPU), the checkpoint format; they write
 *      checkpoints from PyTorch;
 *   3. the app opening those checkpoints and training on (tests/python/check-python-checkpoints.ts).
 *
 * Python: $PYTHON if set, else the first of /usr/bin/python3, python3, python that imports torch
 * and numpy (Debian: apt-get install python3-torch python3-numpy).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECK = 'import torch, numpy; print(torch.__version__, numpy.__version__)';

function findPython() {
  const candidates = process.env.PYTHON
    ? [process.env.PYTHON]
    : ['/usr/bin/python3', 'python3', 'python'];
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['-c', CHECK], { encoding: 'utf8' });
    if (result.status === 0) return { python: candidate, versions: result.stdout.trim() };
  }
  console.error(
    `test:python needs Python 3 with PyTorch and NumPy; none of ${candidates.join(', ')} imports both.\n` +
      'Debian: apt-get install python3-torch python3-numpy (.ci/run does this), or set PYTHON to one that does.',
  );
  process.exit(1);
}

function run(label, command, args, env = {}) {
  console.log(`\n── ${label}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) {
    console.error(`test:python: ${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const { python, versions } = findPython();
console.log(`test:python: ${python} (torch, numpy ${versions})`);
const references = mkdtempSync(path.join(tmpdir(), 'vmp-python-'));
try {
  run('the app’s reference outputs (tfjs, CPU)', process.execPath, [
    '--import',
    'tsx',
    'tests/python/write-references.ts',
    references,
  ]);
  run(
    'Python tests',
    python,
    ['-m', 'unittest', 'discover', '-s', 'python/tests', '-t', 'python', '-v'],
    {
      PYTHONPATH: path.join(root, 'python'),
      VMP_REFERENCES: references,
    },
  );
  run('the app opens the PyTorch checkpoints', process.execPath, [
    '--import',
    'tsx',
    'tests/python/check-python-checkpoints.ts',
    references,
  ]);
} finally {
  rmSync(references, { recursive: true, force: true });
}
