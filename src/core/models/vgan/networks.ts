/**
 * The two networks of the video GAN (Vondrick, Pirsiavash, Torralba 2016; reference code
 * github.com/cvondrick/videogan `main.lua`, `main_conditional.lua`), built bottom-up from the
 * blocks in ops.ts. `model.ts` trains them.
 *
 * Generator (two-stream): a 3D stream of transposed convolutions grows the code into a foreground
 * video f (tanh) and a mask m (sigmoid) that share every layer but the last; a 2D stream grows it
 * into a background image b (tanh) that is replicated over time; the video is m⊙f + (1−m)⊙b.
 * One-stream: the 3D stream's video alone. Image-to-video: the code is a still image encoded by
 * 2D convs. Discriminator: 3D convs (kernel 4, stride 2, pad 1) with LeakyReLU 0.2 and batch norm
 * after all but the first, then a T0×4×4 conv to one real/fake logit.
 *
 * As in the reference: weights ~ N(0, initStd²), biases 0, batch-norm scales ~ N(1, 0.02²), shifts
 * 0; batch norm with batch statistics, epsilon 1e-5 in G and 1e-3 in D and the encoder. Where the
 * layout differs, the map does not: the first generator layer (a transposed conv of a 1×1×1
 * input) is a dense layer, the last discriminator layer (a 'valid' conv whose kernel covers its
 * input) a matmul, the video and mask heads one transposed conv with C + 1 output channels, and
 * layers followed by batch norm have no bias (it would cancel and get a zero gradient).
 *
 * Shapes: B batch, T frames, S frame side, C channels, Z latent size, L stride-2 levels,
 * T0 = T / 2^L; generator widths g[i] = generatorWidth · 2^(L−1−i), discriminator widths d[i].
 */
import * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../kit/params';
import type { VganConfig, VganGeometry } from './config';
import {
  batchNorm,
  composeVideo,
  overFrames,
  splitChannels,
  strided,
  stridedTranspose,
  useBlocked,
} from './ops';
import type { ConvAlgorithm } from './ops';
import type { Activation } from '../../gpu/kernels/activation';
import { batchNormActivation, batchNormKernelReady } from '../../gpu/kernels/batch-norm';
import { biasActivation, biasActivationKernelReady } from '../../gpu/kernels/bias-activation';
import { composeTwoStream, twoStreamComposeReady } from '../../gpu/kernels/two-stream-compose';

/** Torch's default batch-norm epsilon (generator) and the 1e-3 the reference gives D and the encoder. */
const G_BN_EPSILON = 1e-5;
const D_BN_EPSILON = 1e-3;
const BN_SCALE_STD = 0.02; // BN scale ~ N(1, 0.02²)
const LEAK = 0.2;

export type Network = 'generator' | 'discriminator';

// --- weights -------------------------------------------------------------------------------------

/** Where a network's weights come from: the model's store, under the network's optimiser group. */
interface Weights {
  store: ParameterStore;
  network: Network;
  initStd: number;
}

/** Conv or dense weights ~ N(0, initStd²). */
function weight(from: Weights, name: string, shape: number[]): tf.Variable {
  return from.store.normal(name, shape, 0, from.initStd, { group: from.network });
}

function bias(from: Weights, name: string, shape: number[]): tf.Variable {
  return from.store.zeros(name, shape, { group: from.network });
}

/**
 * A kernel-4 stride-2 layer's filter in the standard layout: conv [4, 4, 4, in, out], transposed
 * conv [4, 4, 4, out, in]; kernel depth 1 for 2D layers (`time` false).
 */
function stridedFilter(
  from: Weights,
  name: string,
  inputs: number,
  outputs: number,
  time: boolean,
  transposed: boolean,
): StridedFilter {
  const [a, b] = transposed ? [outputs, inputs] : [inputs, outputs];
  const w = weight(from, name, [time ? 4 : 1, 4, 4, a, b]);
  return { w, inputs, outputs, time };
}

/** Batch-norm scale ~ N(1, 0.02²) and shift 0, as the reference's weights_init. */
function batchNormParams(from: Weights, name: string, channels: number): BatchNormParams {
  const { store, network: group } = from;
  return {
    scale: store.normal(`${name}.scale`, [channels], 1, BN_SCALE_STD, {
      group,
    }) as tf.Variable<tf.Rank.R1>,
    shift: store.zeros(`${name}.shift`, [channels], { group }) as tf.Variable<tf.Rank.R1>,
  };
}

/** A kernel-4 stride-2 pad-1 layer: its filter and channel counts. */
interface StridedFilter {
  w: tf.Variable;
  inputs: number;
  outputs: number;
  time: boolean; // a 3D layer; otherwise 2D, applied to every frame
}

/** Runs the strided layers with the model's conv algorithm (see ops.ts `useBlocked`). */
export class StridedConvs {
  constructor(private readonly algorithm: ConvAlgorithm) {}

  down(x: tf.Tensor5D, f: StridedFilter): tf.Tensor5D {
    const blocked = useBlocked(this.algorithm, f.inputs, f.outputs);
    return strided(x, f.w as unknown as tf.Tensor5D, f.time, blocked);
  }

  up(x: tf.Tensor5D, f: StridedFilter): tf.Tensor5D {
    const blocked = useBlocked(this.algorithm, f.inputs, f.outputs);
    return stridedTranspose(x, f.w as unknown as tf.Tensor5D, f.time, blocked);
  }
}

interface BatchNormParams {
  scale: tf.Variable<tf.Rank.R1>; // [C]
  shift: tf.Variable<tf.Rank.R1>; // [C]
}

const asMatrix = (v: tf.Variable) => v as unknown as tf.Tensor2D;

/** The activations of the networks: ReLU in G and the encoder, LeakyReLU 0.2 in D. */
type LayerActivation = 'relu' | 'leaky-relu';

const activate = (x: tf.Tensor4D, activation: LayerActivation): tf.Tensor4D =>
  activation === 'relu' ? tf.relu(x) : tf.leakyRelu(x, LEAK);

/**
 * BN (batch statistics) then an activation, on [N, H, W, C]: one fused op on WebGPU
 * (optimisation webgpu-batch-norm-activation), else the composed ops.
 */
function normalise(
  x: tf.Tensor4D,
  bn: BatchNormParams,
  epsilon: number,
  activation: LayerActivation,
): tf.Tensor4D {
  if (!batchNormKernelReady()) {
    return activate(batchNorm(x, bn.scale, bn.shift, epsilon), activation);
  }
  const rows = x.reshape([-1, x.shape[3]]) as tf.Tensor2D; // [N·H·W, C]
  const options = { epsilon, activation, leak: LEAK };
  return batchNormActivation(rows, bn.scale, bn.shift, options).reshape(x.shape);
}

/** act(y) for the activations the networks' biased layers use. */
function activateAny(y: tf.Tensor, kind: Activation): tf.Tensor {
  switch (kind) {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'leaky-relu':
      return tf.leakyRelu(y, LEAK);
    case 'tanh':
      return tf.tanh(y);
    case 'sigmoid':
      return tf.sigmoid(y);
  }
}

/**
 * act(x + b) with b [C] on the last axis of x, on a rank-2 view [N, C] (so no rank-5 tensor
 * meets the rank-1 bias): one fused op on WebGPU (optimisation webgpu-bias-activation), else the
 * composed ops. The bias gradient is then a sum over rows, which avoids WebGPU's slow transpose
 * of a long, thin matrix.
 */
function biasThen<T extends tf.Tensor>(x: T, b: tf.Variable, activation: Activation): T {
  const rows = x.reshape([-1, x.shape[x.shape.length - 1]]) as tf.Tensor2D; // [N, C]
  const y = biasActivationKernelReady()
    ? biasActivation(rows, b as tf.Tensor1D, { activation, leak: LEAK })
    : activateAny(rows.add(b), activation);
  return y.reshape(x.shape) as T;
}

/**
 * The two-stream heads' outputs from their joint logits [N, C + 1] and bias [C + 1]: the
 * foreground tanh(·) [N, C] and the mask σ(·) [N, 1] (the last channel).
 */
function foregroundAndMask(logits: tf.Tensor2D, b: tf.Variable): [tf.Tensor2D, tf.Tensor2D] {
  const c = logits.shape[1] - 1;
  if (biasActivationKernelReady()) {
    const options = { activation: 'tanh', lastColumn: 'sigmoid', leak: LEAK } as const;
    return splitChannels(biasActivation(logits, b as tf.Tensor1D, options), c);
  }
  const [videoLogits, maskLogits] = splitChannels(logits.add(b) as tf.Tensor2D, c);
  return [tf.tanh(videoLogits), tf.sigmoid(maskLogits)];
}

// --- generator -----------------------------------------------------------------------------------

/** What the generator produces for a batch, all in [-1, 1] except the mask ([0, 1]). */
export interface GeneratorOutput {
  video: tf.Tensor5D; // [B, T, S, S, C]
  foreground?: tf.Tensor5D; // [B, T, S, S, C] f (two-stream, image-to-video)
  mask?: tf.Tensor5D; // [B, T, S, S, 1] m
  background?: tf.Tensor4D; // [B, S, S, C] b, before replication over time
}

/** Which outputs besides the video a caller of the generator reads (two-stream variants). */
export type GeneratorParts = 'all' | 'mask' | 'video';

/** A transposed conv level: filter g_{i−1} → g_i, batch norm. */
interface UpLevel {
  f: StridedFilter;
  bn: BatchNormParams;
}

/** A transposed conv to the output channels, with a bias. */
interface Head {
  f: StridedFilter;
  b: tf.Variable; // [C_out]
}

interface EncoderLayer {
  f: StridedFilter; // a 2D conv, run on a T = 1 video
  b: tf.Variable | null; // first layer only
  bn: BatchNormParams | null; // every layer but the first
}

/**
 * 2D layers (background stream, image encoder) run as 3D convs with kernel depth 1 on videos of
 * one frame: the same maps, through the Conv3D kernels that every other layer uses.
 */
export class Generator {
  private readonly conditional: boolean;
  // Foreground stream.
  private readonly project: tf.Variable; // noise: [Z, T0·16·g0]; image: [g0, T0·g0]
  private readonly projectBn: BatchNormParams;
  private readonly up3d: UpLevel[] = [];
  /**
   * The video head (C channels, tanh) and the mask head (1 channel, sigmoid) as one transposed
   * conv with C + 1 output channels: the same weights as two heads, one kernel launch forward and
   * one for the input gradient.
   */
  private readonly heads: Head;
  // Background stream.
  private readonly bgProject: tf.Variable | null; // noise only: [Z, 16·g0]
  private readonly bgProjectBn: BatchNormParams | null;
  private readonly up2d: UpLevel[] = [];
  private readonly bgHead: Head | null;
  // Image encoder (image-to-video).
  private readonly encoder: EncoderLayer[] = [];

  constructor(
    store: ParameterStore,
    private readonly config: VganConfig,
    private readonly geometry: VganGeometry,
    private readonly convs: StridedConvs,
  ) {
    const { levels: l, firstFrames: t0, generatorWidths: g } = geometry;
    const c = config.channels;
    const n: Weights = { store, network: 'generator', initStd: config.initStd };
    this.conditional = config.variant === 'image-to-video';
    const twoStream = config.variant !== 'one-stream';

    if (this.conditional) {
      let inputs = c;
      for (let i = 0; i < l; i++) {
        const width = g[l - 1 - i]; // g reversed: the encoder ends at g0 channels on 4×4
        this.encoder.push({
          f: stridedFilter(n, `g.enc${i}.w`, inputs, width, false, false),
          b: i === 0 ? bias(n, `g.enc${i}.b`, [width]) : null,
          bn: i === 0 ? null : batchNormParams(n, `g.enc${i}.bn`, width),
        });
        inputs = width;
      }
    }
    this.project = this.conditional
      ? weight(n, 'g.fg.expand.w', [g[0], t0 * g[0]]) // a T0×1×1 transposed conv
      : weight(n, 'g.fg.project.w', [config.zDim, t0 * 16 * g[0]]);
    this.projectBn = batchNormParams(n, 'g.fg.project.bn', g[0]);
    for (let i = 1; i < l; i++) {
      this.up3d.push({
        f: stridedFilter(n, `g.fg.up${i}.w`, g[i - 1], g[i], true, true),
        bn: batchNormParams(n, `g.fg.up${i}.bn`, g[i]),
      });
    }
    const headChannels = twoStream ? c + 1 : c; // video channels, then the mask
    this.heads = {
      f: stridedFilter(n, 'g.fg.heads.w', g[l - 1], headChannels, true, true),
      b: bias(n, 'g.fg.heads.b', [headChannels]),
    };

    this.bgProject =
      twoStream && !this.conditional ? weight(n, 'g.bg.project.w', [config.zDim, 16 * g[0]]) : null;
    this.bgProjectBn = this.bgProject ? batchNormParams(n, 'g.bg.project.bn', g[0]) : null;
    if (twoStream) {
      for (let i = 1; i < l; i++) {
        this.up2d.push({
          f: stridedFilter(n, `g.bg.up${i}.w`, g[i - 1], g[i], false, true),
          bn: batchNormParams(n, `g.bg.up${i}.bn`, g[i]),
        });
      }
    }
    this.bgHead = twoStream
      ? {
          f: stridedFilter(n, 'g.bg.out.w', g[l - 1], c, false, true),
          b: bias(n, 'g.bg.out.b', [c]),
        }
      : null;
  }

  /**
   * The code the streams start from: z [B, Z] itself, or for image-to-video the still
   * [B, S, S, C] encoded to [B, 4, 4, g0].
   */
  encode(input: tf.Tensor): tf.Tensor {
    if (!this.conditional) return input; // [B, Z]
    const [b, s, , c] = input.shape;
    let x = input.reshape([b, 1, s, s, c]) as tf.Tensor5D; // [B, 1, S, S, C]
    for (const layer of this.encoder) {
      x = this.convs.down(x, layer.f); // [B, 1, S/2^(i+1), ·, width]
      x = overFrames(x, (frames4) =>
        layer.bn
          ? normalise(frames4, layer.bn, D_BN_EPSILON, 'relu')
          : biasThen(frames4, layer.b as tf.Variable, 'relu'),
      );
    }
    const [, , h, , width] = x.shape;
    return x.reshape([b, h, h, width]); // [B, 4, 4, g0]
  }

  /**
   * Generator outputs from a code (see `encode`). `parts` says which of f and m a caller reads
   * besides the video: on WebGPU each is a slice of the joint heads output, a dispatch.
   */
  decode(code: tf.Tensor, parts: GeneratorParts = 'all'): GeneratorOutput {
    const { firstFrames: t0, generatorWidths: g } = this.geometry;
    const b = code.shape[0];
    const { frames, frameSize: s, channels: c } = this.config;

    // Foreground stream: code → [B, T0, 4, 4, g0].
    let first: tf.Tensor4D; // [B·T0, 4, 4, g0]
    if (this.conditional) {
      const perPixel = code.reshape([b * 16, g[0]]).matMul(asMatrix(this.project)); // [B·16, T0·g0]
      first = perPixel
        .reshape([b, 16, t0, g[0]])
        .transpose([0, 2, 1, 3]) // [B, T0, 16, g0]
        .reshape([b * t0, 4, 4, g[0]]);
    } else {
      first = (code as tf.Tensor2D)
        .matMul(asMatrix(this.project)) // [B, T0·16·g0]
        .reshape([b * t0, 4, 4, g[0]]);
    }
    let x = normalise(first, this.projectBn, G_BN_EPSILON, 'relu').reshape([
      b,
      t0,
      4,
      4,
      g[0],
    ]) as tf.Tensor5D; // [B, T0, 4, 4, g0]
    this.up3d.forEach((level) => {
      x = this.convs.up(x, level.f); // [B, 2t, 2h, 2h, g_i]
      x = overFrames(x, (frames4) => normalise(frames4, level.bn, G_BN_EPSILON, 'relu'));
    });
    const headChannels = this.heads.b.shape[0];
    const heads = this.convs.up(x, this.heads.f); // [B, T, S, S, C (+ 1)]
    if (!this.bgHead) {
      return { video: biasThen(heads, this.heads.b, 'tanh') }; // [B, T, S, S, C]
    }
    const headRows = heads.reshape([b * frames * s * s, headChannels]) as tf.Tensor2D;

    // Background stream: code → [B, 1, 4, 4, g0] → [B, 1, S, S, C] (one frame).
    let still: tf.Tensor5D;
    if (this.conditional) {
      still = code.reshape([b, 1, 4, 4, g[0]]) as tf.Tensor5D; // the encoder's output
    } else {
      const projected = (code as tf.Tensor2D)
        .matMul(asMatrix(this.bgProject as tf.Variable)) // [B, 16·g0]
        .reshape([b, 4, 4, g[0]]) as tf.Tensor4D;
      still = normalise(
        projected,
        this.bgProjectBn as BatchNormParams,
        G_BN_EPSILON,
        'relu',
      ).reshape([b, 1, 4, 4, g[0]]) as tf.Tensor5D;
    }
    this.up2d.forEach((level) => {
      still = this.convs.up(still, level.f); // [B, 1, 2h, 2h, g_i]
      still = overFrames(still, (frames4) => normalise(frames4, level.bn, G_BN_EPSILON, 'relu'));
    });
    const bgHead = this.bgHead;
    const bgLogits = this.convs.up(still, bgHead.f).reshape([b, s, s, c]) as tf.Tensor4D; // [B, S, S, C]
    const background = biasThen(bgLogits, bgHead.b, 'tanh'); // [B, S, S, C]

    if (twoStreamComposeReady() && biasActivationKernelReady()) {
      // One kernel from the joint heads; f and m are sliced out only for callers that read them.
      const options = { activation: 'tanh', lastColumn: 'sigmoid', leak: LEAK } as const;
      const joint = biasActivation(headRows, this.heads.b as tf.Tensor1D, options);
      const video = composeTwoStream(
        joint.reshape([b, frames, s * s, headChannels]) as tf.Tensor4D,
        background.reshape([b, s * s, c]) as tf.Tensor3D,
      ).reshape([b, frames, s, s, c]) as tf.Tensor5D;
      const n = b * frames * s * s;
      const channels = (first: number, count: number) =>
        joint.slice([0, first], [n, count]).reshape([b, frames, s, s, count]) as tf.Tensor5D;
      return {
        video,
        background,
        ...(parts === 'all' ? { foreground: channels(0, c) } : {}), // [B, T, S, S, C]
        ...(parts !== 'video' ? { mask: channels(c, 1) } : {}), // [B, T, S, S, 1]
      };
    }
    const [fg, m] = foregroundAndMask(headRows, this.heads.b); // [B·T·S·S, C], [B·T·S·S, 1]
    const foreground = fg.reshape([b, frames, s, s, c]) as tf.Tensor5D;
    const mask = m.reshape([b, frames, s, s, 1]) as tf.Tensor5D;
    const video = composeVideo(mask, foreground, background); // [B, T, S, S, C]
    return { video, foreground, mask, background };
  }

  forward(input: tf.Tensor, parts: GeneratorParts = 'all'): GeneratorOutput {
    return this.decode(this.encode(input), parts);
  }
}

// --- discriminator -------------------------------------------------------------------------------

export class Discriminator {
  private readonly layers: {
    f: StridedFilter;
    b: tf.Variable | null;
    bn: BatchNormParams | null;
  }[] = [];
  private readonly outW: tf.Variable; // [T0·16·d_{L−1}, 1]: the T0×4×4 'valid' conv as a matmul
  private readonly outB: tf.Variable; // [1]

  constructor(
    store: ParameterStore,
    config: VganConfig,
    geometry: VganGeometry,
    private readonly convs: StridedConvs,
  ) {
    const { levels: l, firstFrames: t0, discriminatorWidths: d } = geometry;
    const n: Weights = { store, network: 'discriminator', initStd: config.initStd };
    let inputs = config.channels;
    for (let i = 0; i < l; i++) {
      this.layers.push({
        f: stridedFilter(n, `d.conv${i}.w`, inputs, d[i], true, false),
        b: i === 0 ? bias(n, `d.conv${i}.b`, [d[i]]) : null,
        bn: i === 0 ? null : batchNormParams(n, `d.conv${i}.bn`, d[i]),
      });
      inputs = d[i];
    }
    this.outW = weight(n, 'd.out.w', [t0 * 16 * d[l - 1], 1]);
    this.outB = bias(n, 'd.out.b', [1]);
  }

  /** Real/fake logits [B] of videos [B, T, S, S, C]. */
  logits(videos: tf.Tensor5D): tf.Tensor1D {
    const b = videos.shape[0];
    const flat = this.penultimate(videos); // [B, T0·4·4·d_{L−1}]
    return flat.matMul(asMatrix(this.outW)).add(this.outB).reshape([b]) as tf.Tensor1D;
  }

  /**
   * The last layer's input, flattened: [B, T0·4·4·d_{L−1}] of videos [B, T, S, S, C] (batch
   * norm over this batch, as in training). Probes replace the real/fake output with a classifier.
   */
  penultimate(videos: tf.Tensor5D): tf.Tensor2D {
    const b = videos.shape[0];
    const x = this.layers.reduce((input, _, i) => this.layer(i, input), videos);
    return x.reshape([b, -1]) as tf.Tensor2D; // [B, T0·4·4·d_{L−1}]
  }

  /**
   * The first layer's responses [B, T/2, S/2, S/2, d_0] to videos [B, T, S, S, C], after its
   * leaky ReLU (that layer has a bias, no batch norm: a clip's responses do not depend on others).
   */
  firstLayer(videos: tf.Tensor5D): tf.Tensor5D {
    return this.layer(0, videos);
  }

  /** Layer `i`: the strided convolution, then batch norm or the bias, then the leaky ReLU. */
  private layer(i: number, x: tf.Tensor5D): tf.Tensor5D {
    const { f, b, bn } = this.layers[i];
    const y = this.convs.down(x, f); // [B, T/2, S/2, S/2, d_i]
    return overFrames(y, (frames4) =>
      bn
        ? normalise(frames4, bn, D_BN_EPSILON, 'leaky-relu')
        : biasThen(frames4, b as tf.Variable, 'leaky-relu'),
    );
  }
}
