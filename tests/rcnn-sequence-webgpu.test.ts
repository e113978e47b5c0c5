/**
 * The rCNN's fused WebGPU training path (optimisations webgpu-recurrent-sequence,
 * webgpu-softmax-cross-entropy, webgpu-bias-activation and webgpu-global-norm-clip) against the
 * step-by-step composition on the CPU backend: the same loss and the same gradient of every
 * parameter for every activation, one and two input convolutions, 3×3 and 1×1 (the rNN), channel
 * and dictionary sizes that are not multiples of a workgroup — on the kernel paths of both adapter
 * classes (`setKernelPathsOverride`). Then the clipping factor, and the dispatch and upload counts
 * the path exists for.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { setKernelPathsOverride } from '../src/core/gpu/adapter-class';
import type { KernelPaths } from '../src/core/gpu/adapter-class';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { BIAS_ACTIVATION_OPTIMIZATION } from '../src/core/gpu/kernels/bias-activation';
import {
  GLOBAL_NORM_OPTIMIZATION,
  globalNormClipFactor,
  globalNormKernelReady,
} from '../src/core/gpu/kernels/global-norm';
import {
  RECURRENT_SEQUENCE_OPTIMIZATION,
  recurrentSequenceKernelReady,
} from '../src/core/gpu/kernels/recurrent-sequence';
import {
  SOFTMAX_CROSS_ENTROPY_OPTIMIZATION,
  softmaxCrossEntropyKernelReady,
} from '../src/core/gpu/kernels/softmax-cross-entropy';
import { setOptimizationEnabled } from '../src/core/gpu/optimizations';
import type { RecurrentActivation } from '../src/core/models/rcnn/config';
import { ParameterStore } from '../src/core/models/kit/params';
import { RecurrentConvNet } from '../src/core/models/rcnn/network';
import { countStepWork } from '../src/core/train/step-work';
import { maxAbs, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

interface Case {
  name: string;
  activation: RecurrentActivation;
  kernelSize: number;
  convLayers: number;
  channels: number;
  dictionary: number;
}

const CASES: Case[] = [
  {
    name: 'tanh, one 3×3 convolution',
    activation: 'tanh',
    kernelSize: 3,
    convLayers: 1,
    channels: 8,
    dictionary: 24,
  },
  {
    name: 'sigmoid, two 3×3 convolutions, 70 channels, 100 codes',
    activation: 'sigmoid',
    kernelSize: 3,
    convLayers: 2,
    channels: 70,
    dictionary: 100,
  },
  {
    name: 'relu, two 1×1 convolutions (the rNN)',
    activation: 'relu',
    kernelSize: 1,
    convLayers: 2,
    channels: 6,
    dictionary: 16,
  },
];

const PATHS: KernelPaths[] = ['software', 'hardware'];
const CODES_SHAPE = [4, 3, 4, 4]; // T, B, G, G

/** Deterministic codes in [0, K) of shape [T, B, G, G]. */
function codesFor(k: number): tf.Tensor4D {
  const n = CODES_SHAPE.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Array.from({ length: n }, (_, i) => (i * 13 + (i >> 3)) % k),
    CODES_SHAPE as [number, number, number, number],
    'int32',
  );
}

/** The network and the store of its weights (the caller disposes both). */
function netFor(c: Case): { net: RecurrentConvNet; store: ParameterStore } {
  const store = new ParameterStore(7);
  const net = new RecurrentConvNet(
    {
      dictionarySize: c.dictionary,
      embeddingDim: 5,
      hiddenChannels: c.channels,
      kernelSize: c.kernelSize,
      convLayers: c.convLayers,
      activation: c.activation,
    },
    store,
  );
  return { net, store };
}

/** The loss, then every parameter's gradient, read back, on `backend`. */
async function lossAndGrads(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const { net, store } = netFor(c);
  const codes = codesFor(c.dictionary);
  try {
    const { value, grads } = tf.variableGrads(() => net.loss(codes), store.variables());
    const out = [value, ...store.variables().map((v) => grads[v.name])];
    const arrays = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(out);
    return arrays;
  } finally {
    codes.dispose();
    store.dispose();
  }
}

afterEach(() => setKernelPathsOverride(null));

describe.skipIf(!hasWebGpu)('the rCNN fused WebGPU path equals the composed CPU path', () => {
  const cells = CASES.flatMap((c) => PATHS.map((paths) => ({ ...c, paths })));
  it.each(cells)('$name, $paths paths: loss and every gradient', async (c) => {
    const cpu = await lossAndGrads('cpu', c);
    setKernelPathsOverride(c.paths);
    const guard = createGpuGuard();
    let gpu: Float32Array[];
    try {
      gpu = await guard.run(() => lossAndGrads('webgpu', c));
      expect(recurrentSequenceKernelReady(c.channels)).toBe(true);
      expect(softmaxCrossEntropyKernelReady()).toBe(true);
    } finally {
      guard.dispose();
    }
    expect(gpu.length).toBe(cpu.length);
    expect(Math.abs(gpu[0][0] - cpu[0][0])).toBeLessThanOrEqual(1e-5 * Math.abs(cpu[0][0]));
    cpu.slice(1).forEach((expected, i) => {
      const actual = gpu[i + 1];
      expect(maxAbs(expected), `gradient ${i} is not zero`).toBeGreaterThan(0);
      let worst = 0;
      for (let j = 0; j < expected.length; j++) {
        worst = Math.max(worst, Math.abs(actual[j] - expected[j]));
      }
      expect(worst, `gradient ${i}`).toBeLessThanOrEqual(1e-4 * maxAbs(expected) + 1e-7);
    });
  });

  it.each([
    { clip: 0.5, name: 'clipping' },
    { clip: 1e4, name: 'not clipping' },
  ])('the global-norm factor of 9 tensors (two dispatches), $name', async ({ clip }) => {
    const make = () =>
      Array.from({ length: 9 }, (_, i) => tf.tensor1d(values(5 + 97 * i, i + 1)).mul(0.3));
    await tf.setBackend('cpu');
    const cpuTensors = make();
    const norm = tf.sqrt(tf.addN(cpuTensors.map((g) => g.square().sum())));
    const expected = (await tf.minimum(1, tf.div(clip, norm.add(1e-12))).data())[0];
    tf.dispose([...cpuTensors, norm]);
    await tf.setBackend('webgpu');
    expect(globalNormKernelReady()).toBe(true);
    const tensors = make();
    const work = await countStepWork(async () => {
      const factor = globalNormClipFactor(tensors, clip);
      const actual = (await factor.data())[0];
      factor.dispose();
      expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * expected);
    });
    tf.dispose(tensors);
    expect(work.dispatches).toBe(2);
    expect(work.uploads).toBe(0);
    if (clip === 1e4) expect(expected).toBe(1);
    else expect(expected).toBeLessThan(1);
  });

  it('takes under half the composed dispatches and no uploads for a loss and its gradients', async () => {
    await tf.setBackend('webgpu');
    const c = CASES[1];
    const { net, store } = netFor(c);
    const codes = codesFor(c.dictionary);
    const step = async () => {
      const { value, grads } = tf.variableGrads(() => net.loss(codes), store.variables());
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const count = async () => {
      await step(); // compiles
      return countStepWork(step);
    };
    const ids = [
      RECURRENT_SEQUENCE_OPTIMIZATION,
      SOFTMAX_CROSS_ENTROPY_OPTIMIZATION,
      BIAS_ACTIVATION_OPTIMIZATION,
      GLOBAL_NORM_OPTIMIZATION,
    ];
    try {
      const fused = await count();
      for (const id of ids) setOptimizationEnabled(id, false, 'webgpu');
      let composed;
      try {
        composed = await count();
      } finally {
        for (const id of ids) setOptimizationEnabled(id, true, 'webgpu');
      }
      // The engine's ones for the gradient's dy is the only upload left.
      expect(fused.uploads).toBe(1);
      expect(composed.uploads).toBeGreaterThan(fused.uploads as number);
      expect(fused.dispatches as number).toBeLessThan((composed.dispatches as number) / 2);
    } finally {
      codes.dispose();
      store.dispose();
    }
  });
});
