/**
 * Training-step FLOP counts (each model folder's flops.ts): against hand counts of small configs, and
 * against the matrix products and convolutions tfjs really runs in a training step (tf.profile on
 * the CPU backend), which checks which backward products the count assumes.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import type { MnistDigits } from '../src/core/data/mnist';
import { MovingMnistStream, movingMnistOptionsFor } from '../src/core/data/video-stream';
import type { ResolvedModel } from '../src/core/models/kit/definition';
import { resolveConvLstmConfig } from '../src/core/models/convlstm/config';
import { convLstmTrainStepFlops } from '../src/core/models/convlstm/flops';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { lstmTrainStepFlops } from '../src/core/models/lstm/flops';
import { resolveRcnnConfig } from '../src/core/models/rcnn/config';
import { rcnnTrainStepFlops } from '../src/core/models/rcnn/flops';
import { modelDefinition } from '../src/core/models/registry';
import { resolveVganConfig } from '../src/core/models/vgan/config';
import { vganTrainStepFlops } from '../src/core/models/vgan/flops';

/** 2 FLOPs per multiply-add of an [m, k]·[k, n] product. */
const product = (m: number, k: number, n: number) => 2 * m * k * n;
/** 2 FLOPs per multiply-add of a convolution: each of `outputs` positions reads taps × cIn values per cOut. */
const conv = (outputs: number, taps: number, cIn: number, cOut: number) =>
  2 * outputs * taps * cIn * cOut;

describe('hand counts', () => {
  it('LSTM composite, unconditioned, 1 layer: gate and readout products, each 3× (fwd, dx, dW)', () => {
    // 4×4 frames (P = 16), U = 2, B = 1, 2 input frames, 1 future frame.
    const config = resolveLstmConfig('composite', 'tiny', {
      frameSize: 4,
      hiddenUnits: 2,
      batchSize: 1,
      inputFrames: 2,
      futureFrames: 1,
    });
    const encoderStep = product(8, 16 + 2, 1); // [4U, P + U]·[P + U, B]
    const decoderStep = product(8, 2, 1); // [4U, U]·[U, B]: no input
    const readout = product(16, 2, 1); // [P, U]·[U, B]
    const forward = 2 * encoderStep + 2 * (decoderStep + readout) + 1 * (decoderStep + readout);
    expect(forward).toBe(864);
    expect(lstmTrainStepFlops(config)).toBe(3 * forward);
  });

  it('LSTM future predictor, conditional, 2 layers', () => {
    // P = 16, U = 3, B = 2, 1 input frame, 2 future frames; the decoder's layer 0 reads a frame.
    const config = resolveLstmConfig('future-predictor', 'tiny', {
      frameSize: 4,
      hiddenUnits: 3,
      layers: 2,
      batchSize: 2,
      inputFrames: 1,
      futureFrames: 2,
      conditionalFuture: true,
    });
    const layer0 = product(12, 16 + 3, 2); // [4U, P + U]·[P + U, B]
    const layer1 = product(12, 3 + 3, 2); // [4U, U + U]·[U + U, B]
    const readout = product(16, 3, 2);
    const forward = 1 * (layer0 + layer1) + 2 * (layer0 + layer1 + readout);
    expect(lstmTrainStepFlops(config)).toBe(3 * forward);
  });

  it('VGAN two-stream, one level: D step and G step', () => {
    // 2 frames of 8×8 gray (L = 1, T0 = 1), z 3, widths 2, batch 2.
    const config = resolveVganConfig('two-stream', 'tiny', {
      frameSize: 8,
      frames: 2,
      zDim: 3,
      generatorWidth: 2,
      discriminatorWidth: 2,
      batchSize: 2,
    });
    const project = product(2, 3, 16 * 2); // z [B, Z] → [B, T0·4·4·g0]
    const bgProject = product(2, 3, 16 * 2); // z → [B, 4·4·g0]
    // Heads: [1, 4, 4, 2] → [2, 8, 8, 2 (video + mask)], every output voxel 2·2·2 taps of 2 channels.
    const heads = conv(2 * (2 * 8 * 8), 8, 2, 2);
    // Background head: [4, 4, 2] → [8, 8, 1], every output pixel 2·2 taps of 2 channels.
    const bgHead = conv(2 * (8 * 8), 4, 2, 1);
    const gForward = project + bgProject + heads + bgHead;
    // D: [2, 8, 8, 1] → [1, 4, 4, 2], 4·4·4 taps; then the logit [B, 1·4·4·2]·[32, 1].
    const dConv = conv(2 * (1 * 4 * 4), 64, 1, 2);
    const dLogit = product(2, 32, 1);
    const dForward = dConv + dLogit;
    // D step: G forward; per batch (real, fake) D forward, D weight gradients, D input gradients
    // except into the videos.
    const dStep = gForward + 2 * (dForward + dForward + dLogit);
    // G step: G and D forward, D input gradients (into the fake too), G weight gradients, G input
    // gradients except into z.
    const gStep = gForward + dForward + dForward + gForward + (heads + bgHead);
    expect(vganTrainStepFlops(config)).toBe(dStep + gStep);
  });

  it('VGAN one-stream, two levels', () => {
    // 4 frames of 16×16 (L = 2, T0 = 1), widths G 2-1, D 1-2, z 2, batch 2.
    const config = resolveVganConfig('one-stream', 'tiny', {
      frameSize: 16,
      frames: 4,
      zDim: 2,
      generatorWidth: 1,
      discriminatorWidth: 1,
      batchSize: 2,
    });
    const b = 2;
    const project = product(b, 2, 16 * 2);
    const up = conv(b * (2 * 8 * 8), 8, 2, 1); // [1, 4, 4, 2] → [2, 8, 8, 1]
    const heads = conv(b * (4 * 16 * 16), 8, 1, 1); // [2, 8, 8, 1] → [4, 16, 16, 1]
    const gForward = project + up + heads;
    const d0 = conv(b * (2 * 8 * 8), 64, 1, 1); // [4, 16, 16, 1] → [2, 8, 8, 1]
    const d1 = conv(b * (1 * 4 * 4), 64, 1, 2); // → [1, 4, 4, 2]
    const logit = product(b, 32, 1);
    const dForward = d0 + d1 + logit;
    const dStep = gForward + 2 * (dForward + dForward + (d1 + logit));
    const gStep = gForward + 2 * dForward + gForward + (up + heads);
    expect(vganTrainStepFlops(config)).toBe(dStep + gStep);
  });

  it('rCNN: quantization, the input convolution, the recurrence and the output layer', () => {
    // 5 frames of 16×16, 8×8 patches (a 2×2 grid), K = 4, E = 3, C = 2, 3×3 kernel, batch 1.
    const config = resolveRcnnConfig('rcnn', 'tiny', {
      frames: 5,
      frameSize: 16,
      dictionarySize: 4,
      embeddingDim: 3,
      hiddenChannels: 2,
      convLayers: 1,
      batchSize: 1,
      extrapolationFrames: 3,
    });
    const locations = 1 * 2 * 2;
    const quantize = product(5 * locations, 64, 4); // patches [B·T·G², 64]·[64, K]
    const inputConv = conv(4 * locations, 9, 3, 2); // frames 1…4, 3×3 neighbourhoods of E
    const recurrence = 3 * product(locations, 2, 2); // frames 2…4: [L, C]·[C, C]
    const output = product(4 * locations, 2, 4); // [(T−1)·L, C]·[C, K]
    expect(rcnnTrainStepFlops(config)).toBe(quantize + 3 * (inputConv + recurrence + output));
  });

  it('ConvLSTM: the gate convolutions of both stacks and the readout, each 3× (fwd, dx, dW) but the first input gradient', () => {
    // 8×8 frames in 2×2 patches (G = 4, p² = 4), two layers of 8 channels, 3×3 kernels, B = 2,
    // 2 input frames, 1 future frame.
    const config = resolveConvLstmConfig('encoder-forecaster', 'tiny', {
      frameSize: 8,
      patchSize: 2,
      channels: '8-8',
      kernelSize: 3,
      batchSize: 2,
      inputFrames: 2,
      futureFrames: 1,
    });
    const positions = 2 * 4 * 4;
    const encoder = conv(positions, 9, 4 + 8, 32) + conv(positions, 9, 8 + 8, 32);
    const forecaster = conv(positions, 9, 8, 32) + conv(positions, 9, 8 + 8, 32); // no input
    const readout = product(positions, 16, 4); // [B·G·G, ΣU]·[ΣU, p²]
    // The first layer's first step reads frames and a zero state: no input gradient.
    const firstInputGradient = conv(positions, 9, 4 + 8, 32);
    expect(convLstmTrainStepFlops(config)).toBe(
      3 * (2 * encoder + forecaster + readout) - firstInputGradient,
    );
  });

  it('dispatches by model kind', () => {
    const config = resolveLstmConfig('composite', 'tiny');
    const resolved = modelDefinition('lstm').resolve('composite', 'tiny');
    expect(resolved.trainStepFlops()).toBe(lstmTrainStepFlops(config));
  });
});

// --- what tfjs runs --------------------------------------------------------------------------------

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

interface ProfiledKernel {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

/**
 * Multiply-adds of one profiled product kernel, from its shapes alone. A matmul [.., m, k]·[.., k, n]:
 * output size × k, with k = (last two dims of a) / m. A convolution or one of its gradients: size
 * of the tensor with the output channels (y or dy) × taps × input channels, i.e. that size × the
 * filter's size / its output channels.
 */
function kernelMacs({ name, inputShapes, outputShapes }: ProfiledKernel): number {
  const [first, second] = inputShapes;
  const [out] = outputShapes;
  const conv = (withOutputChannels: number[], filter: number[]) =>
    (size(withOutputChannels) * size(filter)) / filter[filter.length - 1];
  switch (name) {
    case 'BatchMatMul':
    case '_FusedMatMul':
      return (size(out) * first[first.length - 1] * first[first.length - 2]) / out[out.length - 2];
    case 'Conv2D':
    case 'Conv3D':
      return conv(out, second); // inputs x, filter → y
    case 'Conv2DBackpropInput':
    case 'Conv3DBackpropInputV2':
      return conv(first, second); // inputs dy, filter → dx
    case 'Conv2DBackpropFilter':
    case 'Conv3DBackpropFilterV2':
      return conv(second, out); // inputs x, dy → filter gradient
    default:
      return 0;
  }
}

let digits: MnistDigits;

beforeAll(async () => {
  await tf.setBackend('cpu');
  digits = await loadMnistFromDisk();
});

async function profiledStepFlops(resolved: ResolvedModel): Promise<number> {
  const model = (await resolved.builder())(0);
  const stream = new MovingMnistStream(
    digits,
    movingMnistOptionsFor({ source: 'moving-mnist', digitSize: model.data.width / 2 }, model.data),
    model.data,
    1,
  );
  try {
    if (model.prepare) await model.prepare(stream, () => {}, new AbortController().signal);
    const batch = stream.nextBatch();
    const info = await tf.profile(() => {
      const scalars = model.trainStep(batch);
      tf.dispose(Object.values(scalars));
    });
    batch.dispose();
    return info.kernels.reduce((total, kernel) => total + 2 * kernelMacs(kernel), 0);
  } finally {
    model.dispose();
  }
}

describe('the products tfjs runs in a training step (CPU backend)', () => {
  it.each([
    [
      'lstm',
      'composite',
      { frameSize: 8, hiddenUnits: 4, batchSize: 2, inputFrames: 3, futureFrames: 2 },
    ],
    [
      'lstm',
      'future-predictor',
      {
        frameSize: 8,
        hiddenUnits: 3,
        layers: 2,
        batchSize: 2,
        inputFrames: 2,
        futureFrames: 2,
        conditionalFuture: true,
      },
    ],
    [
      'vgan',
      'two-stream',
      { frameSize: 16, frames: 4, zDim: 4, generatorWidth: 2, discriminatorWidth: 2, batchSize: 2 },
    ],
    [
      'vgan',
      'one-stream',
      { frameSize: 16, frames: 4, zDim: 4, generatorWidth: 2, discriminatorWidth: 2, batchSize: 2 },
    ],
    [
      'vgan',
      'image-to-video',
      { frameSize: 16, frames: 4, generatorWidth: 2, discriminatorWidth: 2, batchSize: 2 },
    ],
    [
      'rcnn',
      'rcnn',
      {
        frames: 5,
        frameSize: 32,
        dictionarySize: 8,
        kmeansPatches: 256,
        kmeansBatchSize: 64,
        kmeansIterations: 2,
        sweepSizes: 1,
        embeddingDim: 3,
        hiddenChannels: 4,
        convLayers: 2,
        batchSize: 2,
        extrapolationFrames: 3,
      },
    ],
    [
      'convlstm',
      'encoder-forecaster',
      {
        frameSize: 8,
        patchSize: 2,
        channels: '8-8',
        kernelSize: 3,
        batchSize: 2,
        inputFrames: 2,
        futureFrames: 2,
      },
    ],
  ] as const)('%s %s', async (kind, variant, overrides) => {
    const resolved = modelDefinition(kind).resolve(variant, 'tiny', overrides);
    expect(await profiledStepFlops(resolved)).toBe(resolved.trainStepFlops());
  });
});
