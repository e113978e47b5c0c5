/**
 * Config, presets and sizes of the LSTM encoder-decoder of
 *
 *   N. Srivastava, E. Mansimov, R. Salakhutdinov, "Unsupervised Learning of Video Representations
 *   using LSTMs", ICML 2015 — reference code: github.com/mansimov/unsupervised-videos.
 *
 * Pure TypeScript (no tfjs): the UI imports this file to build its pickers and validate configs.
 * The paper presets copy the reference pbtxt files (`models/lstm_combo_{1,2}layer_mnist.pbtxt`)
 * and `util.py`'s update rule; the playground presets change only what makes them learn in minutes.
 */
import { ConfigError, cadenceFields } from '../config-schema';
import type { ConfigField, Preset, Variant } from '../config-schema';
import { configResolver } from '../kit/definition';
import type { DataRequirements } from '../types';

export type LstmOutput = 'sigmoid-bce' | 'linear-mse';
export type LstmOptimizer = 'sgd-momentum' | 'adam';
export type LstmLossReduction = 'sum' | 'mean';
export type LstmVariant = 'composite' | 'autoencoder' | 'future-predictor';

export type LstmConfig = {
  // --- architecture (reconstruct / predictFuture come from the variant, not from the schema) ---
  reconstruct: boolean; // has the reconstruction decoder (targets: the input frames, reversed)
  predictFuture: boolean; // has the future-prediction decoder
  conditionalReconstruction: boolean; // decoder input = previous target frame (false: no input at all)
  conditionalFuture: boolean; // same for the future decoder
  hiddenUnits: number; // LSTM units per layer (paper: 2048)
  layers: number; // 1 or 2 stacked LSTM layers in the encoder and in each decoder
  inputFrames: number; // frames the encoder reads (10)
  futureFrames: number; // frames the future decoder predicts (10)
  frameSize: number; // square frame side in px; the data source draws this canvas size (64)
  output: LstmOutput; // sigmoid + Bernoulli cross-entropy (MNIST) or linear + squared error (patches)
  // --- optimisation ---
  optimizer: LstmOptimizer;
  learningRate: number; // paper: 1e-4 (`epsilon` in the pbtxt; its lr decay is computed but unused)
  momentum: number; // SGD momentum (0.9); for Adam this is beta1
  updateClip: number; // element-wise clip of each weight's *update* to ±updateClip (1e-4); 0 = off
  weightDecay: number; // L2 coefficient added to the gradient of every weight but the biases (1e-4)
  lossReduction: LstmLossReduction; // what the optimiser differentiates: see LOSS_REDUCTION_HELP
  initScale: number; // weights ~ U[-initScale, initScale] (0.01); biases start at 0
  peepholeInitScale: number; // peephole weights ~ U[-s, s] (0.1)
  batchSize: number; // sequences per step (80)
  // --- evaluation cadence (read by the runtime) ---
  evalSequences: number; // held-out sequences per evaluation
  evalEvery: number; // steps between evaluations
  sampleEvery: number; // steps between sample frames sent to the UI
};

const LOSS_REDUCTION_HELP =
  "'sum': the gradient of the loss summed over batch, frames and both decoders, as the reference " +
  'code back-propagates (its lr 1e-4 and ±1e-4 update clip were tuned for that scale). ' +
  "'mean': the gradient of the reported per-frame loss (batch-size independent; use with Adam). " +
  'The reported losses are per frame either way.';

/** Every field a user may set; `reconstruct` and `predictFuture` come from the variant. */
export const LSTM_SCHEMA: readonly ConfigField[] = [
  {
    key: 'conditionalReconstruction',
    kind: 'boolean',
    label: 'Conditional reconstruction',
    help: 'Feed the reconstruction decoder the previous frame (ground truth while training, its own output when evaluated). Off: the decoder has no input weights.',
  },
  {
    key: 'conditionalFuture',
    kind: 'boolean',
    label: 'Conditional future',
    help: 'Feed the future decoder the previous frame (ground truth while training, its own output when evaluated). Off: the decoder has no input weights.',
  },
  {
    key: 'hiddenUnits',
    kind: 'int',
    min: 1,
    max: 4096,
    label: 'Hidden units',
    help: 'LSTM units per layer (paper: 2048).',
  },
  {
    key: 'layers',
    kind: 'int',
    min: 1,
    max: 2,
    label: 'Layers',
    help: 'Stacked LSTM layers in the encoder and in each decoder (the paper tried 1 and 2).',
  },
  {
    key: 'inputFrames',
    kind: 'int',
    min: 1,
    max: 32,
    label: 'Input frames',
    help: 'Frames the encoder reads; the reconstruction decoder rebuilds them in reverse order (paper: 10).',
  },
  {
    key: 'futureFrames',
    kind: 'int',
    min: 1,
    max: 32,
    label: 'Future frames',
    help: 'Frames the future decoder predicts after the input frames (paper: 10).',
  },
  {
    key: 'frameSize',
    kind: 'int',
    min: 4,
    max: 128,
    label: 'Frame size',
    help: 'Square frame side in pixels; the data source draws this canvas size (paper: 64).',
  },
  {
    key: 'output',
    kind: 'choice',
    options: ['sigmoid-bce', 'linear-mse'],
    label: 'Output and loss',
    help: 'sigmoid-bce: logistic outputs, Bernoulli cross-entropy summed over pixels (Moving MNIST). linear-mse: linear outputs, half squared error summed over pixels (the reference code, natural-image patches).',
  },
  {
    key: 'optimizer',
    kind: 'choice',
    options: ['sgd-momentum', 'adam'],
    label: 'Optimiser',
    help: 'sgd-momentum: the reference update v = momentum·v − lr·(g + decay·w), clipped, w += v. adam: Adam with beta1 = momentum, beta2 = 0.999.',
  },
  {
    key: 'learningRate',
    kind: 'float',
    min: 1e-7,
    max: 1,
    label: 'Learning rate',
    help: 'Paper: 1e-4 with SGD. Adam: about 1e-3. Can change while training.',
  },
  {
    key: 'momentum',
    kind: 'float',
    min: 0,
    max: 0.999,
    label: 'Momentum',
    help: 'SGD momentum (paper: 0.9); beta1 for Adam. Can change while training.',
  },
  {
    key: 'updateClip',
    kind: 'float',
    min: 0,
    max: 1,
    label: 'Update clip',
    help: 'Clips every element of each weight update to ±this value (paper: 1e-4); not a gradient-norm clip. 0 turns it off. Can change while training.',
  },
  {
    key: 'weightDecay',
    kind: 'float',
    min: 0,
    max: 0.1,
    label: 'Weight decay',
    help: 'L2 coefficient added to the gradient of every weight except the biases (paper: 1e-4). Can change while training.',
  },
  {
    key: 'lossReduction',
    kind: 'choice',
    options: ['sum', 'mean'],
    label: 'Gradient of',
    help: LOSS_REDUCTION_HELP,
  },
  {
    key: 'initScale',
    kind: 'float',
    min: 1e-5,
    max: 1,
    label: 'Init scale',
    help: 'Weights start uniform in ±this value (paper: 0.01); biases start at 0.',
  },
  {
    key: 'peepholeInitScale',
    kind: 'float',
    min: 0,
    max: 1,
    label: 'Peephole init scale',
    help: 'Peephole (cell → gate) weights start uniform in ±this value (paper: 0.1).',
  },
  {
    key: 'batchSize',
    kind: 'int',
    min: 1,
    max: 512,
    label: 'Batch size',
    help: 'Sequences per training step (paper: 80). Evaluation runs in chunks of this size.',
  },
  ...cadenceFields(),
];

/** Three architectures; each decoder's conditioning is a separate switch (config fields). */
export const LSTM_VARIANTS: readonly Variant<LstmVariant>[] = [
  {
    id: 'composite',
    label: 'Composite',
    description:
      'Encoder + reconstruction decoder + future decoder, both starting from the encoder state (the paper’s best model).',
  },
  {
    id: 'autoencoder',
    label: 'Autoencoder',
    description: 'Encoder + reconstruction decoder: rebuilds the input frames in reverse order.',
  },
  {
    id: 'future-predictor',
    label: 'Future predictor',
    description: 'Encoder + future decoder: predicts the frames that follow the input.',
  },
];

const VARIANT_DECODERS: Record<LstmVariant, { reconstruct: boolean; predictFuture: boolean }> = {
  composite: { reconstruct: true, predictFuture: true },
  autoencoder: { reconstruct: true, predictFuture: false },
  'future-predictor': { reconstruct: false, predictFuture: true },
};

/** The reference configuration (lstm_combo_1layer_mnist.pbtxt + util.py), batch 80. */
const PAPER: LstmConfig = {
  reconstruct: true,
  predictFuture: true,
  conditionalReconstruction: true, // dec_conditional: true
  conditionalFuture: true, // future_conditional: true
  hiddenUnits: 2048,
  layers: 1,
  inputFrames: 10,
  futureFrames: 10,
  frameSize: 64,
  output: 'sigmoid-bce', // binary_data: true
  optimizer: 'sgd-momentum',
  learningRate: 1e-4,
  momentum: 0.9,
  updateClip: 1e-4, // `gradient_clip`, applied to the momentum-smoothed update
  weightDecay: 1e-4, // l2_decay on w_dense, w_diag, w_input, w_output; none on b, b_output
  lossReduction: 'sum', // the reference back-propagates the summed loss
  initScale: 0.01,
  peepholeInitScale: 0.1,
  batchSize: 80,
  evalSequences: 800,
  evalEvery: 500, // validate_after: 500
  sampleEvery: 100,
};

/**
 * Why the playground presets deviate from the paper: SGD at lr 1e-4 with a ±1e-4 update clip moves
 * each weight by at most 1e-4 per step, so the reference needs thousands of steps of a 168M-weight
 * model before the frames look like anything. Small models with Adam (lr 1e-3…2e-3, the mean
 * per-frame loss, no update clip) show digits forming within minutes. They also drop the decoders'
 * conditioning: the paper's headline "composite model" is unconditioned, it has no input weights in
 * the decoders (fewer parameters), and it evaluates exactly as it trains (no teacher forcing).
 */
const PLAYGROUND_OPTIMISER = {
  optimizer: 'adam',
  momentum: 0.9, // Adam beta1
  updateClip: 0,
  weightDecay: 1e-4,
  lossReduction: 'mean',
  conditionalReconstruction: false,
  conditionalFuture: false,
} as const;

export const LSTM_PRESETS: readonly Preset<LstmConfig>[] = [
  {
    id: 'tiny',
    label: 'Tiny',
    description:
      '32×32 frames, 64 units, batch 8, Adam 2e-3: learns visibly within a couple of minutes, even on a software GPU.',
    config: {
      ...PAPER,
      ...PLAYGROUND_OPTIMISER,
      hiddenUnits: 64,
      frameSize: 32,
      batchSize: 8,
      learningRate: 2e-3,
      evalSequences: 32,
      evalEvery: 100,
      sampleEvery: 25,
    },
  },
  {
    id: 'small',
    label: 'Small',
    description:
      '64×64 Moving MNIST, 256 units, batch 16, Adam 1e-3: digits take shape within minutes on a real GPU.',
    config: {
      ...PAPER,
      ...PLAYGROUND_OPTIMISER,
      hiddenUnits: 256,
      batchSize: 16,
      learningRate: 1e-3,
      evalSequences: 128,
      evalEvery: 200,
      sampleEvery: 50,
    },
  },
  {
    id: 'medium',
    label: 'Medium',
    description:
      '64×64, 1024 units, batch 32, Adam 5e-4 (about 38M weights): sharper digits, needs a discrete GPU.',
    config: {
      ...PAPER,
      ...PLAYGROUND_OPTIMISER,
      hiddenUnits: 1024,
      batchSize: 32,
      learningRate: 5e-4,
      evalSequences: 256,
      evalEvery: 500,
      sampleEvery: 100,
    },
  },
  {
    id: 'paper',
    label: 'Paper (1 layer)',
    description:
      'The reference settings: 2048 units, conditional decoders, 10+10 frames of 64×64, SGD momentum 0.9, lr 1e-4, update clip 1e-4, L2 1e-4, batch 80. About 168M weights (over 2 GB while training).',
    config: PAPER,
  },
  {
    id: 'paper-2layer',
    label: 'Paper (2 layers)',
    description:
      'The reference 2-layer 2048-2048 configuration (lstm_combo_2layer_mnist.pbtxt); about 268M weights.',
    config: { ...PAPER, layers: 2 },
  },
];

/** Checks that need more than one field; throws ConfigError naming the offending field. */
function checkConfig(config: LstmConfig): void {
  if (!config.reconstruct && !config.predictFuture) {
    throw new ConfigError('variant', 'A model needs a reconstruction or a future decoder');
  }
  if (config.conditionalReconstruction && !config.reconstruct) {
    throw new ConfigError(
      'conditionalReconstruction',
      'conditionalReconstruction needs a reconstruction decoder (autoencoder or composite)',
    );
  }
  if (config.conditionalFuture && !config.predictFuture) {
    throw new ConfigError(
      'conditionalFuture',
      'conditionalFuture needs a future decoder (future-predictor or composite)',
    );
  }
}

/** Preset + variant + overrides → a validated config. Throws ConfigError naming the field. */
export const resolveLstmConfig = configResolver<LstmConfig, LstmVariant>({
  variants: LSTM_VARIANTS,
  presets: LSTM_PRESETS,
  schema: LSTM_SCHEMA,
  // A preset's conditioning of a decoder the variant lacks is dropped; an explicit override of it
  // is an error (checkConfig).
  applyVariant: (variant, { config }) => {
    const decoders = VARIANT_DECODERS[variant];
    return {
      ...config,
      ...decoders,
      conditionalReconstruction: config.conditionalReconstruction && decoders.reconstruct,
      conditionalFuture: config.conditionalFuture && decoders.predictFuture,
    };
  },
  check: checkConfig,
});

// --- sizes -------------------------------------------------------------------------------------

/** Weights of one stack of LSTM layers: fused [x, h]·W, 3 peephole vectors, 4 bias vectors. */
function stackParameters(inputDims: number, units: number, layers: number): number {
  let total = 0;
  for (let layer = 0; layer < layers; layer++) {
    const inputs = layer === 0 ? inputDims : units;
    total += (inputs + units) * 4 * units + 3 * units + 4 * units;
  }
  return total;
}

/** Trainable weights of the model `createLstmModel(config)` builds. */
export function lstmParameterCount(config: LstmConfig): number {
  const pixels = config.frameSize * config.frameSize;
  const { hiddenUnits: units, layers } = config;
  const readout = units * pixels + pixels; // top layer h → frame
  let total = stackParameters(pixels, units, layers); // encoder
  if (config.reconstruct) {
    total += stackParameters(config.conditionalReconstruction ? pixels : 0, units, layers);
    total += readout;
  }
  if (config.predictFuture) {
    total += stackParameters(config.conditionalFuture ? pixels : 0, units, layers);
    total += readout;
  }
  return total;
}

/** Frames per training sequence the model needs from the data source. */
export function lstmSequenceLength(config: LstmConfig): number {
  return config.inputFrames + (config.predictFuture ? config.futureFrames : 0);
}

/**
 * A rough training-step footprint in bytes (float32): weights, their gradients and the optimiser
 * slots (SGD: momentum; Adam: two moments), plus the activations kept for backprop and their
 * gradients — per LSTM step and layer about 8 vectors of `hiddenUnits` (gates, cell, hidden,
 * tanh(cell)), per frame the [x, h] input, the output logits and the target.
 */
export function estimateLstmMemoryBytes(config: LstmConfig): number {
  const parameters = lstmParameterCount(config);
  const slots = config.optimizer === 'adam' ? 2 : 1;
  const parameterBytes = parameters * 4 * (2 + slots);
  const pixels = config.frameSize * config.frameSize;
  const decoderSteps =
    (config.reconstruct ? config.inputFrames : 0) +
    (config.predictFuture ? config.futureFrames : 0);
  const steps = config.inputFrames + decoderSteps;
  const perStep = config.layers * 8 * config.hiddenUnits + 3 * pixels;
  const activationBytes = 2 * config.batchSize * steps * perStep * 4;
  return parameterBytes + activationBytes;
}

/** The clips the model trains on: gray frames in [0, 1], input plus future frames long. */
export function lstmDataRequirements(config: LstmConfig): DataRequirements {
  return {
    frames: lstmSequenceLength(config),
    height: config.frameSize,
    width: config.frameSize,
    channels: 1,
    range: 'unit',
    batchSize: config.batchSize,
  };
}
