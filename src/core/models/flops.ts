/**
 * Floating-point operations of one training step, counted analytically from a model's config, so
 * the benchmark can turn ms/step into achieved GFLOP/s. Pure TypeScript (no tfjs).
 *
 * What is counted: 2 FLOPs per multiply-add of every matrix product and convolution the step runs,
 * forward and backward, at the layer's nominal size (a kernel-4 stride-2 convolution counts its
 * 4×4×4 taps, whichever algorithm computes it). Backward: the weight gradient of every trained
 * layer, and the input gradient wherever tfjs computes one — inputs on the path from the trained
 * variables, plus both gradients of ops with a custom gradient (fused matMul, the transposed
 * convolutions), which tfjs always evaluates in full. Not counted: elementwise ops, reductions,
 * batch norm, softmax and the optimiser update, each O(activations) or O(parameters) and small
 * next to the products (see BENCHMARKS.md).
 */
import type { LstmConfig } from './lstm/config';
import type { RcnnConfig } from './rcnn/config';
import { patchGridSize } from './rcnn/config';
import type { ModelKind } from './types';
import type { VganConfig } from './vgan/config';
import { vganGeometry } from './vgan/config';

/** FLOPs of a product of `macs` multiply-adds. */
const flops = (macs: number) => 2 * macs;

// --- LSTM encoder-decoder ------------------------------------------------------------------------

/**
 * LSTM: per time step and layer one fused gate product [4U, I + U]·[I + U, B] (I = the layer's
 * input: the frame's P pixels for the encoder and conditional decoders, the layer below's U units
 * above layer 0, nothing for an unconditioned decoder's first layer), per decoder step a readout
 * [P, U]·[U, B]. All are fused matMuls (custom gradient): forward, input and weight gradient, 3×.
 */
export function lstmTrainStepFlops(config: LstmConfig): number {
  const pixels = config.frameSize * config.frameSize;
  const { hiddenUnits: u, layers, batchSize: b } = config;
  const stackMacs = (inputs: number) => {
    let macs = 0;
    for (let layer = 0; layer < layers; layer++) {
      macs += 4 * u * ((layer === 0 ? inputs : u) + u) * b;
    }
    return macs;
  };
  const readoutMacs = pixels * u * b;
  let forward = config.inputFrames * stackMacs(pixels); // encoder
  if (config.reconstruct) {
    const inputs = config.conditionalReconstruction ? pixels : 0;
    forward += config.inputFrames * (stackMacs(inputs) + readoutMacs);
  }
  if (config.predictFuture) {
    const inputs = config.conditionalFuture ? pixels : 0;
    forward += config.futureFrames * (stackMacs(inputs) + readoutMacs);
  }
  return 3 * flops(forward);
}

// --- VGAN ----------------------------------------------------------------------------------------

/** Multiply-adds of one network's forward pass, split by which backward products tfjs runs. */
interface NetworkMacs {
  /** All products of the forward pass. */
  forward: number;
  /** Products whose input is data (noise, a real video, a still): no input gradient. */
  dataInput: number;
}

/**
 * Generator: the projection of z (a matmul) or the image encoder's 2D convolutions and expansion,
 * the 3D transposed convolutions (each input voxel scatters to 4×4×4 taps: voxels·64·Cin·Cout),
 * the video (+ mask) head; two-stream and image-to-video add the 2D background stream.
 */
function vganGeneratorMacs(config: VganConfig): NetworkMacs {
  const { levels, firstFrames: t0, generatorWidths: g } = vganGeometry(config);
  const { batchSize: b, channels: c, zDim: z } = config;
  const conditional = config.variant === 'image-to-video';
  const twoStream = config.variant !== 'one-stream';
  let forward = 0;
  let dataInput = 0;
  if (conditional) {
    // Encoder: 2D k4 s2 convolutions S → 4 px, widths g reversed (outputs · 16 taps · Cin · Cout).
    let inputs = c;
    let side = config.frameSize;
    for (let i = 0; i < levels; i++) {
      side /= 2;
      const width = g[levels - 1 - i];
      const macs = b * side * side * 16 * inputs * width;
      forward += macs;
      if (i === 0) dataInput += macs; // reads the still image
      inputs = width;
    }
    forward += b * 16 * g[0] * t0 * g[0]; // expansion [B·16, g0]·[g0, T0·g0]
  } else {
    const project = b * z * t0 * 16 * g[0]; // [B, Z]·[Z, T0·16·g0]
    forward += project;
    dataInput += project;
    if (twoStream) {
      const bgProject = b * z * 16 * g[0]; // [B, Z]·[Z, 16·g0]
      forward += bgProject;
      dataInput += bgProject;
    }
  }
  // 3D stream: level i − 1 → i on an input of [T0·2^(i−1), 4·2^(i−1), 4·2^(i−1)] voxels.
  const voxels = (i: number) => t0 * 2 ** i * (4 * 2 ** i) ** 2;
  for (let i = 1; i < levels; i++) forward += b * voxels(i - 1) * 64 * g[i - 1] * g[i];
  forward += b * voxels(levels - 1) * 64 * g[levels - 1] * (twoStream ? c + 1 : c); // heads
  if (twoStream) {
    // 2D stream: pixels · 16 taps · Cin · Cout, from 4×4.
    const pixels = (i: number) => (4 * 2 ** i) ** 2;
    for (let i = 1; i < levels; i++) forward += b * pixels(i - 1) * 16 * g[i - 1] * g[i];
    forward += b * pixels(levels - 1) * 16 * g[levels - 1] * c;
  }
  return { forward, dataInput };
}

/**
 * Discriminator: 3D k4 s2 convolutions (output voxels · 64 taps · Cin · Cout) down to
 * [T0, 4, 4, d_{L−1}], then the logit as a matmul [B, T0·16·d_{L−1}]·[·, 1].
 */
function vganDiscriminatorMacs(config: VganConfig): NetworkMacs {
  const { levels, firstFrames: t0, discriminatorWidths: d } = vganGeometry(config);
  const b = config.batchSize;
  let forward = 0;
  let dataInput = 0;
  let inputs = config.channels;
  for (let i = 0; i < levels; i++) {
    const out = (config.frames / 2 ** (i + 1)) * (config.frameSize / 2 ** (i + 1)) ** 2;
    const macs = b * out * 64 * inputs * d[i];
    forward += macs;
    if (i === 0) dataInput += macs;
    inputs = d[i];
  }
  forward += b * t0 * 16 * d[levels - 1];
  return { forward, dataInput };
}

/**
 * One iteration as `VideoGan.trainStep` runs it. D step: G forward without gradient, D forward on
 * a real and a generated batch, D's weight gradients and its input gradients (but not into the
 * videos themselves). G step: G and D forward on a fresh generated batch, D's input gradients only
 * (D's weights are not trained in it), G's weight gradients and input gradients (not into z or
 * the still image; transposed convolutions compute theirs regardless).
 */
export function vganTrainStepFlops(config: VganConfig): number {
  const g = vganGeneratorMacs(config);
  const d = vganDiscriminatorMacs(config);
  const dStep = g.forward + 2 * (d.forward + d.forward + (d.forward - d.dataInput));
  const gStep = g.forward + d.forward + d.forward + g.forward + (g.forward - g.dataInput);
  return flops(dStep + gStep);
}

// --- video language model ------------------------------------------------------------------------

/**
 * rCNN over L = B·G·G patch locations: quantizing every patch of the batch (distances to the K
 * centroids as one [B·T·G·G, D]·[D, K] product, no gradient), then on T − 1 input frames the
 * k×k input convolutions ((T−1)·L · k²·Cin·C each; the first reads the embedding, a trained
 * variable, so every one gets an input gradient), the 1×1 recurrence [L, C]·[C, C] at T − 2 steps
 * (the first has no state), and the output [(T−1)·L, C]·[C, K]; each trained product 3×.
 */
export function rcnnTrainStepFlops(config: RcnnConfig): number {
  const grid = patchGridSize(config);
  const locations = config.batchSize * grid * grid;
  const { dictionarySize: k, embeddingDim: e, hiddenChannels: c, kernelSize: s } = config;
  const quantize = config.batchSize * config.frames * grid * grid * k * config.patchSize ** 2;
  const inputFrames = config.frames - 1;
  let trained = 0;
  for (let layer = 0; layer < config.convLayers; layer++) {
    trained += inputFrames * locations * s * s * (layer === 0 ? e : c) * c;
  }
  trained += (config.frames - 2) * locations * c * c;
  trained += inputFrames * locations * c * k;
  return flops(quantize + 3 * trained);
}

/** The training step's FLOPs of a model kind and its resolved config. */
export function trainStepFlops(kind: ModelKind, config: object): number {
  switch (kind) {
    case 'lstm':
      return lstmTrainStepFlops(config as LstmConfig);
    case 'vgan':
      return vganTrainStepFlops(config as VganConfig);
    case 'rcnn':
      return rcnnTrainStepFlops(config as RcnnConfig);
    default: {
      const unreachable: never = kind;
      throw new Error(`Unknown model ${String(unreachable)}`);
    }
  }
}
