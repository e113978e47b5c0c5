/**
 * `npm run probe` arguments: defaults, lists, and clear messages for bad ones; and a probe of a
 * shipped checkpoint on a .npy array labelled by a labels file.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ProbeArgsError, parseProbeArgs, runProbe } from '../src/cli/probe';
import { encodeNpy } from '../src/core/data/npy';

describe('probe CLI arguments', () => {
  it('default to 1, 5, 10 and 50 labels per class and read a list', () => {
    expect(parseProbeArgs(['--checkpoint', 'a.safetensors']).labels).toEqual([1, 5, 10, 50]);
    const args = parseProbeArgs(['--checkpoint', 'a', '--labels', '5,10', '--digits', '1']);
    expect(args.labels).toEqual([5, 10]);
    expect(args.digits).toBe(1);
    expect(args.mode).toBe('linear');
    expect(args.task).toBe('first-digit');
  });

  it('read the mode, the task and "all" labels per class', () => {
    const args = parseProbeArgs([
      '--checkpoint',
      'a',
      '--mode',
      'fine-tune',
      '--task',
      'digits-present',
      '--labels',
      '1,all',
      '--epochs',
      '3',
    ]);
    expect(args).toMatchObject({
      mode: 'fine-tune',
      task: 'digits-present',
      labels: [1, 'all'],
      epochs: 3,
    });
  });

  it('reject a missing checkpoint, bad numbers and unknown options', () => {
    expect(() => parseProbeArgs([])).toThrow(/--checkpoint FILE is required/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--labels', '5,x'])).toThrow(ProbeArgsError);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--seeds', '0'])).toThrow(/positive integer/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--mode', 'x'])).toThrow(/unknown/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--task', 'x'])).toThrow(/unknown/);
  });

  it('read a .npy array with its labels file, and refuse one without the other', () => {
    const args = parseProbeArgs([
      '--checkpoint',
      'a',
      '--npy',
      'x.npy',
      '--labels-file',
      'x.labels.txt',
      '--npy-layout',
      'NTHW',
      '--npy-offset',
      '2',
      '--npy-count',
      '4',
    ]);
    expect(args).toMatchObject({
      npy: 'x.npy',
      labelsFile: 'x.labels.txt',
      npyLayout: 'NTHW',
      npyOffset: 2,
      npyCount: 4,
    });
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--npy', 'x.npy'])).toThrow(
      '--npy FILE and --labels-file FILE go together',
    );
    expect(() =>
      parseProbeArgs(['--checkpoint', 'a', '--npy', 'x', '--labels-file', 'y', '--digits', '1']),
    ).toThrow(/--task and --digits are for Moving MNIST clips/);
  });
});

/**
 * Twelve 6-frame 64×64 sequences in [T, N, H, W]: even ones a bright vertical bar sweeping right,
 * odd ones a bright horizontal bar sweeping down, each from its own start: plain to any features.
 */
function barsNpy(): { npy: Uint8Array; labels: string } {
  const [n, t, size] = [12, 6, 64];
  const data = new Uint8Array(t * n * size * size);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < t; f++) {
      const at = (5 * i + 7 * f) % size;
      const frame = (f * n + i) * size * size;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if ((i % 2 === 0 ? x : y) === at) data[frame + y * size + x] = 255;
        }
      }
    }
  }
  const labels = Array.from({ length: n }, (_, i) => (i % 2 ? 'down' : 'across'));
  return { npy: encodeNpy(data, [t, n, size, size]), labels: labels.join('\n') + '\n' };
}

describe('npm run probe on a labelled .npy array', () => {
  it('classifies its sequences by their labels, against random init', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'probe-cli-'));
    const { npy, labels } = barsNpy();
    await writeFile(join(folder, 'bars.npy'), npy);
    await writeFile(join(folder, 'bars.labels.txt'), labels);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
    try {
      const args = parseProbeArgs([
        '--checkpoint',
        'public/checkpoints/rcnn-tiny.safetensors',
        '--npy',
        join(folder, 'bars.npy'),
        '--labels-file',
        join(folder, 'bars.labels.txt'),
        '--labels',
        '1,all',
        '--seeds',
        '1',
      ]);
      expect(await runProbe(args)).toBe(0);
    } finally {
      log.mockRestore();
    }
    const result = JSON.parse(printed.at(-1) ?? '{}');
    expect(result).toMatchObject({
      model: 'rcnn',
      task: 'file-labels',
      classes: ['across', 'down'],
    });
    expect(result.chance).toBeCloseTo(0.5, 5);
    expect(result.pretrained.at(-1)).toBeGreaterThanOrEqual(0.75);

    // A labels file of another count is refused, naming both counts.
    await writeFile(join(folder, 'short.labels.txt'), 'across\ndown\n');
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const args = parseProbeArgs([
        '--checkpoint',
        'public/checkpoints/rcnn-tiny.safetensors',
        '--npy',
        join(folder, 'bars.npy'),
        '--labels-file',
        join(folder, 'short.labels.txt'),
      ]);
      expect(await runProbe(args)).toBe(1);
      expect(error.mock.calls.at(-1)?.[0]).toMatch(/holds 2 labels, but .* has 12 sequences/);
    } finally {
      error.mockRestore();
    }
  }, 120_000);
});
