/**
 * The video GAN (Vondrick, Pirsiavash, Torralba, NIPS 2016) as the playground lists it: catalog
 * texts, classroom guide, config, sizes, FLOPs and its tfjs code (model.ts, loaded when the first
 * model is built).
 */
import { defineModel } from '../kit/definition';
import {
  VGAN_PRESETS,
  VGAN_SCHEMA,
  VGAN_VARIANTS,
  estimateVganMemoryBytes,
  vganDataRequirements,
  resolveVganConfig,
} from './config';
import { vganTrainStepFlops } from './flops';

export const vganModel = defineModel({
  kind: 'vgan',
  title: 'Video GAN (VGAN)',
  paper:
    'Vondrick, Pirsiavash, Torralba. Generating Videos with Scene Dynamics. NIPS 2016 (github.com/cvondrick/videogan).',
  summary:
    'A generator of spatio-temporal transposed convolutions untangles a moving foreground (with a mask) from a static background image; a 3D conv discriminator judges whole clips. Trained adversarially with Adam.',
  variants: VGAN_VARIANTS,
  defaultVariant: 'two-stream',
  presets: VGAN_PRESETS,
  defaultPreset: 'tiny',
  classroom: {
    preset: 'tiny',
    variant: 'two-stream',
    explanation:
      'Two networks play a game. The generator turns random numbers into a short video; the discriminator sees real and generated clips and learns to tell them apart, and the generator learns to fool it. The generator paints a still background and a moving foreground, plus a mask that says where the foreground shows: the paper’s idea that most of a scene stands still while a few things move.',
    watchFor: [
      'd_loss and g_loss pull against each other; neither should reach zero. If the discriminator is right almost every time, the generator stops learning.',
      'The mask: it should light up only where something moves (the digits) and stay dark elsewhere.',
      'The background stream learns the still part of the scene: here mostly black.',
      'Samples start as gray noise; moving blobs, then digit-like strokes, take hundreds of steps: GANs are slow starters, so compare the fixed-noise samples over time.',
    ],
  },
  schema: VGAN_SCHEMA,
  resolveConfig: resolveVganConfig,
  estimateMemoryBytes: estimateVganMemoryBytes,
  dataRequirements: vganDataRequirements,
  trainStepFlops: vganTrainStepFlops,
  // Every cell: at most 400 dispatches and 10 uploads a step.
  stepWorkTarget: () => ({ maxDispatches: 400, maxUploads: 10 }),
  load: async () => ({ create: (await import('./model')).createVganModel }),
});
