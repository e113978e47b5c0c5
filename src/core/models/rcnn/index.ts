/**
 * The video language model (Ranzato et al. 2014) as the playground lists it: catalog texts,
 * classroom guide, config, sizes, FLOPs, its own benchmark (k-means dictionary updates) and its
 * tfjs code (model.ts, loaded when the first model is built).
 */
import { defineModel, halvedDispatches } from '../kit/definition';
import {
  RCNN_PRESETS,
  RCNN_SCHEMA,
  RCNN_VARIANTS,
  estimateRcnnMemoryBytes,
  rcnnDataRequirements,
  resolveRcnnConfig,
} from './config';
import { rcnnTrainStepFlops } from './flops';

/** Timed k-means updates per dictionary preset (after an untimed one), within the cell budget. */
const KMEANS_BENCH_ITERATIONS = 10;

export const rcnnModel = defineModel({
  kind: 'rcnn',
  title: 'Video language model (rCNN)',
  paper:
    'Ranzato, Szlam, Bruna, Mathieu, Collobert, Chopra. Video (language) modeling: a baseline for generative models of natural videos. arXiv:1412.6604, 2014.',
  summary:
    'Frames become 2D arrays of k-means patch codes (a “vocabulary” of 8×8 patches); a recurrent convolutional net predicts each location’s next code as a classification over the dictionary, like a language model. Extrapolates and fills in frames.',
  variants: RCNN_VARIANTS,
  defaultVariant: 'rcnn',
  presets: RCNN_PRESETS,
  defaultPreset: 'tiny',
  classroom: {
    preset: 'tiny',
    variant: 'rcnn',
    explanation:
      'First the model builds a vocabulary of small image patches with k-means: every 8×8 patch of a frame is replaced by the number of its closest vocabulary entry, so a video becomes a grid of "words" changing over time. Then, like a language model that guesses the next word, a recurrent convolutional net guesses each patch’s next word from its neighbourhood. To extrapolate, it feeds its own guesses back in.',
    watchFor: [
      'The dictionary card: the atlas shows the vocabulary (edges, strokes, blank patches); a bigger vocabulary reconstructs frames more faithfully (higher PSNR) but gives the model more words to choose from.',
      'The loss in nats per patch, and perplexity: how many words the model is still hesitating between. It starts near the vocabulary size and falls quickly, because most patches stay the same from frame to frame.',
      'Extrapolation against copying the last frame, and filling against blending frames 1 and 5: the model wins where digits move, and its frames stay sharp (every patch is a real vocabulary entry) rather than blurry.',
      'The entropy map: bright where the model is unsure what comes next, which is around the moving digits.',
    ],
  },
  schema: RCNN_SCHEMA,
  resolveConfig: resolveRcnnConfig,
  estimateMemoryBytes: estimateRcnnMemoryBytes,
  dataRequirements: rcnnDataRequirements,
  trainStepFlops: rcnnTrainStepFlops,
  // Dispatches a step took before the dispatch work (counted with step-work.ts).
  stepWorkTarget: halvedDispatches({ 'rcnn/tiny': 142, 'rcnn/small': 209 }),
  load: async () => ({ create: (await import('./model')).createRcnnModel }),
  // The same K (what a step costs), far fewer k-means updates.
  quickPrepare: (config) => ({
    kmeansInit: 'sample',
    kmeansPatches: Math.min(config.kmeansPatches, Math.max(4096, 2 * config.dictionarySize)),
    kmeansBatchSize: Math.min(config.kmeansBatchSize, 4096),
    kmeansIterations: Math.min(config.kmeansIterations, 10),
    sweepSizes: 0,
  }),
  benchmark: {
    title: 'rCNN patch dictionary: mini-batch k-means updates',
    columns: ['K', 'batch', 'dims', 'iterations/s', 'ms/iteration'],
    measure: async (config, maxSeconds) => {
      const { benchmarkKmeans } = await import('./kmeans-benchmark');
      const row = await benchmarkKmeans(
        config.dictionarySize,
        config.kmeansBatchSize,
        config.patchSize,
        KMEANS_BENCH_ITERATIONS,
        maxSeconds,
      );
      return [
        row.dictionarySize,
        row.batchSize,
        row.patchDims,
        row.iterationsPerSecond,
        row.msPerIteration,
      ];
    },
  },
});
