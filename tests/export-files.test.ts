/**
 * Export files: the sheet layouts place every frame where it belongs, the GIF decodes (with an
 * independent reader, omggif) to the right size, frame count, timing and pixels, and the metrics
 * CSV / JSON hold every point. WebM and PNG need WebCodecs / OffscreenCanvas: e2e/exports.spec.ts.
 */
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import type { FramePanel, SampleView } from '../src/core/models/types';
import { encodeGif } from '../src/export/gif';
import { metricsCsv, metricsJson } from '../src/export/metrics-files';
import type { MetricsExport } from '../src/protocol/export-messages';
import {
  BACKGROUND_GRAY,
  IDLE_BRIGHTNESS,
  animationSheet,
  renderAnimation,
  renderSheet,
  stripSheet,
} from '../src/export/sheet';
import type { Sheet } from '../src/export/sheet';

/** A gray panel whose frame k, pixel p has the value ((k * 7 + p + seed) % 16) / 15. */
function panel(label: string, t: number, timeOffset: number, seed: number, size = 8): FramePanel {
  const frames = new Float32Array(t * size * size);
  for (let k = 0; k < t; k++) {
    for (let p = 0; p < size * size; p++) {
      frames[k * size * size + p] = ((k * 7 + p + seed) % 16) / 15;
    }
  }
  return { label, frames, t, height: size, width: size, channels: 1, timeOffset };
}

/** Two examples of an LSTM-like view (4 input frames, 3 predicted), plus a group to leave out. */
const VIEWS: SampleView[] = [0, 1].map((e) => ({
  panels: [
    panel('Input', 4, 0, e),
    panel('Ground truth', 3, 4, e + 10),
    panel('Prediction', 3, 4, e + 20),
  ],
}));
VIEWS.push({ group: 'held-out', panels: [panel('Held-out clip', 7, 0, 99)] });

const gray = (value: number) => Math.round(value * 255);

/** The gray value the sheet shows at pixel (x, y). */
const at = (sheet: Sheet, rgba: Uint8ClampedArray, x: number, y: number) =>
  rgba[(y * sheet.width + x) * 4];

describe('animation sheet', () => {
  const sheet = animationSheet(VIEWS, 'run #1 · step 5');

  it('has one row per example, one column per panel, and the time axis as its frames', () => {
    expect(sheet.frames).toBe(7);
    expect(sheet.cells).toHaveLength(6); // 2 examples × 3 panels; the held-out group is left out
    expect(sheet.width % 2).toBe(0);
    expect(sheet.height % 2).toBe(0);
    const columns = new Set(sheet.cells.map((cell) => cell.x));
    const rows = new Set(sheet.cells.map((cell) => cell.y));
    expect(columns.size).toBe(3);
    expect(rows.size).toBe(2);
    expect(sheet.texts.map((text) => text.text)).toEqual([
      'run #1 · step 5',
      'Input',
      'Ground truth',
      'Prediction',
    ]);
  });

  it('shows frame t of each panel on the shared axis, dimmed outside its part', () => {
    const prediction = sheet.cells.find((cell) => cell.panel.label === 'Prediction')!;
    const scale = prediction.width / 8;
    // Frame 5 of the clip is the prediction's frame 1; its pixel (2, 3) is value index 3*8+2.
    const live = renderSheet(sheet, 5);
    const px = prediction.x + 2 * scale + Math.floor(scale / 2);
    const py = prediction.y + 3 * scale;
    expect(at(sheet, live, px, py)).toBe(gray(((1 * 7 + 26 + 20) % 16) / 15));
    // Frame 0 comes before the prediction: it holds its first frame, dimmed.
    const early = renderSheet(sheet, 0);
    expect(at(sheet, early, px, py)).toBe(gray((((0 + 26 + 20) % 16) / 15) * IDLE_BRIGHTNESS));
    expect(at(sheet, early, 0, 0)).toBe(BACKGROUND_GRAY);
  });

  it('refuses to export when there are no samples yet', () => {
    expect(() => animationSheet([], 'x')).toThrow(/no sample frames/);
  });
});

describe('frame strip', () => {
  it('puts every frame of every panel on the time axis, example after example', () => {
    const sheet = stripSheet(VIEWS, 'strip');
    expect(sheet.frames).toBe(1);
    expect(sheet.cells).toHaveLength(2 * (4 + 3 + 3));
    const first = sheet.cells.filter((cell) => cell.panel === VIEWS[0].panels[1]);
    const input = sheet.cells.filter((cell) => cell.panel === VIEWS[0].panels[0]);
    // Ground truth frame 0 sits in the column of clip frame 5, right after input frame 4.
    const pitch = input[1].x - input[0].x;
    expect(first[0].x - input[3].x).toBe(pitch);
    const rgba = renderSheet(sheet);
    expect(at(sheet, rgba, first[2].x, first[2].y)).toBe(gray(((2 * 7 + 0 + 10) % 16) / 15));
    const second = sheet.cells.filter((cell) => cell.panel === VIEWS[1].panels[0]);
    expect(second[0].y).toBeGreaterThan(first[0].y);
    expect(second[0].y + second[0].height).toBeLessThanOrEqual(sheet.height);
  });
});

describe('panels smaller than the frames', () => {
  // The rCNN's uncertainty map: one value per 4×4 patch, a 2×2 grid beside 8×8 frames.
  const views: SampleView[] = [
    { panels: [panel('Extrapolated', 3, 2, 1), panel('Uncertainty', 3, 2, 2, 2)] },
  ];

  it('fill their cell in the animation and in the strip, as large as the frames', () => {
    for (const sheet of [animationSheet(views, 'gif'), stripSheet(views, 'png')]) {
      const frame = sheet.cells.find((cell) => cell.panel.label === 'Extrapolated')!;
      const map = sheet.cells.find((cell) => cell.panel.label === 'Uncertainty')!;
      expect(map.width).toBe(frame.width);
      expect(map.height).toBe(frame.height);
      // Each of its values is a block of (frame size / 2) pixels: value 1 of frame 0 at the
      // top right.
      const rgba = renderSheet(sheet, 2);
      const block = map.width / 2;
      expect(at(sheet, rgba, map.x + block + 1, map.y + 1)).toBe(gray(((0 + 1 + 2) % 16) / 15));
      expect(at(sheet, rgba, map.x + map.width - 1, map.y + map.height - 1)).toBe(
        gray(((0 + 3 + 2) % 16) / 15),
      );
    }
  });
});

describe('GIF', () => {
  it('decodes with an independent reader: size, frames, timing, looping and exact grays', () => {
    const sheet = animationSheet(VIEWS, 'gif');
    const frames = renderAnimation(sheet);
    const bytes = encodeGif(frames, sheet.width, sheet.height, 125);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('GIF89a');
    const reader = new GifReader(bytes);
    expect([reader.width, reader.height]).toEqual([sheet.width, sheet.height]);
    expect(reader.numFrames()).toBe(7);
    expect(reader.loopCount()).toBe(0); // forever
    expect(reader.frameInfo(3).delay).toBe(13); // centiseconds (125 ms rounded)
    for (const t of [0, 3, 6]) {
      const decoded = new Uint8Array(sheet.width * sheet.height * 4);
      reader.decodeAndBlitFrameRGBA(t, decoded);
      expect(Buffer.compare(Buffer.from(decoded), Buffer.from(frames[t]))).toBe(0);
    }
  });

  it('quantizes colour frames and still decodes every frame', () => {
    const rgb: FramePanel = {
      label: 'Generated',
      frames: Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i % 3) / 2),
      t: 2,
      height: 8,
      width: 8,
      channels: 3,
      timeOffset: 0,
    };
    const sheet = animationSheet([{ panels: [rgb] }], 'colour');
    const bytes = encodeGif(renderAnimation(sheet), sheet.width, sheet.height, 100);
    const reader = new GifReader(bytes);
    expect(reader.numFrames()).toBe(2);
    const decoded = new Uint8Array(sheet.width * sheet.height * 4);
    reader.decodeAndBlitFrameRGBA(1, decoded);
    const cell = sheet.cells[0];
    const o = (cell.y * sheet.width + cell.x) * 4;
    // Pixel 0 is (0, 0.5, 1): red stays dark, blue bright after quantization.
    expect(decoded[o]).toBeLessThan(40);
    expect(decoded[o + 2]).toBeGreaterThan(215);
  });
});

describe('metrics files', () => {
  const data: MetricsExport = {
    run: {
      id: 'run-1',
      label: '#1 lstm · composite · tiny',
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      spec: { model: 'lstm', preset: 'tiny' },
      config: { hiddenUnits: 64 },
      parameterCount: 1234,
      backend: 'webgpu',
      step: 3,
    },
    series: {
      loss: { steps: [1, 2, 3], wallMs: [10.4, 20.6, 31], values: [0.5, 0.25, Number.NaN] },
      'recon,loss': { steps: [2, 3], wallMs: [20.6, 31], values: [0.1, 0.05] },
    },
    evaluations: [{ step: 2, scalars: { 'future/mse': 42.5 } }],
    probes: [
      {
        mode: 'linear',
        task: 'file-labels',
        labelsPerClass: [1, 'all'],
        pretrained: [0.75, 1],
        random: [0.5, 0.75],
        chance: 0.5,
        trainClips: 6,
        testClips: 4,
        seeds: [1, 2, 3],
        classes: ['wave', 'clap'],
        step: 3,
        digits: null,
        ms: 1200,
      },
    ],
  };

  it('CSV: one row per step, training metrics and held-out scores, names quoted', () => {
    expect(metricsCsv(data).split('\n')).toEqual([
      'step,wall_ms,loss,"recon,loss",eval:future/mse',
      '1,10,0.5,,',
      '2,21,0.25,0.1,42.5',
      '3,31,NaN,0.05,',
      '',
    ]);
  });

  it('JSON: the run, every series, evaluation and probe, NaN kept visible', () => {
    const parsed = JSON.parse(metricsJson(data));
    expect(parsed.format).toBe('video-model-playground/metrics');
    expect(parsed.run).toEqual(data.run);
    expect(parsed.series.loss.values).toEqual([0.5, 0.25, 'NaN']);
    expect(parsed.evaluations).toEqual(data.evaluations);
    expect(parsed.probes).toEqual(data.probes);
  });
});
