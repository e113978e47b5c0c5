/**
 * The video language model's sample views, from arrays already read back from the device (no
 * tfjs): per held-out example the ground truth, its quantization, extrapolation and filling
 * beside the paper's baselines and the model's uncertainty; and the dictionary itself — the
 * centroids as an atlas, quantization PSNR against dictionary size, k-means convergence, and one
 * clip through each fitted dictionary size.
 */
import type { FramePanel, SampleChart, SampleView } from '../types';
import type { RcnnConfig } from './config';
import type { SweepPoint } from './dictionary';
import { pickTiles, responseChart, tilePanel, topIndices, unitVariance } from '../kit/weight-tiles';

/** Centroids drawn in the atlas at most (64 × 64 cells); the caption says when there are more. */
export const ATLAS_MAX_CENTROIDS = 4096;
/** Gray of the 1-px lines between atlas cells (black patches stay visible against it). */
const ATLAS_GRID_GRAY = 0.3;
/** Small atlases are drawn with whole-pixel magnification up to about this width. */
const ATLAS_MIN_WIDTH = 200;

export interface SampleData {
  config: RcnnConfig;
  temperature: number;
  grid: number; // G
  examples: number; // views to build (≤ B)
  truth: Float32Array; // [B, T, H·W]
  quantized: Float32Array; // [B, T, H·W]
  extrapolated: Float32Array; // [B, N, H·W]
  copyLast: Float32Array; // [B, N, H·W]
  entropy: Float32Array; // [B, N, G·G] nats
  filled: Float32Array; // [B, 3, H·W]
  interpolated: Float32Array; // [B, 3, H·W]
  centroids: Float32Array; // [K, P·P] normalised units
  counts: Float32Array; // [K] fitting patches per centroid
  history: readonly number[]; // mean squared distance per k-means update
  sweep: readonly SweepPoint[]; // largest first
  sizes: { size: number; frames: Float32Array }[]; // smaller dictionaries, [B, T, H·W] each
}

/** Rows `row` of a [B, frames, side, side] array as a panel starting at `timeOffset`. */
function panel(
  label: string,
  values: Float32Array,
  row: number,
  frames: number,
  side: number,
  timeOffset: number,
  scale = 1,
): FramePanel {
  const size = frames * side * side;
  const slice = values.slice(row * size, (row + 1) * size); // a copy: safe to transfer
  if (scale !== 1) for (let i = 0; i < slice.length; i++) slice[i] *= scale;
  return { label, frames: slice, t: frames, height: side, width: side, channels: 1, timeOffset };
}

/**
 * The centroids, most used first, as one gray image of P×P cells with 1-px grid lines, scaled so
 * that the brightest centroid value is white.
 */
export function atlasPanel(
  centroids: Float32Array,
  counts: Float32Array,
  patchSize: number,
  maxShown = ATLAS_MAX_CENTROIDS,
): { panel: FramePanel; shown: number } {
  const dims = patchSize * patchSize;
  const k = counts.length;
  const order = Array.from({ length: k }, (_, i) => i).sort(
    (a, b) => counts[b] - counts[a] || a - b,
  );
  const shown = Math.min(k, maxShown);
  const columns = Math.ceil(Math.sqrt(shown));
  const rows = Math.ceil(shown / columns);
  const cell = patchSize + 1;
  const width = columns * cell + 1;
  const height = rows * cell + 1;
  let max = 0;
  for (let j = 0; j < shown; j++) {
    for (let d = 0; d < dims; d++) max = Math.max(max, centroids[order[j] * dims + d]);
  }
  const image = new Float32Array(width * height).fill(ATLAS_GRID_GRAY);
  for (let j = 0; j < shown; j++) {
    const top = Math.floor(j / columns) * cell + 1;
    const left = (j % columns) * cell + 1;
    for (let y = 0; y < patchSize; y++) {
      for (let x = 0; x < patchSize; x++) {
        const value = centroids[order[j] * dims + y * patchSize + x] / (max || 1);
        image[(top + y) * width + left + x] = Math.min(1, Math.max(0, value));
      }
    }
  }
  const label = shown < k ? `Top ${shown.toLocaleString('en-US')}` : 'Centroids';
  const zoom = Math.max(1, Math.floor(ATLAS_MIN_WIDTH / width));
  return {
    panel: {
      label,
      frames: zoom === 1 ? image : magnify(image, width, height, zoom),
      t: 1,
      height: height * zoom,
      width: width * zoom,
      channels: 1,
      timeOffset: 0,
    },
    shown,
  };
}

/** Nearest-neighbour magnification of a gray image [H, W] by a whole factor. */
function magnify(image: Float32Array, width: number, height: number, zoom: number): Float32Array {
  const out = new Float32Array(width * zoom * height * zoom);
  for (let y = 0; y < height * zoom; y++) {
    for (let x = 0; x < width * zoom; x++) {
      out[y * width * zoom + x] = image[Math.floor(y / zoom) * width + Math.floor(x / zoom)];
    }
  }
  return out;
}

const dB = (value: number) => `${value.toFixed(1)} dB`;

export function buildSampleViews(data: SampleData): SampleView[] {
  const { config, grid } = data;
  const t = config.frames;
  const n = config.extrapolationFrames;
  const side = config.frameSize;
  const k = config.dictionarySize;
  const views: SampleView[] = [];

  const fillings = data.temperature === 0 ? 1 : config.fillCandidates;
  const caption =
    `Extrapolated: frames 3–${n + 2} generated from frames 1–2 at temperature ${data.temperature}` +
    `${data.temperature === 0 ? ' (argmax)' : ''}, beside copying frame 2. ` +
    `Filled in: frames 2–4 from frames 1 and 5 (${fillings === 1 ? 'generated forward' : `the most likely of ${fillings} fillings`}), beside linear interpolation. ` +
    `Uncertainty: entropy of the model’s distribution over the ${k.toLocaleString('en-US')} codes at each patch location while extrapolating (black: certain; white: uniform). ` +
    `Quantized truth: the best any code prediction can look.`;
  for (let row = 0; row < data.examples; row++) {
    views.push({
      caption,
      panels: [
        panel('Ground truth', data.truth, row, t, side, 0),
        panel('Quantized truth', data.quantized, row, t, side, 0),
        panel('Extrapolated', data.extrapolated, row, n, side, 2),
        panel('Copy last frame', data.copyLast, row, n, side, 2),
        panel('Uncertainty', data.entropy, row, n, grid, 2, 1 / Math.log(k)),
        panel('Filled in', data.filled, row, 3, side, 1),
        panel('Linear interpolation', data.interpolated, row, 3, side, 1),
      ],
    });
  }

  const atlas = atlasPanel(data.centroids, data.counts, config.patchSize);
  const sweep = [...data.sweep].sort((a, b) => a.size - b.size);
  const charts: SampleChart[] = [
    {
      title: 'Quantization PSNR against dictionary size',
      xLabel: 'centroids K',
      yLabel: 'PSNR (dB)',
      xScale: 'log',
      series: [{ label: 'held-out frames', points: sweep.map((p) => [p.size, p.psnr]) }],
    },
  ];
  if (data.history.length > 1) {
    charts.push({
      title: `k-means convergence (K = ${k.toLocaleString('en-US')})`,
      xLabel: 'mini-batch update',
      yLabel: 'distance²',
      series: [{ label: 'mini-batch', points: data.history.map((d, i) => [i + 1, d]) }],
    });
  }
  const shownText =
    atlas.shown < k
      ? `the ${atlas.shown.toLocaleString('en-US')} most used of ${k.toLocaleString('en-US')} centroids`
      : `all ${k.toLocaleString('en-US')} centroids, most used first`;
  views.push({
    group: 'dictionary',
    title: 'Patch dictionary',
    caption:
      `k-means on ${config.kmeansPatches.toLocaleString('en-US')} patches of ${config.patchSize}×${config.patchSize} px (gray divided by the ${config.stdScope}’s std): ${shownText}, brightest value white. ` +
      `Fewer centroids give a larger quantization error (lower PSNR) but codes that are easier to predict.`,
    panels: [atlas.panel],
    charts,
  });

  if (data.examples > 0) {
    const label = (size: number) => `K = ${size.toLocaleString('en-US')}`;
    views.push({
      group: 'dictionary-sizes',
      title: 'One clip at each dictionary size',
      caption:
        'Held-out example 1 quantized with each fitted dictionary and decoded. PSNR on held-out frames: ' +
        sweep.map((p) => `${label(p.size)} ${dB(p.psnr)}`).join(', ') +
        '.',
      panels: [
        panel('Original', data.truth, 0, t, side, 0),
        panel(label(k), data.quantized, 0, t, side, 0),
        ...data.sizes.map((s) => panel(label(s.size), s.frames, 0, t, side, 0)),
      ],
    });
  }
  return views;
}

/** Recurrent channels ranked for a clip in the feature views. */
const FEATURE_TOP_CHANNELS = 8;

/** What the feature views read back: the dictionary and the recurrent state over a clip. */
export interface FeatureData {
  config: RcnnConfig;
  grid: number; // G
  centroids: Float32Array; // [K, P·P] normalised units
  counts: Float32Array; // [K] fitting patches per centroid
  states: Float32Array; // [T − 1, G·G, C]: h after frames 1 … T − 1 of the clip
}

/**
 * Feature views: the patch dictionary's centroids (what the codes the network reads and predicts
 * stand for), and the recurrent channels that respond most to the clip (largest variance of h
 * over its frames and locations) with their maps over the patch grid and their mean over time.
 */
export function buildFeatureViews(data: FeatureData): SampleView[] {
  const { config, grid: g, centroids, counts, states } = data;
  const steps = config.frames - 1;
  const locations = g * g;
  const channels = states.length / (steps * locations);
  const k = counts.length;
  const atlas = atlasPanel(centroids, counts, config.patchSize);
  const maps = new Float32Array(channels * steps * locations); // [C, T − 1, G·G]
  const perFrame = new Float32Array(steps * channels); // [T − 1, C] mean over locations
  for (let t = 0; t < steps; t++) {
    for (let l = 0; l < locations; l++) {
      for (let c = 0; c < channels; c++) {
        const h = states[(t * locations + l) * channels + c];
        maps[(c * steps + t) * locations + l] = h;
        perFrame[t * channels + c] += h / locations;
      }
    }
  }
  const top = topIndices(
    unitVariance(states, steps * locations),
    Math.min(channels, FEATURE_TOP_CHANNELS),
  );
  const shownText = atlas.shown < k ? `the ${atlas.shown} most used of ${k}` : `all ${k}`;
  return [
    {
      group: 'features',
      title: 'Patch dictionary',
      caption: `The codes the network reads and predicts: ${shownText} k-means centroids of ${config.patchSize}×${config.patchSize} patches, most used first, brightest value white.`,
      panels: [atlas.panel],
    },
    {
      group: 'features',
      title: 'Channels that respond most to this clip',
      caption: `The ${top.length} recurrent channels whose h varies most over the clip (channels ${top.map((c) => c + 1).join(', ')}): h on the ${g}×${g} grid of patches after each of frames 1–${steps} (gray is 0, each map scaled to its own largest |h|), and its mean over the grid.`,
      panels: [
        tilePanel(
          'Recurrent state',
          pickTiles(maps, top, steps * locations),
          top.length,
          steps,
          g,
          g,
        ),
      ],
      charts: [
        responseChart({
          title: 'Mean state over the frames',
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
