/**
 * Lays a run's sample views out as one image (pure TypeScript on FramePanel data, no canvas), for
 * exports:
 * - an **animation sheet** for GIF and WebM: one row per held-out example, one column per panel
 *   (input, ground truth, prediction…); at frame t every cell shows its panel's frame t on the
 *   shared time axis, dimmed outside the panel's part of it, as the app's animation does;
 * - a **frame strip** for PNG: per example, one row per panel with every frame on the time axis.
 * Frames are scaled up with nearest-neighbour sampling so tiny 32-px clips stay crisp. Text
 * (title, labels, frame counter) is listed with positions and drawn by the caller where a canvas
 * exists (the export worker), so the pixel layout can be tested in Node.
 */
import type { FramePanel, SampleView } from '../core/models/types';

export interface SheetText {
  text: string;
  x: number;
  y: number; // baseline
  size: number; // px
  align: 'left' | 'center';
  bold?: boolean;
}

export interface SheetCell {
  panel: FramePanel;
  /** Fixed frame index (strips), or null to follow the animation's time axis. */
  frame: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Sheet {
  width: number;
  height: number;
  /** Frames of the animation (length of the shared time axis); 1 for a strip. */
  frames: number;
  cells: SheetCell[];
  texts: SheetText[];
  /** Where the frame counter goes (animations only), e.g. "frame 5 / 20". */
  counter: { x: number; y: number; size: number } | null;
}

/** Gray level of the background; labels are drawn in TEXT_GRAY on it. */
export const BACKGROUND_GRAY = 24;
export const TEXT_GRAY = 230;
/** Brightness of a cell outside its panel's part of the time axis. */
export const IDLE_BRIGHTNESS = 0.3;
const TITLE_PX = 16;
const LABEL_PX = 13;
const PAD = 12;
const GAP = 6;
const MAX_SIDE = 4096;

const even = (n: number) => n + (n % 2); // video encoders want even sizes

/** Length of the shared time axis: the last frame any panel reaches. */
export function timeAxisLength(panels: readonly FramePanel[]): number {
  return panels.reduce((length, panel) => Math.max(length, panel.timeOffset + panel.t), 0);
}

function mainViews(views: readonly SampleView[]): SampleView[] {
  const main = views.filter((view) => view.group === undefined && view.panels.length > 0);
  if (main.length === 0) throw new Error('There are no sample frames to export yet');
  return main;
}

/** Integer scale that brings frames of `size` px near `target` px, within `MAX_SIDE`. */
function scaleFor(size: number, target: number, cellsAcross: number, fixed: number): number {
  let scale = Math.max(1, Math.round(target / Math.max(1, size)));
  while (scale > 1 && fixed + cellsAcross * (size * scale + GAP) > MAX_SIDE) scale--;
  return scale;
}

/**
 * A panel's size in a cell of `cellW` × `cellH` px: scaled up by the largest whole factor that
 * fits, so a panel smaller than the frames (the rCNN's uncertainty map, one pixel per patch)
 * fills its cell as in the app instead of sitting in a corner at the frames' scale.
 */
function fitted(
  panel: FramePanel,
  cellW: number,
  cellH: number,
): { width: number; height: number } {
  const scale = Math.max(1, Math.floor(Math.min(cellW / panel.width, cellH / panel.height)));
  return { width: panel.width * scale, height: panel.height * scale };
}

/** GIF / WebM layout: examples as rows, panels as columns, `title` on top. */
export function animationSheet(views: readonly SampleView[], title: string): Sheet {
  const rows = mainViews(views);
  const labels: string[] = [];
  for (const view of rows) {
    for (const panel of view.panels) if (!labels.includes(panel.label)) labels.push(panel.label);
  }
  const all = rows.flatMap((view) => view.panels);
  const frameH = Math.max(...all.map((panel) => panel.height));
  const frameW = Math.max(...all.map((panel) => panel.width));
  const scale = scaleFor(Math.max(frameH, frameW), 128, labels.length, 2 * PAD);
  const cellW = Math.max(frameW * scale, 96);
  const cellH = frameH * scale;
  const top = PAD + TITLE_PX + 8 + LABEL_PX + 6;
  const cells: SheetCell[] = [];
  rows.forEach((view, r) => {
    for (const panel of view.panels) {
      const c = labels.indexOf(panel.label);
      const { width, height } = fitted(panel, frameW * scale, cellH);
      cells.push({
        panel,
        frame: null,
        x: PAD + c * (cellW + GAP) + Math.floor((cellW - width) / 2),
        y: top + r * (cellH + GAP) + Math.floor((cellH - height) / 2),
        width,
        height,
      });
    }
  });
  const width = even(2 * PAD + labels.length * cellW + (labels.length - 1) * GAP);
  const bottom = top + rows.length * (cellH + GAP) - GAP;
  const height = even(bottom + 8 + LABEL_PX + PAD);
  const texts: SheetText[] = [
    { text: title, x: PAD, y: PAD + TITLE_PX, size: TITLE_PX, align: 'left', bold: true },
    ...labels.map((label, c): SheetText => ({
      text: label,
      x: PAD + c * (cellW + GAP) + cellW / 2,
      y: top - 6,
      size: LABEL_PX,
      align: 'center',
    })),
  ];
  return {
    width,
    height,
    frames: Math.max(1, timeAxisLength(all)),
    cells,
    texts,
    counter: { x: PAD, y: bottom + 8 + LABEL_PX, size: LABEL_PX },
  };
}

/** PNG layout: per example a block of rows (one per panel), each frame on the shared time axis. */
export function stripSheet(views: readonly SampleView[], title: string): Sheet {
  const examples = mainViews(views);
  const all = examples.flatMap((view) => view.panels);
  const length = timeAxisLength(all);
  const frameH = Math.max(...all.map((panel) => panel.height));
  const frameW = Math.max(...all.map((panel) => panel.width));
  const labelW = 140;
  const scale = scaleFor(Math.max(frameH, frameW), 64, length, 2 * PAD + labelW);
  const cellW = frameW * scale;
  const cellH = frameH * scale;
  const axisY = PAD + TITLE_PX + 8 + LABEL_PX;
  const cells: SheetCell[] = [];
  const texts: SheetText[] = [
    { text: title, x: PAD, y: PAD + TITLE_PX, size: TITLE_PX, align: 'left', bold: true },
    ...Array.from({ length }, (_, k): SheetText => ({
      text: String(k + 1),
      x: PAD + labelW + k * (cellW + GAP) + cellW / 2,
      y: axisY,
      size: LABEL_PX - 2,
      align: 'center',
    })),
  ];
  let y = axisY + 6;
  examples.forEach((view, e) => {
    texts.push({
      text: `Example ${e + 1}`,
      x: PAD,
      y: y + LABEL_PX,
      size: LABEL_PX,
      align: 'left',
      bold: true,
    });
    y += LABEL_PX + 6;
    for (const panel of view.panels) {
      const { width, height } = fitted(panel, cellW, cellH);
      texts.push({
        text: panel.label,
        x: PAD,
        y: y + height / 2 + LABEL_PX / 2 - 2,
        size: LABEL_PX,
        align: 'left',
      });
      for (let k = 0; k < panel.t; k++) {
        cells.push({
          panel,
          frame: k,
          x: PAD + labelW + (panel.timeOffset + k) * (cellW + GAP),
          y,
          width,
          height,
        });
      }
      y += cellH + GAP;
    }
    y += 2 * GAP;
  });
  return {
    width: even(2 * PAD + labelW + length * cellW + (length - 1) * GAP),
    height: even(y - 2 * GAP - GAP + PAD),
    frames: 1,
    cells,
    texts,
    counter: null,
  };
}

function toByte(value: number): number {
  if (!(value > 0)) return 0; // NaN too
  return value >= 1 ? 255 : Math.round(value * 255);
}

/** RGBA pixels of the sheet at animation frame `t` (text not included). */
export function renderSheet(sheet: Sheet, t = 0): Uint8ClampedArray<ArrayBuffer> {
  const { width, height } = sheet;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = out[i + 1] = out[i + 2] = BACKGROUND_GRAY;
    out[i + 3] = 255;
  }
  for (const cell of sheet.cells) {
    const { panel } = cell;
    const local = cell.frame ?? t - panel.timeOffset;
    const inRange = local >= 0 && local < panel.t;
    const index = Math.min(panel.t - 1, Math.max(0, local));
    const gain = inRange ? 1 : IDLE_BRIGHTNESS;
    const pixels = panel.height * panel.width;
    const base = index * pixels * panel.channels;
    for (let y = 0; y < cell.height; y++) {
      const sy = Math.min(panel.height - 1, Math.floor((y * panel.height) / cell.height));
      const row = ((cell.y + y) * width + cell.x) * 4;
      for (let x = 0; x < cell.width; x++) {
        const sx = Math.min(panel.width - 1, Math.floor((x * panel.width) / cell.width));
        const p = sy * panel.width + sx;
        const o = row + x * 4;
        if (panel.channels === 1) {
          const v = toByte(panel.frames[base + p] * gain);
          out[o] = out[o + 1] = out[o + 2] = v;
        } else {
          const s = base + p * 3;
          out[o] = toByte(panel.frames[s] * gain);
          out[o + 1] = toByte(panel.frames[s + 1] * gain);
          out[o + 2] = toByte(panel.frames[s + 2] * gain);
        }
      }
    }
  }
  return out;
}

/** Every animation frame of the sheet (text not included). */
export function renderAnimation(sheet: Sheet): Uint8ClampedArray<ArrayBuffer>[] {
  return Array.from({ length: sheet.frames }, (_, t) => renderSheet(sheet, t));
}
