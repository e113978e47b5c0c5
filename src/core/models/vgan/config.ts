/**
 * Config, presets and sizes of the video GAN of
 *
 *   C. Vondrick, H. Pirsiavash, A. Torralba, "Generating Videos with Scene Dynamics", NIPS 2016 —
 *   reference code: github.com/cvondrick/videogan (`main.lua`, `main_conditional.lua`).
 *
 * Pure TypeScript (no tfjs): the UI imports this file to build its pickers and validate configs.
 * The paper preset copies the reference scripts; the playground presets only shrink the video, the
 * widths and the batch so that a run shows something within minutes.
 *
 * Layout shared by the generator and the discriminator. With L = log2(frameSize / 4) stride-2
 * layers and T0 = frames / 2^L, the generator grows [T0, 4, 4] → [frames, frameSize, frameSize]
 * (paper: L = 4, [2, 4, 4] → [32, 64, 64]) and the discriminator shrinks it back. Generator level i
 * (i = 0 … L−1) has generatorWidth · 2^(L−1−i) channels (paper 512, 256, 128, 64), discriminator
 * layer i has discriminatorWidth · 2^i (paper 64, 128, 256, 512).
 */
import { ConfigError, cadenceFields } from '../config-schema';
import type { ConfigField, Preset, Variant } from '../config-schema';
import { configResolver } from '../kit/definition';
import type { DataRequirements } from '../types';

export type VganVariant = 'two-stream' | 'one-stream' | 'image-to-video';

export type VganConfig = {
  // --- architecture (`variant` comes from the variant picker, not from the schema) ---
  variant: VganVariant;
  frames: number; // T: frames per video (paper: 32)
  frameSize: number; // square frame side, 4 · 2^L (paper: 64)
  channels: number; // 1 (gray) or 3 (RGB; gray Moving MNIST is tiled to 3 channels by the data code)
  zDim: number; // latent code size (paper: 100); unused by image-to-video, whose code is the still
  generatorWidth: number; // channels of the generator's last hidden level (paper: 64; conditional 128)
  discriminatorWidth: number; // channels of the discriminator's first layer (paper: 64; conditional 128)
  initStd: number; // conv / dense weights ~ N(0, initStd²) (0.01); biases 0; BN scale ~ N(1, 0.02²)
  // --- optimisation ---
  batchSize: number; // videos per step (paper: 64; image-to-video 32)
  dLearningRate: number; // Adam learning rate of the discriminator (2e-4)
  gLearningRate: number; // Adam learning rate of the generator (2e-4)
  dBeta1: number; // Adam beta1 of the discriminator (0.5); beta2 is 0.999, epsilon 1e-8
  gBeta1: number; // Adam beta1 of the generator (0.5)
  maskL1Weight: number; // λ of the mask sparsity term λ·mean(m) (two-stream: 0.1)
  imageL1Weight: number; // weight of mean |frame 1 − input still| (image-to-video: 10)
  // --- evaluation cadence (read by the runtime) ---
  evalSequences: number; // held-out videos per evaluation
  evalEvery: number; // steps between evaluations
  sampleEvery: number; // steps between sample frames sent to the UI
};

/** Every field a user may set; `variant` comes from the variant picker. */
export const VGAN_SCHEMA: readonly ConfigField[] = [
  {
    key: 'frames',
    kind: 'int',
    min: 1,
    max: 64,
    label: 'Frames',
    help: 'Frames per video: a multiple of frameSize / 4 (paper: 32 frames of 64×64).',
  },
  {
    key: 'frameSize',
    kind: 'int',
    min: 8,
    max: 128,
    label: 'Frame size',
    help: 'Square frame side: 8, 16, 32, 64 or 128 px (each stride-2 layer doubles it from 4; paper: 64).',
  },
  {
    key: 'channels',
    kind: 'int',
    min: 1,
    max: 3,
    label: 'Channels',
    help: '1 (gray) or 3 (RGB, as the paper). Gray Moving MNIST is repeated into 3 channels when the model asks for 3.',
  },
  {
    key: 'zDim',
    kind: 'int',
    min: 1,
    max: 1024,
    label: 'Latent size',
    help: 'Dimensions of the noise z ~ N(0, I) (paper: 100). Image-to-video has no z: its code is the encoded still.',
  },
  {
    key: 'generatorWidth',
    kind: 'int',
    min: 1,
    max: 512,
    label: 'Generator width',
    help: 'Channels of the generator’s last hidden level; each level towards z doubles it (paper: 64 → 512, 256, 128, 64; image-to-video: 128).',
  },
  {
    key: 'discriminatorWidth',
    kind: 'int',
    min: 1,
    max: 512,
    label: 'Discriminator width',
    help: 'Channels of the discriminator’s first 3D conv; each later layer doubles it (paper: 64 → 64, 128, 256, 512; image-to-video: 128).',
  },
  {
    key: 'initStd',
    kind: 'float',
    min: 1e-5,
    max: 1,
    label: 'Init std',
    help: 'Weights start as N(0, std²) (paper: 0.01); biases start at 0, batch-norm scales as N(1, 0.02²).',
  },
  {
    key: 'batchSize',
    kind: 'int',
    min: 2,
    max: 256,
    label: 'Batch size',
    help: 'Videos per step (paper: 64; image-to-video: 32). At least 2: batch norm uses the batch statistics.',
  },
  {
    key: 'dLearningRate',
    kind: 'float',
    min: 1e-7,
    max: 0.1,
    label: 'D learning rate',
    help: 'Adam learning rate of the discriminator (paper: 2e-4). Can change while training.',
  },
  {
    key: 'gLearningRate',
    kind: 'float',
    min: 1e-7,
    max: 0.1,
    label: 'G learning rate',
    help: 'Adam learning rate of the generator (paper: 2e-4). Can change while training.',
  },
  {
    key: 'dBeta1',
    kind: 'float',
    min: 0,
    max: 0.999,
    label: 'D beta1',
    help: 'Adam momentum term of the discriminator (paper: 0.5). Can change while training.',
  },
  {
    key: 'gBeta1',
    kind: 'float',
    min: 0,
    max: 0.999,
    label: 'G beta1',
    help: 'Adam momentum term of the generator (paper: 0.5). Can change while training.',
  },
  {
    key: 'maskL1Weight',
    kind: 'float',
    min: 0,
    max: 100,
    label: 'Mask L1 weight',
    help: 'λ of the mask sparsity term λ·mean(m) that pushes the two-stream generator to use its background (paper: 0.1; the reference image-to-video script has none). Can change while training.',
  },
  {
    key: 'imageL1Weight',
    kind: 'float',
    min: 0,
    max: 1000,
    label: 'Image L1 weight',
    help: 'Image-to-video only: weight of mean |generated frame 1 − input still| (paper: 10). Can change while training.',
  },
  ...cadenceFields(', against as many generated ones'),
];

export const VGAN_VARIANTS: readonly Variant<VganVariant>[] = [
  {
    id: 'two-stream',
    label: 'Two-stream',
    description:
      'A 3D foreground stream (video + mask) and a 2D background image replicated over time: m⊙f + (1−m)⊙b (the paper’s main model).',
  },
  {
    id: 'one-stream',
    label: 'One-stream',
    description: 'The 3D foreground network alone generates the whole video.',
  },
  {
    id: 'image-to-video',
    label: 'Image to video',
    description:
      'A 2D conv encoder of a still image (the first frame of a real clip) replaces z; an L1 term ties generated frame 1 to the still.',
  },
];

/** Loss weights that belong to each variant, in every preset (the reference scripts' values). */
const VARIANT_LOSS_WEIGHTS: Record<
  VganVariant,
  Pick<VganConfig, 'maskL1Weight' | 'imageL1Weight'>
> = {
  'two-stream': { maskL1Weight: 0.1, imageL1Weight: 0 }, // main.lua: L1Penalty(lambda = 0.1)
  'one-stream': { maskL1Weight: 0, imageL1Weight: 0 }, // no mask
  'image-to-video': { maskL1Weight: 0, imageL1Weight: 10 }, // main_conditional.lua: lambda = 10, no mask penalty
};

/** The reference two-stream configuration (main.lua). */
const PAPER: VganConfig = {
  variant: 'two-stream',
  frames: 32, // frameSize = 32 (the Lua option counts frames)
  frameSize: 64, // fineSize = 64
  channels: 3,
  zDim: 100,
  generatorWidth: 64, // 512 → 256 → 128 → 64 → (3 video, 1 mask)
  discriminatorWidth: 64, // 64 → 128 → 256 → 512 → 1
  initStd: 0.01, // weights_init: normal(0, 0.01)
  batchSize: 64,
  dLearningRate: 2e-4,
  gLearningRate: 2e-4,
  dBeta1: 0.5,
  gBeta1: 0.5,
  maskL1Weight: 0.1,
  imageL1Weight: 0,
  evalSequences: 256,
  evalEvery: 1000,
  sampleEvery: 100, // the reference displays samples every 100 iterations
};

/** main_conditional.lua: twice the widths (encoder 128 … 1024, generator 1024 … 128), batch 32. */
const PAPER_IMAGE_TO_VIDEO: Partial<VganConfig> = {
  generatorWidth: 128,
  discriminatorWidth: 128,
  batchSize: 32,
};

export const VGAN_PRESETS: readonly Preset<VganConfig>[] = [
  {
    id: 'tiny',
    label: 'Tiny',
    description:
      '8 gray frames of 32×32, widths 8 (G 32-16-8, D 8-16-32), z 32, batch 4, the paper’s Adam: about 2.7 s a step on a software GPU (SwiftShader), 0.3 s on the CPU backend. Moving MNIST draws 14-px digits on this canvas, so they have room to move.',
    config: {
      ...PAPER,
      frames: 8, // the fewest 32×32 allows (T0 = 1)
      frameSize: 32,
      channels: 1,
      zDim: 32,
      generatorWidth: 8,
      discriminatorWidth: 8,
      batchSize: 4, // batch 8 takes 5.2 s a step on SwiftShader, 0.6 s on the CPU
      evalSequences: 16,
      evalEvery: 100,
      sampleEvery: 10,
    },
  },
  {
    id: 'small',
    label: 'Small',
    description:
      '16 gray frames of 64×64, widths 16 (G 128-64-32-16, D 16-32-64-128), batch 16, 2M weights: about 1 s a step on a discrete GPU (H100, Node + Dawn), so a thousand steps in minutes.',
    config: {
      ...PAPER,
      frames: 16,
      channels: 1,
      generatorWidth: 16,
      discriminatorWidth: 16,
      batchSize: 16,
      evalSequences: 64,
      evalEvery: 250,
      sampleEvery: 50,
    },
  },
  {
    id: 'paper',
    label: 'Paper',
    description:
      'The reference settings: 32 RGB frames of 64×64, z 100, widths 512/256/128/64, batch 64, init N(0, 0.01), Adam 2e-4 / 0.5, λ = 0.1; 27M weights, about 5 s a step and 9–14 GB on an H100. Image to video: widths doubled (112M weights), batch 32, L1 weight 10.',
    config: PAPER,
  },
];

// --- geometry ------------------------------------------------------------------------------------

/** Stride-2 layers per network, and the generator's first temporal size. */
export interface VganGeometry {
  levels: number; // L = log2(frameSize / 4)
  firstFrames: number; // T0 = frames / 2^L
  generatorWidths: number[]; // level i → generatorWidth · 2^(L−1−i)
  discriminatorWidths: number[]; // layer i → discriminatorWidth · 2^i
}

export function vganGeometry(config: VganConfig): VganGeometry {
  const levels = Math.round(Math.log2(config.frameSize / 4));
  return {
    levels,
    firstFrames: config.frames / 2 ** levels,
    generatorWidths: Array.from(
      { length: levels },
      (_, i) => config.generatorWidth * 2 ** (levels - 1 - i),
    ),
    discriminatorWidths: Array.from(
      { length: levels },
      (_, i) => config.discriminatorWidth * 2 ** i,
    ),
  };
}

/** Checks that need more than one field; throws ConfigError naming the offending field. */
function checkConfig(config: VganConfig): void {
  const levels = Math.log2(config.frameSize / 4);
  if (!Number.isInteger(levels) || levels < 1) {
    throw new ConfigError(
      'frameSize',
      `frameSize must be 8, 16, 32, 64 or 128 (4 · 2^L; got ${config.frameSize})`,
    );
  }
  const step = 2 ** levels;
  if (config.frames % step !== 0) {
    throw new ConfigError(
      'frames',
      `frames must be a multiple of frameSize / 4 = ${step} (each of the ${levels} stride-2 layers halves time too; got ${config.frames})`,
    );
  }
  if (config.channels !== 1 && config.channels !== 3) {
    throw new ConfigError('channels', `channels must be 1 or 3 (got ${config.channels})`);
  }
  if (config.variant === 'one-stream' && config.maskL1Weight !== 0) {
    throw new ConfigError(
      'maskL1Weight',
      'maskL1Weight needs a mask (two-stream or image-to-video)',
    );
  }
  if (config.variant !== 'image-to-video' && config.imageL1Weight !== 0) {
    throw new ConfigError('imageL1Weight', 'imageL1Weight needs the image-to-video variant');
  }
}

/** Preset + variant + overrides → a validated config. Throws ConfigError naming the field. */
export const resolveVganConfig = configResolver<VganConfig, VganVariant>({
  variants: VGAN_VARIANTS,
  presets: VGAN_PRESETS,
  schema: VGAN_SCHEMA,
  applyVariant: (variant, preset) => {
    const paperConditional = preset.id === 'paper' && variant === 'image-to-video';
    return {
      ...preset.config,
      ...VARIANT_LOSS_WEIGHTS[variant],
      ...(paperConditional ? PAPER_IMAGE_TO_VIDEO : {}),
      variant,
    };
  },
  check: checkConfig,
});

// --- sizes -------------------------------------------------------------------------------------

const BN = 2; // scale and shift per channel

/**
 * Trainable weights of the model `createVganModel(config)` builds. Layers followed by batch norm
 * carry no bias (it would be cancelled by the mean subtraction and get a zero gradient), unlike
 * the Torch reference, whose inert biases stay at 0.
 */
export function vganParameterCount(config: VganConfig): number {
  const {
    levels,
    firstFrames: t0,
    generatorWidths: g,
    discriminatorWidths: d,
  } = vganGeometry(config);
  const c = config.channels;
  const conditional = config.variant === 'image-to-video';
  const hasBackground = config.variant !== 'one-stream';
  let total = 0;

  // Generator foreground: z → [T0, 4, 4, g0] (dense) or encoder [4, 4, g0] → [T0, 4, 4, g0]
  // (a T0×1×1 transposed conv), then L − 1 transposed 4×4×4 convs and the 4×4×4 heads.
  total += (conditional ? g[0] : config.zDim * 16) * t0 * g[0] + BN * g[0];
  for (let i = 1; i < levels; i++) total += 64 * g[i - 1] * g[i] + BN * g[i];
  total += 64 * g[levels - 1] * c + c; // video head (tanh)
  if (hasBackground) total += 64 * g[levels - 1] + 1; // mask head (sigmoid)

  if (hasBackground) {
    // Background: z → [4, 4, g0] (dense), or the encoder output itself; 2D transposed 4×4 convs.
    if (!conditional) total += config.zDim * 16 * g[0] + BN * g[0];
    for (let i = 1; i < levels; i++) total += 16 * g[i - 1] * g[i] + BN * g[i];
    total += 16 * g[levels - 1] * c + c;
  }
  if (conditional) {
    // Encoder: L 2D 4×4 stride-2 convs, widths g reversed; the first has a bias and no BN.
    let inputs = c;
    for (let i = 0; i < levels; i++) {
      const width = g[levels - 1 - i];
      total += 16 * inputs * width + (i === 0 ? width : BN * width);
      inputs = width;
    }
  }

  // Discriminator: L 4×4×4 stride-2 convs (first: bias, no BN), then a T0×4×4 conv to one logit.
  let inputs = c;
  for (let i = 0; i < levels; i++) {
    total += 64 * inputs * d[i] + (i === 0 ? d[i] : BN * d[i]);
    inputs = d[i];
  }
  total += t0 * 16 * d[levels - 1] + 1;
  return total;
}

/** Tensors a batch-normalised layer keeps for backprop: conv output, centred, normalised, scaled, activated. */
const KEPT_PER_LAYER = 5;

/** Floats of the activations one forward pass of each network keeps for backprop, per video. */
function activationFloatsPerVideo(config: VganConfig): {
  generator: number;
  discriminator: number;
} {
  const {
    levels,
    firstFrames: t0,
    generatorWidths: g,
    discriminatorWidths: d,
  } = vganGeometry(config);
  const c = config.channels;
  const pixels = config.frameSize * config.frameSize;
  const video = config.frames * pixels;
  let generator = 0;
  for (let i = 0; i < levels; i++) {
    const volume = t0 * 2 ** i * 16 * 4 ** i; // [T0·2^i, 4·2^i, 4·2^i]
    generator += KEPT_PER_LAYER * volume * g[i];
    if (config.variant !== 'one-stream') {
      generator += (KEPT_PER_LAYER * volume * g[i]) / (t0 * 2 ** i); // 2D background
    }
  }
  generator += 3 * video * (c + 1) + 2 * pixels * c + 3 * video * c; // heads, background, m⊙f + (1−m)⊙b
  let discriminator = video * c;
  for (let i = 0; i < levels; i++) {
    const volume = (config.frames / 2 ** (i + 1)) * (pixels / 4 ** (i + 1));
    discriminator += KEPT_PER_LAYER * volume * d[i];
  }
  return { generator, discriminator };
}

/**
 * A rough training-step footprint in bytes (float32): weights, gradients and two Adam moments,
 * plus the larger of the two steps' activations and their gradients — the D step keeps D's
 * activations for a real and a fake batch, the G step G's and D's for a fake batch. Measured in
 * Node (Dawn on an H100), the WebGPU buffer pool of the paper preset grew to about 14 GB over
 * warm-up, three steps and one round of samples (tfjs keeps freed buffers for reuse).
 */
export function estimateVganMemoryBytes(config: VganConfig): number {
  const parameterBytes = vganParameterCount(config) * 4 * 4;
  const { generator, discriminator } = activationFloatsPerVideo(config);
  const perVideo = Math.max(2 * discriminator, generator + discriminator);
  const activationBytes = 2 * config.batchSize * perVideo * 4;
  return parameterBytes + activationBytes;
}

/** The videos the model trains on: gray or RGB frames in [−1, 1] (the generator's tanh range). */
export function vganDataRequirements(config: VganConfig): DataRequirements {
  return {
    frames: config.frames,
    height: config.frameSize,
    width: config.frameSize,
    channels: config.channels === 3 ? 3 : 1,
    range: 'symmetric',
    batchSize: config.batchSize,
  };
}
