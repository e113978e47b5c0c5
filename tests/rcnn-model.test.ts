/**
 * The video language model (rCNN / rNN of Ranzato et al. 2014) on the tfjs CPU backend:
 * (a) config, presets and sizes; (b) the network — its neighbourhood convolution against
 * tf.conv2d and its gradients against central finite differences; (c) sampling helpers;
 * (d) preparing the dictionary — progress, the PSNR curve, cancellation; (e) training — weights
 * move, warm-up changes nothing, no tensor leaks; (f) evaluation against baselines computed here;
 * (g) sample views; (h) live hyperparameters; (i) the tiny preset learns on real Moving MNIST.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistDigits } from '../src/core/data/mnist';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import {
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import { ConfigError, LARGE_MEMORY_BYTES } from '../src/core/models/config-schema';
import {
  RCNN_PRESETS,
  estimateRcnnMemoryBytes,
  rcnnParameterCount,
  resolveRcnnConfig,
  sweepDictionarySizes,
} from '../src/core/models/rcnn/config';
import { ParameterStore } from '../src/core/models/kit/params';
import { rcnnModel } from '../src/core/models/rcnn';
import type { RcnnConfig } from '../src/core/models/rcnn/config';
import { drawCodes, entropyOf } from '../src/core/models/rcnn/generation';
import { VideoLanguageModel } from '../src/core/models/rcnn/model';
import { RecurrentConvNet, neighbourhoodConv } from '../src/core/models/rcnn/network';
import { Trainer } from '../src/core/train/trainer';
import { extrapolateFlow } from '../src/core/train/flow-baseline';
import type { PrepareProgress } from '../src/core/models/types';
import { maxAbs, maxAbsDiff, values } from './helpers/arrays';

let digits: MnistDigits;

beforeAll(async () => {
  await tf.setBackend('cpu');
  digits = await loadMnistFromDisk();
});

/** A few-millisecond shape: 5 frames of 32×32, 4×4 patches locations, 16 codes. */
const SMALL: Record<string, unknown> = {
  frames: 5,
  frameSize: 32,
  dictionarySize: 16,
  kmeansPatches: 1024,
  kmeansBatchSize: 256,
  kmeansIterations: 10,
  sweepSizes: 1,
  embeddingDim: 4,
  hiddenChannels: 8,
  convLayers: 2,
  batchSize: 2,
  extrapolationFrames: 3,
  fillCandidates: 3,
  evalSequences: 3,
};

function small(overrides: Record<string, unknown> = {}, variant = 'rcnn'): RcnnConfig {
  return resolveRcnnConfig(variant, 'tiny', { ...SMALL, ...overrides });
}

function streamFor(model: VideoLanguageModel, seed = 42): MovingMnistStream {
  const options = movingMnistOptionsFor(
    { source: 'moving-mnist', digitSize: 14, speed: 2 },
    model.data,
  );
  return new MovingMnistStream(digits, options, model.data, seed);
}

function heldOut(model: VideoLanguageModel, count: number): tf.Tensor5D {
  const options = movingMnistOptionsFor(
    { source: 'moving-mnist', digitSize: 14, speed: 2 },
    model.data,
  );
  return bytesToTensor(evaluationVideos(digits, options, count), model.data);
}

async function prepared(
  config: RcnnConfig,
  seed = 0,
): Promise<{ model: VideoLanguageModel; stream: MovingMnistStream }> {
  const model = new VideoLanguageModel(config, seed);
  const stream = streamFor(model);
  await model.prepare(stream, () => {}, new AbortController().signal);
  return { model, stream };
}

async function weights(model: VideoLanguageModel): Promise<Float32Array[]> {
  return Promise.all(
    [...model.namedParameters().values()].map(
      async (v) => (await v.data()).slice() as Float32Array,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// (a) config
// ---------------------------------------------------------------------------------------------

describe('(a) config', () => {
  it('has the paper preset: 10,000 centroids of 8×8 patches, std division, 1×1 recurrence', () => {
    const paper = resolveRcnnConfig('rcnn', 'paper');
    expect(paper).toMatchObject({ dictionarySize: 10_000, patchSize: 8, stdScope: 'frame' });
    expect(estimateRcnnMemoryBytes(paper)).toBeGreaterThan(LARGE_MEMORY_BYTES);
    expect(sweepDictionarySizes(paper)).toEqual([10_000, 2500, 625, 156, 39]);
    for (const preset of RCNN_PRESETS) {
      for (const variant of ['rcnn', 'rnn']) {
        expect(() => rcnnModel.resolve(variant, preset.id)).not.toThrow();
      }
    }
    expect(estimateRcnnMemoryBytes(resolveRcnnConfig('rcnn', 'tiny'))).toBeLessThan(
      LARGE_MEMORY_BYTES / 10,
    );
  });

  it('rejects bad values naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      throw new Error('no error');
    };
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { centroids: 3 }))).toBe('centroids');
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { patchStride: 3 }))).toBe('patchStride');
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { patchStride: 9 }))).toBe('patchStride');
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { kernelSize: 2 }))).toBe('kernelSize');
    expect(field(() => resolveRcnnConfig('rnn', 'tiny', { kernelSize: 3 }))).toBe('kernelSize');
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { extrapolationFrames: 5 }))).toBe(
      'extrapolationFrames',
    );
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { frames: 4 }))).toBe('frames');
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { kmeansPatches: 32 }))).toBe(
      'kmeansPatches',
    );
    expect(field(() => resolveRcnnConfig('rcnn', 'tiny', { stdScope: 'pixel' }))).toBe('stdScope');
    expect(field(() => resolveRcnnConfig('lstm', 'tiny'))).toBe('variant');
    expect(field(() => resolveRcnnConfig('rcnn', 'huge'))).toBe('preset');
  });

  it('gives the rNN a 1×1 neighbourhood in every preset', () => {
    for (const preset of RCNN_PRESETS) {
      expect(resolveRcnnConfig('rnn', preset.id).kernelSize).toBe(1);
    }
  });

  it('counts the parameters the model builds', () => {
    for (const config of [small(), small({}, 'rnn'), resolveRcnnConfig('rcnn', 'small')]) {
      const model = new VideoLanguageModel(config, 0);
      expect(model.parameterCount()).toBe(rcnnParameterCount(config));
      model.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (b) the network
// ---------------------------------------------------------------------------------------------

describe('(b) network', () => {
  it('computes the same k×k convolution as tf.conv2d with same padding', async () => {
    for (const k of [1, 3, 5]) {
      const x = tf.tensor4d(values(2 * 4 * 4 * 3, k), [2, 4, 4, 3]);
      const w = tf.tensor4d(values(k * k * 3 * 5, k + 10), [k, k, 3, 5]);
      const b = tf.tensor1d(values(5, k + 20));
      const ours = neighbourhoodConv(x, w, b);
      const reference = tf
        .conv2d(x, w, 1, 'same')
        .add(b)
        .reshape([2 * 16, 5]);
      expect(maxAbsDiff(await ours.data(), await reference.data())).toBeLessThan(1e-5);
      tf.dispose([x, w, b, ours, reference]);
    }
  });

  it('has gradients equal to central finite differences for every weight', async () => {
    const config = {
      dictionarySize: 5,
      embeddingDim: 3,
      hiddenChannels: 4,
      kernelSize: 3,
      convLayers: 2,
      activation: 'tanh' as const,
    };
    const store = new ParameterStore(11);
    const net = new RecurrentConvNet(config, store);
    // Time-major codes [T = 3, B = 2, G = 3, G = 3].
    const codeValues = Array.from({ length: 3 * 2 * 9 }, (_, i) => (i * 7 + (i >> 2)) % 5);
    const codes = tf.tensor4d(codeValues, [3, 2, 3, 3], 'int32');
    const { grads } = tf.variableGrads(() => net.loss(codes), store.variables());
    const eps = 1e-2;
    for (const { name, variable } of store.params) {
      const analytic = await grads[variable.name].data();
      const original = (await variable.data()).slice();
      const scale = maxAbs(analytic);
      expect(scale, name).toBeGreaterThan(0);
      const stride = Math.max(1, Math.floor(original.length / 16));
      for (let i = 0; i < original.length; i += stride) {
        const probe = (delta: number) => {
          const shifted = original.slice();
          shifted[i] += delta;
          variable.assign(tf.tensor(shifted, variable.shape));
          return tf.tidy(() => net.loss(codes).dataSync()[0]);
        };
        const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
        variable.assign(tf.tensor(original, variable.shape));
        expect(Math.abs(numeric - analytic[i]), `${name}[${i}]`).toBeLessThan(3e-3 * scale + 1e-5);
      }
    }
    tf.dispose([codes, ...Object.values(grads)]);
    store.dispose();
  });

  it('updates the state only through the 1×1 recurrence: each location’s past stays local', () => {
    // With a 1×1 input kernel (the rNN), changing one location's codes changes no other location.
    const store = new ParameterStore(3);
    const net = new RecurrentConvNet(
      {
        dictionarySize: 6,
        embeddingDim: 3,
        hiddenChannels: 4,
        kernelSize: 1,
        convLayers: 1,
        activation: 'tanh',
      },
      store,
    );
    const base = Array.from({ length: 2 * 1 * 9 }, (_, i) => i % 6);
    const changed = base.slice();
    changed[4] = (changed[4] + 1) % 6; // frame 1, centre location
    const run = (codes: number[]) =>
      tf.tidy(() => {
        const { states } = net.unroll(tf.tensor4d(codes, [2, 1, 3, 3], 'int32'));
        return states.dataSync().slice();
      });
    const a = run(base);
    const b = run(changed);
    for (let location = 0; location < 9; location++) {
      const differs = [0, 1, 2, 3].some((c) => a[location * 4 + c] !== b[location * 4 + c]);
      expect(differs, `location ${location}`).toBe(location === 4);
    }
    store.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (c) sampling helpers
// ---------------------------------------------------------------------------------------------

describe('(c) sampling', () => {
  it('draws codes with the tempered softmax probabilities, argmax at temperature 0', async () => {
    const rows = 20_000;
    const probabilities = [0.7, 0.2, 0.1];
    const logits = tf.tile(tf.log(tf.tensor2d([probabilities])), [rows, 1]) as tf.Tensor2D;
    const rng = Array.from({ length: rows }, (_, i) => ((i * 0.6180339887) % 1) as number);
    const uniforms = Float32Array.from(rng);
    const frequencies = async (temperature: number) => {
      const codes = await drawCodes(logits, temperature, uniforms).data();
      const counts = [0, 0, 0];
      for (const code of codes) counts[code]++;
      return counts.map((c) => c / rows);
    };
    const at1 = await frequencies(1);
    probabilities.forEach((p, i) => expect(at1[i]).toBeCloseTo(p, 2));
    const squared = probabilities.map((p) => p * p);
    const total = squared.reduce((a, b) => a + b, 0);
    const atHalf = await frequencies(0.5);
    squared.forEach((p, i) => expect(atHalf[i]).toBeCloseTo(p / total, 2));
    expect(await frequencies(0)).toEqual([1, 0, 0]);
    logits.dispose();
  });

  it('measures entropy in nats: log K when uniform, 0 when certain', async () => {
    const logits = tf.tensor2d([0, 0, 0, 0, 50, 0, 0, 0], [2, 4]);
    const entropy = await entropyOf(logits).data();
    expect(entropy[0]).toBeCloseTo(Math.log(4), 5);
    expect(entropy[1]).toBeCloseTo(0, 5);
    logits.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (d) preparing the dictionary
// ---------------------------------------------------------------------------------------------

describe('(d) prepare', () => {
  it('reports dictionary progress, fits every size of the PSNR curve, and orders them', async () => {
    const config = small({ sweepSizes: 2, dictionarySize: 32 });
    const model = new VideoLanguageModel(config, 0);
    const progress: PrepareProgress[] = [];
    expect(() => model.dictionary).toThrow(/prepare/);
    await model.prepare(streamFor(model), (p) => progress.push(p), new AbortController().signal);
    expect(progress.every((p) => p.phase === 'dictionary')).toBe(true);
    const fractions = progress.map((p) => p.fraction);
    for (let i = 1; i < fractions.length; i++) {
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    }
    expect(fractions.at(-1)).toBe(1);
    expect(progress.some((p) => /k-means, K = 32: update 10 of 10/.test(p.message))).toBe(true);
    expect(model.dictionary.size).toBe(32);
    expect(model.sweep.map((p) => p.size)).toEqual([32, 8, 2]);
    // More centroids quantize better, both on the fitting patches and on held-out frames.
    const [big, mid, tiny] = model.sweep;
    expect(big.psnr).toBeGreaterThan(mid.psnr);
    expect(mid.psnr).toBeGreaterThan(tiny.psnr);
    expect(big.meanDistance).toBeLessThan(mid.meanDistance);
    model.dispose();
  });

  it('gives the same dictionary for the same seed', async () => {
    const read = async (seed: number) => {
      const { model } = await prepared(small(), seed);
      const centroids = Array.from(await model.dictionary.centroids.data());
      model.dispose();
      return centroids;
    };
    const first = await read(5);
    expect(await read(5)).toEqual(first);
    expect(await read(6)).not.toEqual(first);
  });

  it('stops when aborted, with the abort reason, and leaves no tensor behind', async () => {
    const model = new VideoLanguageModel(small({ kmeansIterations: 100_000 }), 0);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const preparing = model.prepare(
      streamFor(model),
      (p) => {
        if (/update 3 of/.test(p.message)) controller.abort(reason);
      },
      controller.signal,
    );
    await expect(preparing).rejects.toBe(reason);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.dictionary).toThrow(/prepare/);
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (e) training
// ---------------------------------------------------------------------------------------------

describe('(e) training', () => {
  it('reports loss in nats and perplexity = exp(loss), starting near log K', async () => {
    const { model, stream } = await prepared(small());
    const batch = stream.nextBatch();
    const out = model.trainStep(batch);
    const [loss, perplexity] = await Promise.all([out.loss.data(), out.perplexity.data()]);
    expect(Object.keys(out).sort()).toEqual(['loss', 'perplexity']);
    expect(perplexity[0]).toBeCloseTo(Math.exp(loss[0]), 4);
    expect(Math.abs(loss[0] - Math.log(16))).toBeLessThan(0.5);
    tf.dispose([batch, ...Object.values(out)]);
    model.dispose();
  });

  it('moves every weight; warm-up moves none and leaves the optimiser as it was', async () => {
    const a = await prepared(small(), 4);
    const b = await prepared(small(), 4);
    const batches = [a.stream.nextBatch(), a.stream.nextBatch()];
    const before = await weights(a.model);
    await a.model.warmUp(batches[0]);
    const afterWarmUp = await weights(a.model);
    afterWarmUp.forEach((w, i) => expect(maxAbsDiff(w, before[i])).toBe(0));
    const stepA = a.model.trainStep(batches[1]);
    const stepB = b.model.trainStep(batches[1]);
    const [wa, wb] = [await weights(a.model), await weights(b.model)];
    wa.forEach((w, i) => {
      expect(maxAbsDiff(w, wb[i])).toBe(0); // warm-up left no trace in Adam either
      expect(maxAbsDiff(w, before[i]), [...a.model.namedParameters().keys()][i]).toBeGreaterThan(0);
    });
    tf.dispose([...batches, ...Object.values(stepA), ...Object.values(stepB)]);
    a.model.dispose();
    b.model.dispose();
  });

  it('leaks no tensor per step, evaluation or sample', async () => {
    const { model, stream } = await prepared(small());
    const evalSet = heldOut(model, 3);
    const trainer = new Trainer(model, stream);
    await trainer.trainStep(); // burn in (Adam slots, neighbourhood indices)
    await model.evaluate(evalSet);
    await model.sample(evalSet, 2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    await model.evaluate(evalSet);
    await model.sample(evalSet, 2);
    expect(tf.memory().numTensors).toBe(before);
    evalSet.dispose();
    model.dispose();
  });

  it('frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const { model, stream } = await prepared(small());
    await new Trainer(model, stream).trainStep();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains, evaluates and samples with overlapping patches (stride 4) too', async () => {
    const { model, stream } = await prepared(small({ patchStride: 4 }));
    expect(model.dictionary.codec.geometry.grid).toBe(7); // (32 − 8) / 4 + 1
    const result = await new Trainer(model, stream).trainStep();
    expect(result.nonFinite).toEqual([]);
    const evalSet = heldOut(model, 2);
    const evaluation = await model.evaluate(evalSet);
    expect(evaluation.scalars['quantization/psnr']).toBeGreaterThan(10);
    const [view] = await model.sample(evalSet, 1);
    expect(view.panels.find((p) => p.label === 'Uncertainty')).toMatchObject({
      height: 7,
      width: 7,
    });
    evalSet.dispose();
    model.dispose();
  });

  it('trains the rNN variant too', async () => {
    const { model, stream } = await prepared(small({}, 'rnn'));
    const result = await new Trainer(model, stream).trainStep();
    expect(result.nonFinite).toEqual([]);
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (f) evaluation
// ---------------------------------------------------------------------------------------------

/** Σ over a frame's pixels of (a − b)², frames [N, T, P] flattened. */
function sumSquared(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  offsetA: number,
  offsetB: number,
  p: number,
) {
  let total = 0;
  for (let i = 0; i < p; i++) total += (a[offsetA + i] - b[offsetB + i]) ** 2;
  return total;
}

describe('(f) evaluation', () => {
  it('scores both tasks, both baselines and the quantization on held-out clips', async () => {
    const { model } = await prepared(small({ evalSsim: true }));
    const n = 3; // one full chunk of 2 and one wrapped
    const evalSet = heldOut(model, n);
    const result = await model.evaluate(evalSet);
    const { scalars, perFrame, firstFrame } = result;
    for (const group of [
      'extrapolation',
      'baseline/extrapolation',
      'baseline/flow/extrapolation',
      'filling',
      'baseline/filling',
    ]) {
      for (const metric of ['mse', 'mae', 'psnr', 'ssim']) {
        expect(Number.isFinite(scalars[`${group}/${metric}`]), `${group}/${metric}`).toBe(true);
      }
    }
    expect(perFrame['extrapolation/mse']).toHaveLength(3);
    expect(perFrame['filling/psnr']).toHaveLength(3);
    expect(perFrame['test/loss']).toHaveLength(4); // frames 2 … 5
    expect(firstFrame).toMatchObject({
      'extrapolation/mse': 3,
      'baseline/extrapolation/mse': 3,
      'baseline/flow/extrapolation/mse': 3,
      'filling/mse': 2,
      'test/loss': 2,
    });
    expect(scalars['test/perplexity']).toBeCloseTo(Math.exp(scalars['test/loss']), 6);
    expect(scalars['test/accuracy']).toBeGreaterThanOrEqual(0);
    expect(scalars['test/accuracy']).toBeLessThanOrEqual(1);

    // Baselines, recomputed here from the pixels.
    const video = await evalSet.data();
    const p = 32 * 32;
    const t = 5;
    const copyLast = [0, 0, 0];
    const flow = [0, 0, 0];
    const interpolation = [0, 0, 0];
    for (let s = 0; s < n; s++) {
      const frame = (k: number) => (s * t + k) * p;
      const flowed = extrapolateFlow(
        Float32Array.from(video.subarray(frame(0), frame(0) + p)),
        Float32Array.from(video.subarray(frame(1), frame(1) + p)),
        32,
        32,
        3,
      );
      for (let k = 0; k < 3; k++) {
        copyLast[k] += sumSquared(video, video, frame(1), frame(k + 2), p) / n;
        flow[k] += sumSquared(flowed, video, k * p, frame(k + 2), p) / n;
        let sum = 0;
        const alpha = (k + 1) / 4;
        for (let i = 0; i < p; i++) {
          const linear = video[frame(0) + i] * (1 - alpha) + video[frame(4) + i] * alpha;
          sum += (linear - video[frame(k + 1) + i]) ** 2;
        }
        interpolation[k] += sum / n;
      }
    }
    perFrame['baseline/extrapolation/mse'].forEach((v, k) => expect(v).toBeCloseTo(copyLast[k], 2));
    perFrame['baseline/flow/extrapolation/mse'].forEach((v, k) =>
      expect(v).toBeCloseTo(flow[k], 2),
    );
    perFrame['baseline/filling/mse'].forEach((v, k) => expect(v).toBeCloseTo(interpolation[k], 2));

    // Quantization: the clips through the dictionary and back.
    const quantized = tf.tidy(() =>
      model.dictionary.quantize(evalSet.reshape([n * t, 32, 32, 1]) as tf.Tensor4D, t),
    );
    const q = await quantized.data();
    let mse = 0;
    for (let f = 0; f < n * t; f++) mse += sumSquared(q, video, f * p, f * p, p) / (n * t);
    expect(scalars['quantization/mse']).toBeCloseTo(mse, 2);
    // A model can never beat its own dictionary's reconstruction on mean squared error... per
    // clip it could by luck, but not on average over frames it must generate.
    expect(scalars['quantization/psnr']).toBeGreaterThan(scalars['extrapolation/psnr']);
    tf.dispose([evalSet, quantized]);
    model.dispose();
  });

  it('is repeatable, and scores SSIM only when asked to', async () => {
    const { model } = await prepared(small({ temperature: 1 }));
    const evalSet = heldOut(model, 2);
    const first = await model.evaluate(evalSet);
    const second = await model.evaluate(evalSet);
    expect(second.scalars).toEqual(first.scalars);
    expect(Object.keys(first.scalars).filter((name) => name.endsWith('/ssim'))).toEqual([]);
    expect(first.scalars['extrapolation/psnr']).toBeGreaterThan(0);
    evalSet.dispose();
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (g) samples
// ---------------------------------------------------------------------------------------------

describe('(g) samples', () => {
  it('shows each example beside its baselines, and the dictionary with its PSNR curve', async () => {
    const { model } = await prepared(small({ sweepSizes: 1 }));
    const evalSet = heldOut(model, 3);
    const views = await model.sample(evalSet, 2);
    const main = views.filter((v) => v.group === undefined);
    expect(main).toHaveLength(2);
    const layout = main[0].panels.map((p) => [p.label, p.t, p.timeOffset, p.height]);
    expect(layout).toEqual([
      ['Ground truth', 5, 0, 32],
      ['Quantized truth', 5, 0, 32],
      ['Extrapolated', 3, 2, 32],
      ['Copy last frame', 3, 2, 32],
      ['Uncertainty', 3, 2, 4],
      ['Filled in', 3, 1, 32],
      ['Linear interpolation', 3, 1, 32],
    ]);
    for (const panel of main[0].panels) {
      expect(panel.frames).toHaveLength(panel.t * panel.height * panel.width);
      expect(Math.min(...panel.frames)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...panel.frames)).toBeLessThanOrEqual(1 + 1e-6);
    }
    // The baseline rows are the ground truth's frame 2 repeated / its linear interpolation.
    const truth = main[0].panels[0].frames;
    const copy = main[0].panels[3].frames;
    const p = 32 * 32;
    expect(maxAbsDiff(copy.slice(0, p), truth.slice(p, 2 * p))).toBe(0);
    expect(maxAbsDiff(copy.slice(2 * p), truth.slice(p, 2 * p))).toBe(0);

    const dictionary = views.find((v) => v.group === 'dictionary');
    expect(dictionary?.title).toBe('Patch dictionary');
    const [atlas] = dictionary?.panels ?? [];
    // 4 × 4 cells of 8 px plus 1-px grid lines (37 px), magnified 5× to about 200 px.
    expect(atlas).toMatchObject({ t: 1, height: 5 * 37, width: 5 * 37 });
    const [psnr] = dictionary?.charts ?? [];
    expect(psnr.xScale).toBe('log');
    expect(psnr.series[0].points.map(([size]) => size)).toEqual([4, 16]);
    const sizes = views.find((v) => v.group === 'dictionary-sizes');
    expect(sizes?.panels.map((panel) => panel.label)).toEqual(['Original', 'K = 16', 'K = 4']);
    evalSet.dispose();
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (h) live hyperparameters
// ---------------------------------------------------------------------------------------------

describe('(h) hyperparameters', () => {
  it('changes the temperature, learning rate and clip norm live, and rejects others', () => {
    const model = new VideoLanguageModel(small(), 0);
    expect(model.getHyperparameters()).toEqual({
      learningRate: 5e-3,
      gradientClipNorm: 5,
      temperature: 0.5,
    });
    model.setHyperparameters({ temperature: 0, learningRate: 1e-3 });
    expect(model.getHyperparameters()).toMatchObject({ temperature: 0, learningRate: 1e-3 });
    expect(() => model.setHyperparameters({ temperature: -1 })).toThrow(/temperature/);
    expect(() => model.setHyperparameters({ dictionarySize: 8 })).toThrow(ConfigError);
    expect(model.getHyperparameters().temperature).toBe(0);
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (i) the tiny preset learns on real Moving MNIST
// ---------------------------------------------------------------------------------------------

describe('(i) tiny preset on real Moving MNIST', () => {
  it('builds its dictionary and its loss falls within 30 steps', async () => {
    const config = resolveRcnnConfig('rcnn', 'tiny');
    const model = new VideoLanguageModel(config, 0);
    const stream = new MovingMnistStream(
      digits,
      movingMnistOptionsFor({ source: 'moving-mnist' }, model.data),
      model.data,
      42,
    );
    await model.prepare(stream, () => {}, new AbortController().signal);
    expect(model.dictionary.size).toBe(64);
    const trainer = new Trainer(model, stream);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 30; step++) {
        const result = await trainer.trainStep();
        expect(result.nonFinite).toEqual([]);
        losses.push(result.losses.loss);
      }
    } finally {
      model.dispose();
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    // Starts near log 64 ≈ 4.16 nats (uniform over the codes); measured ≈ 1.3 after 30 steps.
    expect(Math.abs(mean(losses.slice(0, 3)) - Math.log(64))).toBeLessThan(0.5);
    expect(mean(losses.slice(-10))).toBeLessThan(0.6 * mean(losses.slice(0, 10)));
  });
});
