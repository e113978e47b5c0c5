/**
 * The ConvLSTM encoder-forecaster (Shi et al., NeurIPS 2015) as the playground lists it: catalog
 * texts, classroom guide, config, sizes, FLOPs and its tfjs code (model.ts, loaded when the first
 * model is built).
 */
import { defineModel, halvedDispatches } from '../kit/definition';
import {
  CONVLSTM_PRESETS,
  CONVLSTM_SCHEMA,
  CONVLSTM_VARIANTS,
  convLstmDataRequirements,
  estimateConvLstmMemoryBytes,
  resolveConvLstmConfig,
} from './config';
import { convLstmTrainStepFlops } from './flops';

export const convLstmModel = defineModel({
  kind: 'convlstm',
  title: 'ConvLSTM encoder-forecaster',
  paper:
    'Shi, Chen, Wang, Yeung, Wong, Woo. Convolutional LSTM Network: A Machine Learning Approach for Precipitation Nowcasting. NeurIPS 2015.',
  summary:
    'LSTM cells whose products are convolutions, so every state is an image-shaped map: an encoder of stacked ConvLSTM layers reads the frames (cut into patches), and a forecaster started from its states predicts the next frames.',
  variants: CONVLSTM_VARIANTS,
  defaultVariant: 'encoder-forecaster',
  presets: CONVLSTM_PRESETS,
  defaultPreset: 'tiny',
  classroom: {
    preset: 'tiny',
    variant: 'encoder-forecaster',
    explanation:
      'The LSTM of the first model squeezes a whole frame into one vector; a ConvLSTM keeps its memory as a small picture, one memory cell per place in the frame, and each cell only looks at its neighbours. Motion is local, so this suits moving digits: the memory can carry each digit along with it.',
    watchFor: [
      'The loss falls quickly at first: the model learns that most pixels are black before it draws any digit.',
      'Blobs appear where the digits are and move in the right direction before they take the digits’ shapes.',
      'Predictions blur the further ahead they go: the per-frame curves under Evaluation compare each predicted frame with copying the last input frame.',
    ],
  },
  schema: CONVLSTM_SCHEMA,
  resolveConfig: resolveConvLstmConfig,
  estimateMemoryBytes: estimateConvLstmMemoryBytes,
  dataRequirements: convLstmDataRequirements,
  trainStepFlops: convLstmTrainStepFlops,
  // Dispatches a step before the fused cell and tfjs's filter gradient on WebGPU (9097fb3).
  stepWorkTarget: halvedDispatches({ 'encoder-forecaster/tiny': 1518 }),
  load: async () => ({ create: (await import('./model')).createConvLstmModel }),
});
