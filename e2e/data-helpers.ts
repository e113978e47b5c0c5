/**
 * Browser-test helpers for datasets: fixture files handed to `window.playground` as Blobs, and a
 * dataset's frames read back through `exportNpy` so tests check decoded pixels.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { ImportSummary } from '../src/app/data/dataset-registry';
import { frameSetFromNpy } from '../src/core/data/npy';
import type { NpyLayout } from '../src/core/data/npy';
import type { FrameSet } from '../src/core/data/types';
import type { NpyImportOptions, VideoImportOptions } from '../src/protocol/data-messages';

export const FIXTURES = 'e2e/fixtures/video';

/** Resolves to the import summary, or to `{ error }` with the message the promise rejected with. */
export async function importFile(
  page: Page,
  kind: 'video' | 'npy',
  bytes: Uint8Array,
  options: (VideoImportOptions | NpyImportOptions) & { name: string },
): Promise<ImportSummary | { error: string }> {
  return page.evaluate(
    async ([base64, which, opts]) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const blob = new Blob([data]);
      try {
        return which === 'video'
          ? await window.playground.importVideo(blob, opts)
          : await window.playground.importNpy(blob, opts);
      } catch (error) {
        return { error: (error as Error).message };
      }
    },
    [Buffer.from(bytes).toString('base64'), kind, options] as const,
  );
}

export function importFixture(
  page: Page,
  name: string,
  options: VideoImportOptions = {},
): Promise<ImportSummary | { error: string }> {
  return importFile(page, 'video', readFileSync(`${FIXTURES}/${name}`), { name, ...options });
}

/** A .npy export as bytes (of a dataset, or of a generated Moving MNIST set). */
export async function exportNpy(page: Page, request: unknown): Promise<Uint8Array> {
  const base64 = await page.evaluate(async (req) => {
    const blob = await window.playground.exportNpy(req as never);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  }, request);
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** All frames of a one-file dataset, as stored (through an [N, T, H, W] export of one sequence). */
export async function datasetFrames(page: Page, summary: ImportSummary): Promise<FrameSet> {
  const layout: NpyLayout = 'NTHW';
  const bytes = await exportNpy(page, {
    datasetId: summary.datasetId,
    layout,
    length: summary.frames,
  });
  return frameSetFromNpy(bytes, layout, summary.name);
}

/** The [R, G, B] (or [gray]) value at (x, y) of frame f. */
export function pixel(set: FrameSet, f: number, x: number, y: number): number[] {
  const at = ((f * set.height + y) * set.width + x) * set.channels;
  return [...set.data.subarray(at, at + set.channels)];
}

export function isSummary(value: ImportSummary | { error: string }): value is ImportSummary {
  return !('error' in value);
}
