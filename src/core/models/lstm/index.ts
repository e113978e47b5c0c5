/**
 * The LSTM encoder-decoder (Srivastava, Mansimov, Salakhutdinov, ICML 2015) as the playground
 * lists it: catalog texts, classroom guide, config, sizes, FLOPs and its tfjs code (model.ts,
 * loaded when the first model is built).
 */
import { defineModel, halvedDispatches } from '../kit/definition';
import {
  LSTM_PRESETS,
  LSTM_SCHEMA,
  LSTM_VARIANTS,
  estimateLstmMemoryBytes,
  lstmDataRequirements,
  resolveLstmConfig,
} from './config';
import { lstmTrainStepFlops } from './flops';

export const lstmModel = defineModel({
  kind: 'lstm',
  title: 'LSTM encoder-decoder',
  paper:
    'Srivastava, Mansimov, Salakhutdinov. Unsupervised Learning of Video Representations using LSTMs. ICML 2015.',
  summary:
    'An LSTM encoder reads the input frames into a fixed-size state; LSTM decoders started from that state reconstruct the input (in reverse order) and/or predict the future frames.',
  variants: LSTM_VARIANTS,
  defaultVariant: 'composite',
  presets: LSTM_PRESETS,
  defaultPreset: 'tiny',
  classroom: {
    preset: 'tiny',
    variant: 'composite',
    explanation:
      'An LSTM reads the first frames one at a time and squeezes the whole clip into one fixed-size memory. From that memory alone, one decoder replays the input backwards (reconstruction) and another imagines the frames that come next (prediction). Nobody tells it about digits or motion: to predict well, it has to discover both.',
    watchFor: [
      'The loss drops fast, then flattens: the model has learned that most pixels are black and predicts nearly empty frames (which already beats copying the last frame). Digits appear, blurry at first, once it gets past that plateau.',
      'Reconstruction sharpens before prediction: replaying what it saw is easier than imagining what comes next.',
      'Prediction against ground truth: with training the predicted digits keep their shape longer and keep moving the right way.',
      'Predictions blur the further ahead they go: uncertainty grows with every frame (per-frame curves under Evaluation).',
    ],
  },
  schema: LSTM_SCHEMA,
  resolveConfig: resolveLstmConfig,
  estimateMemoryBytes: estimateLstmMemoryBytes,
  dataRequirements: lstmDataRequirements,
  trainStepFlops: lstmTrainStepFlops,
  // Dispatches a step took before the dispatch work (counted with step-work.ts, the same on every
  // adapter; the paper preset from a profile on an NVIDIA H200).
  stepWorkTarget: halvedDispatches({
    'composite/tiny': 748,
    'composite/small': 748,
    'composite/paper': 1801,
  }),
  load: async () => ({ create: (await import('./model')).createLstmModel }),
});
