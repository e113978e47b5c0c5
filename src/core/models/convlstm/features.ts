/**
 * The ConvLSTM's feature views (see model.ts for the model), as the LSTM's: the first encoder
 * layer's input kernels, each channel's cell-input weights on the k×k neighbourhood of patches
 * drawn as one (k·p)×(k·p) picture, and the channels a clip drives most, with their hidden maps
 * over the input frames.
 *
 * Shapes: Tin input frames, G grid side, p patch size, k kernel size, U the first layer's
 * channels.
 */
import * as tf from '@tensorflow/tfjs';
import type { SampleView } from '../types';
import { pickTiles, responseChart, tilePanel, topIndices } from '../kit/weight-tiles';
import type { Layer } from './cell';
import type { ConvLstmConfig } from './config';

/** Kernels the feature views show at most, and channels ranked for a clip. */
const FEATURE_TILES = 64;
const FEATURE_TOP_CHANNELS = 8;

/**
 * Feature views of the first encoder layer `layer` (w [k, k, p² + U, 4U], gates i, f, c, o) and
 * its hidden states `hidden` [Tin, G, G, U] over a clip's input frames: the cell-input kernels
 * on the frame's pixels (channel = py·p + px within a patch), and the channels whose h varies
 * most over the clip (variance over frames and grid) with their kernels, their maps over time and their mean over the grid.
 */
export async function convLstmFeatureViews(
  config: ConvLstmConfig,
  layer: Layer,
  hidden: tf.Tensor4D,
): Promise<SampleView[]> {
  const { kernelSize: k, patchSize: p } = config;
  const { inputs, units } = layer;
  const [steps, g] = hidden.shape;
  const side = k * p;
  const parts = tf.tidy(() => ({
    // [k, k, p², U] → [U, k, p, k, p]: tap (ky, kx), pixel (py, px) at (ky·p + py, kx·p + px).
    kernels: layer.w
      .slice([0, 0, 0, 2 * units], [k, k, inputs, units])
      .reshape([k, k, p, p, units])
      .transpose([4, 0, 2, 1, 3]),
    maps: hidden.transpose([3, 0, 1, 2]), // [U, Tin, G, G]
    perFrame: hidden.mean([1, 2]), // [Tin, U]
    spread: tf.moments(hidden, [0, 1, 2]).variance, // [U]
  }));
  const [kernels, maps, perFrame, spread] = (await Promise.all(
    Object.values(parts).map((x) => x.data()),
  )) as Float32Array[];
  tf.dispose(Object.values(parts));
  const top = topIndices(spread, Math.min(units, FEATURE_TOP_CHANNELS));
  const shown = Math.min(units, FEATURE_TILES);
  const first = Array.from({ length: shown }, (_, u) => u);
  const range = shown < units ? `channels 1–${shown} of ${units}` : `all ${units} channels`;
  const kernelTiles = (which: number[]) => pickTiles(kernels, which, side * side);
  return [
    {
      group: 'features',
      title: 'Input kernels',
      caption: `The encoder's first layer: each tile is one channel's cell-input kernel on a ${k}×${k} neighbourhood of ${p}×${p} patches, drawn as the ${side}×${side} pixels it reads (${range}); gray is 0, light positive, dark negative.`,
      panels: [tilePanel('Input kernels', kernelTiles(first), shown, 1, side, side)],
    },
    {
      group: 'features',
      title: 'Channels that respond most to this clip',
      caption: `The ${top.length} first-layer encoder channels whose h varies most over the clip's ${steps} input frames and grid (channels ${top.map((u) => u + 1).join(', ')}): their input kernels, h on the ${g}×${g} grid after each input frame (each map scaled to its own largest |h|), and its mean over the grid.`,
      panels: [
        tilePanel('Input kernels', kernelTiles(top), top.length, 1, side, side),
        tilePanel('Hidden state', pickTiles(maps, top, steps * g * g), top.length, steps, g, g),
      ],
      charts: [
        responseChart({
          title: 'Mean hidden state over the input frames',
          yLabel: 'h',
          perStep: perFrame,
          steps,
          which: top,
          unit: 'channel',
        }),
      ],
    },
  ];
}
