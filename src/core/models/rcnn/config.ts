/**
 * Config, presets and catalog entry of the video language model of
 *
 *   M. Ranzato, A. Szlam, J. Bruna, M. Mathieu, R. Collobert, S. Chopra, "Video (language)
 *   modeling: a baseline for generative models of natural videos", arXiv:1412.6604, 2014.
 *
 * Pure TypeScript (no tfjs): the UI imports this file to build its pickers and validate configs.
 * No reference code exists. What the paper's text fixes is used as is: gray-scale frames divided
 * by their standard deviation and nothing else, 8×8 patches quantized by k-means into 10,000
 * centroids, a recurrent convolutional net over the patch codes whose recurrent transition is a
 * 1×1 convolution, a softmax over the dictionary at each location, and the rNN (one location's
 * code history) beside it. Every other detail is a named field below; where the text is silent
 * the field's comment and help say "not fixed by the paper" and name the default chosen here.
 */
import { ConfigError, cadenceFields } from '../config-schema';
import type { ConfigField, Preset, Variant } from '../config-schema';
import { configResolver } from '../kit/definition';
import type { DataRequirements } from '../types';

export type RcnnVariant = 'rcnn' | 'rnn';
/** Which pixels a frame's standard deviation is taken over before dividing by it. */
export type StdScope = 'frame' | 'video';
export type KmeansInit = 'kmeans++' | 'sample';
export type RecurrentActivation = 'tanh' | 'sigmoid' | 'relu';

export type RcnnConfig = {
  variant: RcnnVariant;
  // --- data ---
  frames: number; // T: frames per training sequence (filling needs ≥ 5)
  frameSize: number; // square frame side in px; the data source draws this canvas size (64)
  // --- patch dictionary ---
  patchSize: number; // P: square patch side (paper: 8)
  patchStride: number; // px between patch origins; P = non-overlapping (not fixed by the paper)
  stdScope: StdScope; // divide each frame by its own std, or every frame of a clip by the clip's
  dictionarySize: number; // K: k-means centroids (paper: 10,000)
  kmeansInit: KmeansInit; // k-means++ (D² sampling) or K distinct random patches (not fixed)
  kmeansPatches: number; // patches drawn from the training stream to fit the dictionary
  kmeansBatchSize: number; // patches per mini-batch update (Sculley 2010)
  kmeansIterations: number; // mini-batch updates
  sweepSizes: number; // smaller dictionaries (K/4, K/16, …) fitted for the PSNR-vs-size curve
  // --- network (not fixed by the paper's text) ---
  embeddingDim: number; // E: each code's learned embedding
  hiddenChannels: number; // C: channels of the convolutions and of the recurrent state
  kernelSize: number; // spatial kernel of the input convolutions (neighbourhood); rNN: 1
  convLayers: number; // input convolutions before the recurrence
  activation: RecurrentActivation; // nonlinearity of the convolutions and of the recurrence
  // --- optimisation (not fixed by the paper's text) ---
  batchSize: number; // sequences per step
  learningRate: number; // Adam (β1 0.9, β2 0.999, ε 1e-8)
  gradientClipNorm: number; // the gradient is rescaled to at most this global L2 norm; 0 = off
  // --- generation ---
  temperature: number; // sampling temperature τ of extrapolation and filling; 0 = argmax
  extrapolationFrames: number; // N frames generated after the 2 given ones
  fillCandidates: number; // sampled fillings of frames 2–4 scored against frame 5; 1 = forward only
  // --- evaluation (cadence read by the runtime) ---
  evalSsim: boolean; // also score SSIM of generated frames (costly on a software GPU)
  evalSequences: number; // held-out sequences per evaluation
  evalEvery: number; // steps between evaluations
  sampleEvery: number; // steps between sample frames sent to the UI
};

const NOT_FIXED = 'Not fixed by the paper’s text';

export const RCNN_SCHEMA: readonly ConfigField[] = [
  {
    key: 'frames',
    kind: 'int',
    min: 5,
    max: 64,
    label: 'Frames',
    help: `${NOT_FIXED} for Moving MNIST (default 20, the dataset’s length). Frames per training and held-out sequence; at least 5: filling predicts frames 2–4 from frames 1 and 5.`,
  },
  {
    key: 'frameSize',
    kind: 'int',
    min: 16,
    max: 256,
    label: 'Frame size',
    help: 'Square frame side in px (Moving MNIST: 64). (frameSize − patchSize) must be a multiple of the patch stride.',
  },
  {
    key: 'patchSize',
    kind: 'int',
    min: 2,
    max: 16,
    label: 'Patch size',
    help: 'Side of the square gray-scale patches that k-means quantizes (paper: 8×8).',
  },
  {
    key: 'patchStride',
    kind: 'int',
    min: 1,
    max: 16,
    label: 'Patch stride',
    help: `${NOT_FIXED}. Pixels between neighbouring patch origins; default = patch size (non-overlapping). Below the patch size, patches overlap and decoding averages the overlapping pixels.`,
  },
  {
    key: 'stdScope',
    kind: 'choice',
    options: ['frame', 'video'],
    label: 'Std normalisation',
    help: 'The paper divides gray-scale frames by their standard deviation and does nothing else. Which std is not said: “frame” (default) divides each frame by its own, “video” every frame of a clip by the clip’s.',
  },
  {
    key: 'dictionarySize',
    kind: 'int',
    min: 2,
    max: 16384,
    label: 'Dictionary size',
    help: 'k-means centroids K (paper: 10,000). Fewer centroids: larger quantization error but easier prediction, the trade-off the paper states.',
  },
  {
    key: 'kmeansInit',
    kind: 'choice',
    options: ['kmeans++', 'sample'],
    label: 'k-means init',
    help: `${NOT_FIXED}. “kmeans++” (default): each new centroid drawn with probability ∝ squared distance to the nearest one (Arthur & Vassilvitskii 2007); “sample”: K distinct random patches. Both seeded by the model seed.`,
  },
  {
    key: 'kmeansPatches',
    kind: 'int',
    min: 64,
    max: 2_000_000,
    label: 'k-means patches',
    help: `${NOT_FIXED}. Patches drawn from the training stream (its first batches) to fit the dictionary.`,
  },
  {
    key: 'kmeansBatchSize',
    kind: 'int',
    min: 16,
    max: 65536,
    label: 'k-means batch',
    help: `${NOT_FIXED} (nor is the k-means variant). Patches per mini-batch update (Sculley 2010): each centroid moves to the running mean of the patches assigned to it so far. A centroid that received no patch for 10 updates is re-seeded at the patch worst fitted by its centroid.`,
  },
  {
    key: 'kmeansIterations',
    kind: 'int',
    min: 1,
    max: 100000,
    label: 'k-means iterations',
    help: `${NOT_FIXED}. Mini-batch updates of the dictionary (and of each smaller dictionary of the PSNR curve).`,
  },
  {
    key: 'sweepSizes',
    kind: 'int',
    min: 0,
    max: 6,
    label: 'PSNR curve sizes',
    help: 'Smaller dictionaries (K/4, K/16, …, at least 2 centroids) also fitted while preparing, to plot quantization PSNR against dictionary size. 0 = only the main dictionary.',
  },
  {
    key: 'embeddingDim',
    kind: 'int',
    min: 1,
    max: 1024,
    label: 'Embedding size',
    help: `${NOT_FIXED}. Each patch code is looked up in a learned table of this width (as words in a language model).`,
  },
  {
    key: 'hiddenChannels',
    kind: 'int',
    min: 1,
    max: 2048,
    label: 'Hidden channels',
    help: `${NOT_FIXED}. Channels of the input convolutions and of the recurrent state at each patch location.`,
  },
  {
    key: 'kernelSize',
    kind: 'int',
    min: 1,
    max: 9,
    label: 'Neighbourhood kernel',
    help: `${NOT_FIXED}. Odd spatial kernel (in patch locations) of the input convolutions: the neighbourhood of codes the rCNN sees. The recurrent transition is always 1×1 (paper), so no border effect travels through time. The rNN variant has 1.`,
  },
  {
    key: 'convLayers',
    kind: 'int',
    min: 1,
    max: 4,
    label: 'Input conv layers',
    help: `${NOT_FIXED}. Convolutions between the embedded codes and the recurrence; the neighbourhood seen per step is convLayers·(kernel − 1) + 1 locations wide.`,
  },
  {
    key: 'activation',
    kind: 'choice',
    options: ['tanh', 'sigmoid', 'relu'],
    label: 'Activation',
    help: `${NOT_FIXED}. Nonlinearity of the convolutions and of the recurrent state (default tanh; Mikolov’s RNN language models use sigmoid).`,
  },
  {
    key: 'batchSize',
    kind: 'int',
    min: 1,
    max: 256,
    label: 'Batch size',
    help: `${NOT_FIXED}. Sequences per training step.`,
  },
  {
    key: 'learningRate',
    kind: 'float',
    min: 1e-7,
    max: 1,
    label: 'Learning rate',
    help: `${NOT_FIXED} (nor is the optimiser): Adam, β1 0.9, β2 0.999. Can change while training.`,
  },
  {
    key: 'gradientClipNorm',
    kind: 'float',
    min: 0,
    max: 1000,
    label: 'Gradient clip norm',
    help: `${NOT_FIXED}. The gradient of all weights is rescaled to at most this global L2 norm before the Adam step (default 5); 0 = no clipping. Can change while training.`,
  },
  {
    key: 'temperature',
    kind: 'float',
    min: 0,
    max: 10,
    label: 'Temperature',
    help: `${NOT_FIXED} how codes are generated. They are drawn from softmax(logits / τ); τ = 0 takes the most likely code (argmax), τ = 1 samples the model’s own distribution. Used by extrapolation and filling, in samples and evaluation. Can change while training.`,
  },
  {
    key: 'extrapolationFrames',
    kind: 'int',
    min: 1,
    max: 62,
    label: 'Extrapolated frames',
    help: 'Frames generated after the 2 given ones (the paper generates “several”; at most frames − 2), each fed back as the next input.',
  },
  {
    key: 'fillCandidates',
    kind: 'int',
    min: 1,
    max: 64,
    label: 'Filling candidates',
    help: `${NOT_FIXED} how filling uses frame 5. Frames 2–4 are generated from frame 1 this many times (the first at argmax, the others sampled at τ) and the candidate under which the model gives frame 5’s codes the highest likelihood is kept. 1 = generate forward only.`,
  },
  {
    key: 'evalSsim',
    kind: 'boolean',
    label: 'SSIM in evaluation',
    help: 'Also score the generated frames by SSIM (11×11 Gaussian window), besides MSE, MAE and PSNR. Cheap on a GPU; a software GPU takes over a minute per evaluation for it, so the tiny preset leaves it off.',
  },
  ...cadenceFields(),
];

export const RCNN_VARIANTS: readonly Variant<RcnnVariant>[] = [
  {
    id: 'rcnn',
    label: 'rCNN',
    description:
      'Recurrent convolutional net: embedded codes of a neighbourhood of patches → convolutions → a recurrent state updated by 1×1 convolutions → a softmax over the dictionary for each location’s next code.',
  },
  {
    id: 'rnn',
    label: 'rNN',
    description:
      'A recurrent net over one patch location’s code history (the rCNN with a 1×1 neighbourhood), shared across locations.',
  },
];

/**
 * The paper's settings where its text gives them (K = 10,000, 8×8 patches, std division) and
 * documented choices elsewhere, on 20-frame 64×64 Moving MNIST.
 */
const PAPER: RcnnConfig = {
  variant: 'rcnn',
  frames: 20,
  frameSize: 64,
  patchSize: 8,
  patchStride: 8,
  stdScope: 'frame',
  dictionarySize: 10_000,
  kmeansInit: 'kmeans++',
  kmeansPatches: 500_000,
  kmeansBatchSize: 8192,
  kmeansIterations: 500,
  sweepSizes: 4, // 2500, 625, 156, 39
  embeddingDim: 128,
  hiddenChannels: 256,
  kernelSize: 3,
  convLayers: 2,
  activation: 'tanh',
  batchSize: 16,
  learningRate: 1e-3,
  gradientClipNorm: 5,
  temperature: 1,
  extrapolationFrames: 8,
  fillCandidates: 8,
  evalSsim: true,
  evalSequences: 128,
  evalEvery: 1000,
  sampleEvery: 100,
};

export const RCNN_PRESETS: readonly Preset<RcnnConfig>[] = [
  {
    id: 'tiny',
    label: 'Tiny',
    description:
      '6 frames of 64×64, 8×8 patches, 64 centroids seeded from random patches (PSNR curve at 16 and 4), embedding 16, 32 channels, batch 4: the dictionary takes seconds on a GPU (about half a minute on a software one) and the loss falls within a dozen steps.',
    config: {
      ...PAPER,
      frames: 6,
      dictionarySize: 64,
      kmeansInit: 'sample',
      kmeansPatches: 4096,
      kmeansBatchSize: 256,
      kmeansIterations: 30,
      sweepSizes: 2,
      embeddingDim: 16,
      hiddenChannels: 32,
      convLayers: 1,
      batchSize: 4,
      learningRate: 5e-3,
      temperature: 0.5,
      extrapolationFrames: 4,
      fillCandidates: 2,
      evalSsim: false,
      evalSequences: 8,
      evalEvery: 100,
      sampleEvery: 10,
    },
  },
  {
    id: 'small',
    label: 'Small',
    description:
      '10 frames of 64×64, 8×8 patches, 512 centroids (quantization PSNR ≈ 21.7 dB against 18.3 at 64), embedding 64, 128 channels, two 3×3 input convolutions, batch 16: meant for a GPU (the tfjs CPU backend on 2 cores takes about 15 s a step; the loss falls from 6.2 to 1.6 nats in 25 steps).',
    config: {
      ...PAPER,
      frames: 10,
      dictionarySize: 512,
      kmeansPatches: 65_536,
      kmeansBatchSize: 4096,
      kmeansIterations: 200,
      sweepSizes: 3,
      embeddingDim: 64,
      hiddenChannels: 128,
      learningRate: 2e-3,
      temperature: 0.5,
      extrapolationFrames: 8,
      fillCandidates: 8,
      evalSequences: 64,
      evalEvery: 250,
      sampleEvery: 25,
    },
  },
  {
    id: 'paper',
    label: 'Paper',
    description:
      '10,000 centroids of 8×8 patches (the paper’s dictionary) fitted on 500k patches; 20 frames of 64×64, embedding 128, 256 channels, two 3×3 convolutions, batch 16. The softmax over 10,000 codes at every patch location of a batch needs about 4 GB.',
    config: PAPER,
  },
];

/** Patch locations per frame side: ⌊(frameSize − patchSize) / stride⌋ + 1. */
export function patchGridSize(config: RcnnConfig): number {
  return Math.floor((config.frameSize - config.patchSize) / config.patchStride) + 1;
}

/** The dictionary sizes of the PSNR curve, largest first: K, K/4, K/16, … (each ≥ 2, distinct). */
export function sweepDictionarySizes(config: RcnnConfig): number[] {
  const sizes = [config.dictionarySize];
  for (let i = 1; i <= config.sweepSizes; i++) {
    const size = Math.max(2, Math.round(config.dictionarySize / 4 ** i));
    if (size < sizes[sizes.length - 1]) sizes.push(size);
  }
  return sizes;
}

/** Checks that need more than one field; throws ConfigError naming the offending field. */
function checkConfig(config: RcnnConfig): void {
  if (config.patchSize > config.frameSize) {
    throw new ConfigError('patchSize', 'patchSize must not exceed frameSize');
  }
  if (config.patchStride > config.patchSize) {
    throw new ConfigError(
      'patchStride',
      `patchStride must be at most patchSize (${config.patchSize}) so that patches cover every pixel`,
    );
  }
  if ((config.frameSize - config.patchSize) % config.patchStride !== 0) {
    throw new ConfigError(
      'patchStride',
      `(frameSize − patchSize) = ${config.frameSize - config.patchSize} must be a multiple of patchStride (${config.patchStride}) so that patches tile the frame`,
    );
  }
  if (config.kernelSize % 2 !== 1) {
    throw new ConfigError('kernelSize', `kernelSize must be odd (got ${config.kernelSize})`);
  }
  if (config.variant === 'rnn' && config.kernelSize !== 1) {
    throw new ConfigError(
      'kernelSize',
      'The rNN sees one patch location: kernelSize must be 1 (use the rCNN for a neighbourhood)',
    );
  }
  if (config.extrapolationFrames > config.frames - 2) {
    throw new ConfigError(
      'extrapolationFrames',
      `extrapolationFrames must be at most frames − 2 = ${config.frames - 2} (2 frames are given)`,
    );
  }
  const patches = patchGridSize(config) ** 2 * config.frames * config.batchSize;
  if (config.kmeansPatches < config.dictionarySize) {
    throw new ConfigError(
      'kmeansPatches',
      `kmeansPatches (${config.kmeansPatches}) must be at least dictionarySize (${config.dictionarySize})`,
    );
  }
  if (config.kmeansPatches > 4000 * patches) {
    throw new ConfigError(
      'kmeansPatches',
      `kmeansPatches needs more than 4,000 training batches of ${patches} patches; lower it`,
    );
  }
}

/** Preset + variant + overrides → a validated config. Throws ConfigError naming the field. */
export const resolveRcnnConfig = configResolver<RcnnConfig, RcnnVariant>({
  variants: RCNN_VARIANTS,
  presets: RCNN_PRESETS,
  schema: RCNN_SCHEMA,
  // The rNN is the rCNN with a 1×1 neighbourhood: its presets say so, an override may not.
  applyVariant: (variant, { config }) => ({
    ...config,
    ...(variant === 'rnn' ? { kernelSize: 1 } : {}),
    variant,
  }),
  check: checkConfig,
});

// --- sizes -------------------------------------------------------------------------------------

/** Trainable weights of the network `createRcnnModel(config)` builds. */
export function rcnnParameterCount(config: RcnnConfig): number {
  const { dictionarySize: k, embeddingDim: e, hiddenChannels: c, kernelSize: s } = config;
  let total = k * e; // embedding table
  for (let layer = 0; layer < config.convLayers; layer++) {
    total += s * s * (layer === 0 ? e : c) * c + c; // input convolutions with biases
  }
  total += c * c; // recurrent 1×1 convolution (its bias is the last input conv's)
  total += k * c + k; // output 1×1 convolution to the dictionary logits
  return total;
}

/** Floats a nearest-centroid distance matrix may hold at once (quantization is chunked to it). */
export const DISTANCE_CHUNK_FLOATS = 2 ** 24;

/**
 * A rough training-step footprint in bytes (float32): weights with their gradient and two Adam
 * moments; the dictionary and the k-means patch pool with one mini-batch's distances (WebGPU's
 * buffer pool keeps them after preparing, docs/webgpu-pitfalls.md §8, so they add up); per
 * predicted code the logits, their softmax and gradient and the log-sum-exp intermediates (4·K
 * floats) plus about 8 vectors of hiddenChannels (input drive, state, their gradients); one
 * quantization chunk.
 */
export function estimateRcnnMemoryBytes(config: RcnnConfig): number {
  const patchFloats = config.patchSize * config.patchSize;
  const k = config.dictionarySize;
  const parameterBytes = rcnnParameterCount(config) * 4 * 4;
  const dictionaryBytes =
    (k * patchFloats + config.kmeansPatches * patchFloats + 3 * config.kmeansBatchSize * k) * 4;
  const predicted = config.batchSize * (config.frames - 1) * patchGridSize(config) ** 2;
  const activationBytes = predicted * (4 * k + 8 * config.hiddenChannels) * 4;
  const quantizationBytes = Math.min(DISTANCE_CHUNK_FLOATS, predicted * k) * 4;
  return parameterBytes + dictionaryBytes + activationBytes + quantizationBytes;
}

/** The clips the model trains on: gray frames in [0, 1] (divided by their std when coded). */
export function rcnnDataRequirements(config: RcnnConfig): DataRequirements {
  return {
    frames: config.frames,
    height: config.frameSize,
    width: config.frameSize,
    channels: 1,
    range: 'unit',
    batchSize: config.batchSize,
  };
}
