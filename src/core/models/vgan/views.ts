/**
 * The video GAN's sample views (see model.ts for the model): generated videos with their
 * background, mask and foreground, the fixed-noise grid and an interpolation between two codes;
 * and its feature view, the discriminator's first-layer filters over time.
 *
 * Shapes: B batch, T frames, S frame side (H = W = S), C channels, Z latent size.
 */
import * as tf from '@tensorflow/tfjs';
import type { FramePanel, SampleView } from '../types';
import { pickTiles, responseChart, tilePanel, topIndices } from '../kit/weight-tiles';
import type { VganConfig } from './config';
import { firstFrames, fixedRows } from './inputs';
import type { Discriminator, Generator } from './networks';
import { slerp } from './ops';

/** What the evaluation and the views read from the model. */
export interface VganParts {
  readonly config: VganConfig;
  readonly conditional: boolean; // image-to-video
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  /** batchSize fixed codes [Z], drawn at construction (restored from checkpoints). */
  readonly fixedCodes: readonly Float32Array[];
}

/** Maps [-1, 1] values to [0, 1] for display (clamped). */
function toDisplay(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i] + 1) / 2));
  return out;
}

/** Videos in the fixed-noise grid, and the α values of the interpolation. */
const FIXED_VIEW_SIZE = 8;
const INTERPOLATION_ALPHAS = [0, 0.25, 0.5, 0.75, 1];

/**
 * (a) One view per example (the first `examples`) with panels Generated, Background, Mask and
 * Foreground (m⊙f) (one-stream: Generated only; image-to-video first adds Input still and Ground
 * truth from `videos`). Videos are mapped from [-1, 1] to [0, 1]; the mask is shown as is;
 * Foreground (m⊙f) is m times the foreground in display units (black where the mask is off);
 * Background and Input still are single frames.
 * (b) Group 'fixed-noise': min(8, batchSize) videos, 'z1' …, from z fixed at construction — the
 * main examples are the first of them, so every refresh shows the same codes.
 * Image-to-video: from the stills of the first held-out videos, 'still 1' ….
 * (c) Group 'interpolation': α = 0, 0.25, 0.5, 0.75, 1 along the great circle between z1 and z2
 * (spherical interpolation); image-to-video: linear between the encodings of stills 1 and 2.
 * Two generator passes, each a full batch of batchSize (fixed shapes; batch-norm statistics of a
 * batch like the training ones); the interpolation batch is padded with the other fixed codes.
 */
export async function vganSampleViews(
  m: VganParts,
  videos: tf.Tensor5D,
  examples: number,
): Promise<SampleView[]> {
  const batch = m.config.batchSize;
  const count = Math.max(0, Math.min(examples, batch, videos.shape[0]));
  const [n, t, h, w, c] = videos.shape;
  const frameSize = h * w * c;
  const videoSize = t * frameSize;

  // Held-out videos wrapped to a full batch (image-to-video reads their stills and truth).
  const realBatch = m.conditional
    ? tf.tidy(() => {
        const index = Array.from({ length: batch }, (_, i) => i % n);
        return tf
          .gather(videos.reshape([n, videoSize]), tf.tensor1d(index, 'int32'))
          .reshape([batch, t, h, w, c]) as tf.Tensor5D;
      })
    : null;
  const fixed = tf.tidy(() => {
    const input = realBatch
      ? firstFrames(realBatch)
      : tf.tensor2d(fixedRows(m.fixedCodes, batch), [batch, m.config.zDim]);
    const code = m.generator.encode(input);
    return { code, ...m.generator.decode(code) };
  });
  const path = interpolate(m, fixed.code);
  const read = async (x: tf.Tensor | null | undefined) =>
    x ? ((await x.data()) as Float32Array).slice() : null;
  try {
    const [video, foreground, mask, background, real, ...chunks] = await Promise.all([
      read(fixed.video),
      read(fixed.foreground),
      read(fixed.mask),
      read(fixed.background),
      read(realBatch),
      ...path.map((x) => read(x)),
    ]);
    const ch = m.config.channels === 3 ? 3 : 1; // as the data requirements say
    const panel = (
      label: string,
      data: Float32Array,
      row: number,
      frames: number,
      channels: 1 | 3,
      display: boolean,
    ): FramePanel => {
      const size = frames * h * w * channels;
      const values = data.slice(row * size, (row + 1) * size); // a copy: safe to transfer
      return {
        label,
        frames: display ? toDisplay(values) : values,
        t: frames,
        height: h,
        width: w,
        channels,
        timeOffset: 0,
      };
    };
    const generated = video as Float32Array;
    const views: SampleView[] = [];
    for (let row = 0; row < count; row++) {
      const panels: FramePanel[] = [];
      if (real) {
        const still = real.slice(row * videoSize, row * videoSize + frameSize);
        panels.push(panel('Input still', still, 0, 1, ch, true));
        panels.push(panel('Ground truth', real, row, t, ch, true));
      }
      panels.push(panel('Generated', generated, row, t, ch, true));
      if (foreground && mask && background) {
        const masked = maskedForeground(m, foreground, mask, row);
        panels.push(panel('Background', background, row, 1, ch, true));
        panels.push(panel('Mask', mask, row, t, 1, false));
        panels.push(panel('Foreground (m⊙f)', masked, 0, t, ch, false));
      }
      views.push({ panels });
    }
    views.push({
      group: 'fixed-noise',
      panels: Array.from({ length: Math.min(FIXED_VIEW_SIZE, batch) }, (_, row) =>
        panel(m.conditional ? `still ${row + 1}` : `z${row + 1}`, generated, row, t, ch, true),
      ),
    });
    const alphas = INTERPOLATION_ALPHAS.map((alpha, i) => ({ alpha, i }));
    views.push({
      group: 'interpolation',
      panels: alphas.map(({ alpha, i }) =>
        panel(
          `α = ${alpha}`,
          chunks[Math.floor(i / batch)] as Float32Array,
          i % batch,
          t,
          ch,
          true,
        ),
      ),
    });
    return views;
  } finally {
    tf.dispose([...(realBatch ? [realBatch] : []), ...Object.values(fixed), ...path]);
  }
}

/** m ⊙ (f + 1)/2 of one example: the foreground in display units where the mask lets it through. */
function maskedForeground(
  m: VganParts,
  foreground: Float32Array,
  mask: Float32Array,
  row: number,
): Float32Array {
  const { frames: t, frameSize: s } = m.config;
  const c = m.config.channels;
  const pixels = t * s * s;
  const out = new Float32Array(pixels * c);
  for (let p = 0; p < pixels; p++) {
    const m = mask[row * pixels + p];
    for (let k = 0; k < c; k++) {
      const f = foreground[(row * pixels + p) * c + k];
      out[p * c + k] = m * Math.min(1, Math.max(0, (f + 1) / 2));
    }
  }
  return out;
}

/**
 * Videos along the interpolation path, in batches of batchSize whose first rows are the path
 * and whose other rows are fixed codes (noise: the fixed z; image-to-video: `encoded`, the
 * encodings of the held-out stills).
 */
function interpolate(m: VganParts, encoded: tf.Tensor): tf.Tensor5D[] {
  const batch = m.config.batchSize;
  const chunks: tf.Tensor5D[] = [];
  for (let start = 0; start < INTERPOLATION_ALPHAS.length; start += batch) {
    const alphas = INTERPOLATION_ALPHAS.slice(start, start + batch);
    chunks.push(
      tf.tidy(() => {
        let code: tf.Tensor;
        if (m.conditional) {
          // Linear between the first two encodings; the rest of the batch keeps its encodings.
          const [a, b] = tf.split(encoded.slice([0], [2]), 2, 0); // each [1, 4, 4, g0]
          const path = alphas.map((alpha) => a.mul(1 - alpha).add(b.mul(alpha)));
          const rest = encoded.slice([alphas.length], [batch - alphas.length]);
          code = tf.concat([...path, rest], 0); // [B, 4, 4, g0]
        } else {
          const z = m.config.zDim;
          const rows = fixedRows(m.fixedCodes, batch);
          alphas.forEach((alpha, row) => {
            rows.set(slerp(m.fixedCodes[0], m.fixedCodes[1 % batch], alpha), row * z);
          });
          code = tf.tensor2d(rows, [batch, z]);
        }
        return m.generator.decode(code).video;
      }),
    );
  }
  return chunks;
}

/** First-layer units ranked for a clip in the feature views. */
const FEATURE_TOP_UNITS = 8;

/**
 * Feature views: the discriminator's first-layer 4×4×4 filters `filter` [kT, kH, kW, Cin, Cout]
 * over time (averaged over the input channels), one mosaic per time slice; and the first-layer
 * units that respond most to a clip, with their filters, their response maps over time and their
 * mean response per frame. Ranked by the variance of `responses` [1, T1, S1, S1, Cout] over the
 * clip, not by their mean: the clips are mostly flat background, whose constant response (a
 * filter's bias, mostly) says nothing about what the filter finds in the clip.
 */
export async function vganFeatureViews(
  filter: tf.Tensor | undefined,
  responses: tf.Tensor5D,
): Promise<SampleView[]> {
  if (!filter) throw new Error('The discriminator has no first-layer filter d.conv0.w');
  const [kt, kh, kw, , outputs] = filter.shape;
  const [, t1, h1, w1] = responses.shape;
  const parts = tf.tidy(() => ({
    tiles: filter.mean(3).transpose([3, 0, 1, 2]), // [Cout, kT, kH, kW]
    maps: responses.reshape([t1, h1, w1, outputs]).transpose([3, 0, 1, 2]), // [Cout, T1, S1, S1]
    perFrame: responses.mean([2, 3]).reshape([t1, outputs]), // [T1, Cout]
    spread: tf.moments(responses, [0, 1, 2, 3]).variance, // [Cout]
  }));
  const [tiles, maps, perFrame, spread] = (await Promise.all(
    Object.values(parts).map((x) => x.data()),
  )) as Float32Array[];
  tf.dispose(Object.values(parts));
  const top = topIndices(spread, Math.min(outputs, FEATURE_TOP_UNITS));
  const numbers = top.map((u) => u + 1).join(', ');
  return [
    {
      group: 'features',
      title: 'First-layer filters over time',
      caption: `The discriminator's ${outputs} first-layer filters (${kt}×${kh}×${kw}, averaged over the input channels), one mosaic per time step of the filter: play it to see the motion each one looks for; gray is 0.`,
      panels: [tilePanel('Filters', tiles, outputs, kt, kh, kw)],
    },
    {
      group: 'features',
      title: 'Units that respond most to this clip',
      caption: `The ${top.length} first-layer filters whose response varies most over the clip (filters ${numbers}): each filter over time, and where in the clip it responds (its ${t1} output frames of ${h1}×${w1}, after the leaky ReLU).`,
      panels: [
        tilePanel('Filters', pickTiles(tiles, top, kt * kh * kw), top.length, kt, kh, kw),
        tilePanel('Responses', pickTiles(maps, top, t1 * h1 * w1), top.length, t1, h1, w1),
      ],
      charts: [
        responseChart({
          title: 'Mean response over the output frames',
          yLabel: 'response',
          perStep: perFrame,
          steps: t1,
          which: top,
          unit: 'filter',
        }),
      ],
    },
  ];
}
