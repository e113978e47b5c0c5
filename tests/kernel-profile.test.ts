/**
 * The kernel profiler behind `npm run profile`: per-step kernel counts, self times that add up
 * to the total (a custom-gradient op's inner kernels are not counted twice), host reads and
 * uploads, WebGPU program names, the A/B comparison, and the CLI's argument checks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ProfileArgsError, parseProfileArgs } from '../src/cli/profile';
import { compareSteps, formatProfile, profileSteps } from '../src/core/train/kernel-profile';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

/** A step with known kernels: a matmul, an add of a scalar, a custom-gradient op, one read. */
function makeStep(): () => Promise<void> {
  const a = tf.randomUniform([32, 32], -1, 1, 'float32', 1);
  const square = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return { value: x.mul(x), gradFunc: (dy: tf.Tensor) => dy.mul(x).mul(2) };
  });
  return async () => {
    const y = tf.tidy(() => (square(tf.matMul(a, a)) as tf.Tensor).add(1).sum());
    await y.data();
    y.dispose();
  };
}

async function checkProfile(backend: string) {
  await tf.setBackend(backend);
  const profile = await profileSteps(makeStep(), {
    warmupSteps: 1,
    timedSteps: 2,
    profiledSteps: 2,
  });
  const calls = Object.fromEntries(profile.kernels.map((k) => [k.name, k.callsPerStep]));
  expect(calls.BatchMatMul).toBe(1);
  expect(calls.Add).toBe(1);
  expect(calls.Sum).toBe(1);
  expect(calls.Multiply).toBe(1); // inside the custom op, counted once
  expect(profile.wallSteps).toBe(2);
  expect(profile.wallMsMedian).toBeGreaterThan(0);
  expect(profile.readsPerStep).toBe(1);
  // WebGPU: the scalar 1 of `.add(1)`; the CPU backend writes every output, so no count.
  expect(profile.uploadsPerStep).toBe(backend === 'webgpu' ? 1 : null);
  // Self times add up to the total, so the shares never exceed 100 %.
  const sum = profile.kernels.reduce((total, k) => total + k.msPerStep, 0);
  expect(sum).toBeCloseTo(profile.profiledMsPerStep, 6);
  const shares = profile.kernels.reduce((total, k) => total + k.share, 0);
  expect(shares).toBeLessThanOrEqual(1 + 1e-9);
  const markdown = formatProfile('test step', profile);
  expect(markdown).toContain('| BatchMatMul | 1 |');
  expect(markdown).toContain(
    `host reads 1.0, uploads ${backend === 'webgpu' ? '1.0' : '–'} per step`,
  );
  return profile;
}

describe('kernel profile', () => {
  it('counts kernels, reads and uploads per step on the CPU backend', async () => {
    const profile = await checkProfile('cpu');
    expect(profile.programs).toEqual([]); // only WebGPU reports programs
    expect(profile.gpuPoolBytes).toBeNull();
  });

  it.skipIf(!hasWebGpu)('times WebGPU programs, whose total equals the kernels’', async () => {
    const profile = await checkProfile('webgpu');
    const names = profile.programs.map((p) => p.name);
    expect(names.some((name) => /MatMul\w*Program/.test(name))).toBe(true);
    expect(names).toContain('BinaryOpProgram');
    const programMs = profile.programs.reduce((total, p) => total + p.msPerStep, 0);
    expect(programMs).toBeCloseTo(profile.profiledMsPerStep, 6);
    expect(profile.gpuPoolBytes).toBeGreaterThan(0);
  });

  it('compares a slow and a fast side in alternating steps', async () => {
    let on = false;
    const sides: boolean[] = [];
    const step = async () => {
      sides.push(on);
      const until = performance.now() + (on ? 1 : 30);
      while (performance.now() < until) {
        /* busy */
      }
      await Promise.resolve();
    };
    const result = await compareSteps(step, (value) => (on = value), {
      warmupSteps: 1,
      rounds: 4,
    });
    expect(result.onMs).toHaveLength(4);
    expect(result.offMs).toHaveLength(4);
    expect(result.speedup).toBeGreaterThan(5);
    // Warm-up off, warm-up on, then off/on, on/off, … so both sides see the same moments.
    expect(sides).toEqual([false, true, false, true, true, false, false, true, true, false]);
    expect(on).toBe(true); // left switched on
  });
});

describe('npm run profile arguments', () => {
  it('parses the options, with defaults', () => {
    expect(parseProfileArgs(['--model', 'vgan', '--preset', 'small'])).toMatchObject({
      model: 'vgan',
      preset: 'small',
      backend: 'webgpu',
      warmup: 2,
      steps: 5,
      profileSteps: 2,
      disable: [],
      compare: [],
    });
    expect(
      parseProfileArgs([
        '--model',
        'lstm',
        '--disable',
        'all',
        '--compare',
        'a,b',
        '--backend',
        'cpu',
      ]),
    ).toMatchObject({ disable: ['all'], compare: ['a', 'b'], backend: 'cpu' });
  });

  it('names the bad option', () => {
    expect(() => parseProfileArgs([])).toThrow(ProfileArgsError);
    expect(() => parseProfileArgs(['--model', 'lstm', '--steps', 'x'])).toThrow(/--steps/);
    expect(() => parseProfileArgs(['--model', 'lstm', '--backend', 'wasm'])).toThrow(/--backend/);
    expect(() => parseProfileArgs(['--model', 'lstm', '--frobnicate', '1'])).toThrow(
      /--frobnicate/,
    );
    expect(() => parseProfileArgs(['--model'])).toThrow(/--model needs a value/);
  });
});
