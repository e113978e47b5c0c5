/**
 * The LSTM encoder-decoder's feature views (see model.ts for the model), as Srivastava et al.
 * show their weights: the encoder's first-layer input → hidden weights and a decoder's hidden →
 * output readout, each unit as a frame-sized tile, and the first-layer units a clip drives most,
 * with their activations over time.
 *
 * Shapes: T frames (Tin input), P = frameSize² pixels, U hidden units.
 */
import * as tf from '@tensorflow/tfjs';
import type { SampleView } from '../types';
import { meanAbsolute, pickTiles, responseChart, tilePanel, topIndices } from '../kit/weight-tiles';
import type { LstmConfig } from './config';

/** Weight tiles the feature views show at most, and units ranked for a clip. */
const FEATURE_TILES = 64;
const FEATURE_TOP_UNITS = 8;

/** What the views need from the model. */
export interface LstmFeatureSource {
  readonly config: LstmConfig;
  /** The encoder's states after each input frame, [N, Tin, layers·U] (model.ts). */
  features(videos: tf.Tensor5D): tf.Tensor3D;
}

/** The weights shown. */
export interface FeatureWeights {
  encoder: tf.Tensor; // the first encoder layer's w [4U, P + U], gates i, f, a, o
  readout: tf.Tensor; // the decoder's readout [P, U]
  decoder: 'future' | 'reconstruction';
}

/**
 * Feature views (as Srivastava et al. show their weights): the encoder's first-layer input →
 * hidden weights of the cell input (rows 2U…3U of w, the frame's columns) and the decoder's
 * hidden → output readout, each unit as a frame-sized tile; and the first-layer units that
 * respond most to `clip` [1, T, H, W, 1] (largest mean |h| over its input frames) with their
 * input tiles and activations over time.
 */
export async function lstmFeatureViews(
  model: LstmFeatureSource,
  clip: tf.Tensor5D,
  weights: FeatureWeights,
): Promise<SampleView[]> {
  const { frameSize: size, hiddenUnits: units, inputFrames } = model.config;
  const pixels = size * size;
  const shown = Math.min(units, FEATURE_TILES);
  const parts = tf.tidy(() => {
    const w = weights.encoder; // [4U, P + U]
    const input = w.slice([2 * units, 0], [units, pixels]); // [U, P] cell input
    const readout = weights.readout.transpose(); // [U, P]
    const h = model.features(clip).slice([0, 0, 0], [1, inputFrames, units]); // [1, Tin, U]
    return { input, readout, h: h.reshape([inputFrames, units]) };
  });
  const [input, readout, h] = (await Promise.all([
    parts.input.data(),
    parts.readout.data(),
    parts.h.data(),
  ])) as Float32Array[];
  tf.dispose(Object.values(parts));
  const top = topIndices(meanAbsolute(h, inputFrames), Math.min(units, FEATURE_TOP_UNITS));
  const tilesOf = (values: Float32Array, which: number[]) => pickTiles(values, which, pixels);
  const first = Array.from({ length: shown }, (_, u) => u);
  const range = shown < units ? `units 1–${shown} of ${units}` : `all ${units} units`;
  return [
    {
      group: 'features',
      title: 'Input → hidden weights',
      caption: `The encoder's first layer: each tile is one unit's cell-input weights on the ${size}×${size} frame (${range}); gray is 0, light positive, dark negative.`,
      panels: [tilePanel('Input → hidden', tilesOf(input, first), shown, 1, size, size)],
    },
    {
      group: 'features',
      title: 'Hidden → output weights',
      caption: `The ${weights.decoder} decoder's readout: each tile is what one unit adds to the predicted frame (${range}).`,
      panels: [tilePanel('Hidden → output', tilesOf(readout, first), shown, 1, size, size)],
    },
    {
      group: 'features',
      title: 'Units that respond most to this clip',
      caption: `The ${top.length} first-layer encoder units with the largest mean |h| over the clip's ${inputFrames} input frames (units ${top.map((u) => u + 1).join(', ')}), their input weights, and h over time.`,
      panels: [tilePanel('Input weights', tilesOf(input, top), top.length, 1, size, size)],
      charts: [
        responseChart({
          title: 'Activation over the input frames',
          yLabel: 'h',
          perStep: h,
          steps: inputFrames,
          which: top,
          unit: 'unit',
        }),
      ],
    },
  ];
}
