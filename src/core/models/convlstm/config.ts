/**
 * Config, presets and sizes of the ConvLSTM encoder-forecaster of
 *
 *   X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong, W.-C. Woo, "Convolutional LSTM Network: A
 *   Machine Learning Approach for Precipitation Nowcasting", NeurIPS 2015.
 *
 * Pure TypeScript (no tfjs): the UI imports this file to build its pickers and validate configs.
 * The paper preset follows the paper's Moving MNIST setting (Sec. 4.1): 64×64 frames cut into 4×4
 * patches (16×16×16 tensors), three stacked ConvLSTM layers of 128, 64 and 64 channels with 5×5
 * kernels, 10 frames in, 10 predicted, cross-entropy loss, batch 16, learning rate 1e-3. The paper
 * trains with RMSProp (decay 0.9); the playground trains every model here with Adam (see the
 * model's header), so that is the one departure.
 */
import { ConfigError, cadenceFields } from '../config-schema';
import type { ConfigField, Preset, Variant } from '../config-schema';
import { configResolver } from '../kit/definition';
import type { DataRequirements } from '../types';

export type ConvLstmVariant = 'encoder-forecaster';

/** Hidden channels of the stacked layers, bottom first, e.g. '128-64-64' (the paper's). */
export const CHANNEL_STACKS = ['8-8', '16-16', '32-32', '64-64', '64-64-64', '128-64-64'] as const;
export type ChannelStack = (typeof CHANNEL_STACKS)[number];

export type ConvLstmConfig = {
  channels: ChannelStack; // hidden channels per layer, bottom first (paper: 128-64-64)
  kernelSize: number; // odd square kernel of the input-to-state and state-to-state convolutions (5)
  patchSize: number; // frames are cut into p×p patches: [H, W, 1] → [H/p, W/p, p²] (4)
  inputFrames: number; // frames the encoder reads (10)
  futureFrames: number; // frames the forecaster predicts (10)
  frameSize: number; // square frame side in px (64)
  learningRate: number; // Adam step size (1e-3)
  gradientClipNorm: number; // global L2 norm the gradient is rescaled to at most; 0 = off
  initScale: number; // weights ~ U[-initScale, initScale]; biases start at 0
  batchSize: number; // sequences per step (16)
  evalSequences: number;
  evalEvery: number;
  sampleEvery: number;
};

export const CONVLSTM_SCHEMA: readonly ConfigField[] = [
  {
    key: 'channels',
    kind: 'choice',
    options: CHANNEL_STACKS,
    label: 'Channels per layer',
    help: 'Hidden channels of the stacked ConvLSTM layers, bottom first (paper: 128-64-64). The encoder and the forecaster have the same stack.',
  },
  {
    key: 'kernelSize',
    kind: 'int',
    min: 1,
    max: 9,
    label: 'Kernel size',
    help: 'Odd side of the input-to-state and state-to-state convolution kernels (paper: 5).',
  },
  {
    key: 'patchSize',
    kind: 'int',
    min: 1,
    max: 8,
    label: 'Patch size',
    help: 'Frames are cut into p×p patches that become p² channels: 64×64 frames with p = 4 are 16×16×16 tensors (paper).',
  },
  {
    key: 'inputFrames',
    kind: 'int',
    min: 1,
    max: 32,
    label: 'Input frames',
    help: 'Frames the encoder reads (paper: 10).',
  },
  {
    key: 'futureFrames',
    kind: 'int',
    min: 1,
    max: 32,
    label: 'Future frames',
    help: 'Frames the forecaster predicts (paper: 10).',
  },
  {
    key: 'frameSize',
    kind: 'int',
    min: 4,
    max: 128,
    label: 'Frame size',
    help: 'Square frame side in pixels, a multiple of the patch size (paper: 64).',
  },
  {
    key: 'learningRate',
    kind: 'float',
    min: 1e-6,
    max: 1,
    label: 'Learning rate',
    help: 'Adam step size (paper: 1e-3, with RMSProp). Can change while training.',
  },
  {
    key: 'gradientClipNorm',
    kind: 'float',
    min: 0,
    max: 1000,
    label: 'Gradient clip norm',
    help: 'The whole gradient is rescaled to at most this L2 norm before Adam; 0 turns it off. Can change while training.',
  },
  {
    key: 'initScale',
    kind: 'float',
    min: 1e-5,
    max: 1,
    label: 'Init scale',
    help: 'Weights start uniform in ±this value; biases start at 0.',
  },
  {
    key: 'batchSize',
    kind: 'int',
    min: 1,
    max: 256,
    label: 'Batch size',
    help: 'Sequences per training step (paper: 16). Evaluation runs in chunks of this size.',
  },
  ...cadenceFields(),
];

export const CONVLSTM_VARIANTS: readonly Variant<ConvLstmVariant>[] = [
  {
    id: 'encoder-forecaster',
    label: 'Encoder-forecaster',
    description:
      'An encoder of stacked ConvLSTM layers reads the input frames; a forecaster of the same shape starts from its states and predicts the future frames from all its layers’ states (a 1×1 convolution).',
  },
];

/** The paper's Moving MNIST setting (Shi et al. 2015, Sec. 4.1). */
const PAPER: ConvLstmConfig = {
  channels: '128-64-64',
  kernelSize: 5,
  patchSize: 4,
  inputFrames: 10,
  futureFrames: 10,
  frameSize: 64,
  learningRate: 1e-3,
  gradientClipNorm: 0,
  initScale: 0.08,
  batchSize: 16,
  evalSequences: 256,
  evalEvery: 500,
  sampleEvery: 100,
};

export const CONVLSTM_PRESETS: readonly Preset<ConvLstmConfig>[] = [
  {
    id: 'tiny',
    label: 'Tiny',
    description:
      '32×32 frames as 8×8×16 patch tensors, two layers of 16 channels, 3×3 kernels, 5 → 5 frames, batch 4, Adam 1e-2: learns visibly within minutes, even on a software GPU.',
    config: {
      ...PAPER,
      channels: '16-16',
      kernelSize: 3,
      inputFrames: 5,
      futureFrames: 5,
      frameSize: 32,
      learningRate: 1e-2,
      gradientClipNorm: 10,
      batchSize: 4,
      evalSequences: 32,
      evalEvery: 100,
      sampleEvery: 25,
    },
  },
  {
    id: 'small',
    label: 'Small',
    description:
      '64×64 Moving MNIST as 16×16×16 patch tensors, two layers of 32 channels, 5×5 kernels, 10 → 10 frames, batch 8, Adam 2e-3.',
    config: {
      ...PAPER,
      channels: '32-32',
      learningRate: 2e-3,
      gradientClipNorm: 10,
      batchSize: 8,
      evalSequences: 64,
      evalEvery: 200,
      sampleEvery: 50,
    },
  },
  {
    id: 'paper',
    label: 'Paper',
    description:
      'The paper’s Moving MNIST network: 16×16×16 patch tensors, ConvLSTM layers of 128, 64 and 64 channels with 5×5 kernels, 10 → 10 frames, cross-entropy, batch 16, lr 1e-3 (Adam here, RMSProp in the paper).',
    config: PAPER,
  },
];

/** The hidden channels of each layer, bottom first. */
export function layerChannels(config: ConvLstmConfig): number[] {
  return config.channels.split('-').map(Number);
}

/** Side of the patch-reshaped frame tensor: frameSize / patchSize. */
export function gridSize(config: ConvLstmConfig): number {
  return config.frameSize / config.patchSize;
}

function checkConfig(config: ConvLstmConfig): void {
  if (config.kernelSize % 2 !== 1) {
    throw new ConfigError('kernelSize', `kernelSize must be odd (got ${config.kernelSize})`);
  }
  if (config.frameSize % config.patchSize !== 0) {
    throw new ConfigError(
      'frameSize',
      `frameSize (${config.frameSize}) must be a multiple of patchSize (${config.patchSize})`,
    );
  }
}

/** Preset + variant + overrides → a validated config. Throws ConfigError naming the field. */
export const resolveConvLstmConfig = configResolver<ConvLstmConfig, ConvLstmVariant>({
  variants: CONVLSTM_VARIANTS,
  presets: CONVLSTM_PRESETS,
  schema: CONVLSTM_SCHEMA,
  applyVariant: (_variant, { config }) => ({ ...config }),
  check: checkConfig,
});

// --- sizes -------------------------------------------------------------------------------------

/**
 * Trainable weights: per ConvLSTM layer (encoder and forecaster alike) the fused gate kernel
 * [k, k, I + U, 4U], three peephole maps [G, G, U] and the gate biases [4U]; the forecaster's
 * first layer has no input (I = 0); the readout is a 1×1 convolution from all forecaster states
 * [1, 1, ΣU, p²] plus its bias.
 */
export function convLstmParameterCount(config: ConvLstmConfig): number {
  const channels = layerChannels(config);
  const k = config.kernelSize;
  const g = gridSize(config);
  const depth = config.patchSize ** 2;
  const stack = (inputs: number) =>
    channels.reduce((total, u, l) => {
      const i = l === 0 ? inputs : channels[l - 1];
      return total + k * k * (i + u) * 4 * u + 3 * g * g * u + 4 * u;
    }, 0);
  const total = channels.reduce((a, b) => a + b, 0);
  return stack(depth) + stack(0) + total * depth + depth;
}

/**
 * A rough training-step footprint in bytes (float32): weights, gradients and Adam's two moments,
 * plus per time step and layer about 10 maps of [B, G, G, U] kept for backprop (gates, cell,
 * hidden, their gradients) and the [B, G, G, I + U] convolution input.
 */
export function estimateConvLstmMemoryBytes(config: ConvLstmConfig): number {
  const parameterBytes = convLstmParameterCount(config) * 4 * 4;
  const g = gridSize(config);
  const channels = layerChannels(config);
  const perStep = channels.reduce((total, u) => total + 12 * u, 0) * g * g;
  const steps = config.inputFrames + config.futureFrames;
  return parameterBytes + 2 * config.batchSize * steps * perStep * 4;
}

/** The clips the model trains on: gray frames in [0, 1], input plus future frames long. */
export function convLstmDataRequirements(config: ConvLstmConfig): DataRequirements {
  return {
    frames: config.inputFrames + config.futureFrames,
    height: config.frameSize,
    width: config.frameSize,
    channels: 1,
    range: 'unit',
    batchSize: config.batchSize,
  };
}
