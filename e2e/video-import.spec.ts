/**
 * Videos decoded in the data worker (mediabunny + WebCodecs) in headless Chromium, checked against
 * the known content of the fixtures (scripts/make-video-fixtures.sh): in frame N the background is
 * 40 + 8·N, a white square sits at x = 4 + 2·N, y = 8, a red block fills the bottom-left corner and
 * a blue one the bottom-right. Then every bad input gives its message in the promise and in the UI,
 * and loses nothing; .npy arrays round-trip.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  datasetFrames,
  exportNpy,
  importFile,
  importFixture,
  isSummary,
  pixel,
} from './data-helpers';
import type { ImportSummary } from '../src/app/data/dataset-registry';
import { frameSetFromNpy, frameSetToNpy, parseNpyHeader } from '../src/core/data/npy';
import type { FrameSet } from '../src/core/data/types';

/** Background level of source frame N; neighbouring frames differ by 8, so ±3 tells them apart. */
const background = (n: number) => 40 + 8 * n;
const LEVEL_TOLERANCE = 3;

async function imported(page: Page, name: string, options = {}): Promise<ImportSummary> {
  const result = await importFixture(page, name, options);
  if (!isSummary(result)) throw new Error(`${name}: ${result.error}`);
  return result;
}

function expectLevel(actual: number[], level: number, tolerance = LEVEL_TOLERANCE) {
  for (const value of actual) expect(Math.abs(value - level)).toBeLessThanOrEqual(tolerance);
}

function expectColour(actual: number[], rgb: [number, number, number]) {
  actual.forEach((value, i) => expect(Math.abs(value - rgb[i])).toBeLessThanOrEqual(40));
}

test('H.264, VP8, VP9 and AV1 decode to the known frames; rotation, variable frame rate, odd sizes, fit and gray', async ({
  playground,
  page,
}) => {
  await playground.open();

  for (const name of ['h264.mp4', 'vp8.webm', 'vp9.webm', 'av1.mp4']) {
    await test.step(name, async () => {
      const summary = await imported(page, name, { width: 64, height: 48, clipLength: 5 });
      expect(summary).toMatchObject({ frames: 20, width: 64, height: 48, fps: 10, channels: 3 });
      expect(summary.clips).toBe(summary.trainClips + summary.heldOutClips);
      expect(summary.heldOutClips).toBeGreaterThanOrEqual(1);
      const frames = await datasetFrames(page, summary);
      for (let n = 0; n < 20; n++) {
        expectLevel(pixel(frames, n, 32, 24), background(n));
        expect(Math.min(...pixel(frames, n, 7 + 2 * n, 11))).toBeGreaterThan(200); // the square
      }
      expectColour(pixel(frames, 0, 8, 40), [255, 0, 0]);
      expectColour(pixel(frames, 0, 56, 40), [0, 0, 255]);
    });
  }

  await test.step('rotation metadata: shown as ffmpeg shows it (90° counter-clockwise, 48×64)', async () => {
    const summary = await imported(page, 'rotated-90.mp4', {
      width: 48,
      height: 64,
      clipLength: 5,
    });
    const frames = await datasetFrames(page, summary);
    // Coded (x, y) appears at (y, 63 − x): red goes bottom-right, blue top-right.
    expectColour(pixel(frames, 0, 40, 55), [255, 0, 0]);
    expectColour(pixel(frames, 0, 40, 8), [0, 0, 255]);
    expect(Math.min(...pixel(frames, 0, 11, 56))).toBeGreaterThan(200);
    expectLevel(pixel(frames, 3, 24, 32), background(3));
  });

  await test.step('variable frame rate: resampled on a 10 fps grid by timestamp', async () => {
    // Frames 0–9 every 0.1 s, then 10–19 every 0.04 s; frame k shows the video at (k + ½) / 10 s.
    const summary = await imported(page, 'vfr.mp4', {
      width: 64,
      height: 48,
      fps: 10,
      clipLength: 4,
    });
    expect(summary.frames).toBe(14);
    const frames = await datasetFrames(page, summary);
    const shown = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 18];
    shown.forEach((source, k) => expectLevel(pixel(frames, k, 32, 24), background(source)));
    const info = (await page.evaluate(() => window.playground.listDatasets())).find(
      (d) => d.id === summary.datasetId,
    );
    expect(info?.source?.variableFrameRate).toBe(true);
  });

  await test.step('a lower frame rate keeps the frame shown mid-interval', async () => {
    const summary = await imported(page, 'h264.mp4', {
      width: 64,
      height: 48,
      fps: 5,
      clipLength: 4,
    });
    expect(summary.frames).toBe(10);
    const frames = await datasetFrames(page, summary);
    for (let k = 0; k < 10; k++) expectLevel(pixel(frames, k, 32, 24), background(2 * k + 1));
  });

  await test.step('odd size 35×27 (VP9)', async () => {
    const summary = await imported(page, 'odd-35x27.webm', {
      width: 35,
      height: 27,
      clipLength: 5,
    });
    expect(summary).toMatchObject({ frames: 20, width: 35, height: 27 });
    const frames = await datasetFrames(page, summary);
    for (const n of [0, 10, 19]) expectLevel(pixel(frames, n, 30, 3), background(n));
    expectColour(pixel(frames, 0, 6, 20), [255, 0, 0]);
    expectColour(pixel(frames, 0, 29, 20), [0, 0, 255]);
  });

  await test.step('fit keeps the whole frame with black bars; centre crop fills the square', async () => {
    const fit = await datasetFrames(
      page,
      await imported(page, 'h264.mp4', { width: 64, height: 64, crop: 'fit', clipLength: 5 }),
    );
    expectLevel(pixel(fit, 5, 32, 3), 0); // bar: rows 0–7
    expectLevel(pixel(fit, 5, 32, 60), 0); // bar: rows 56–63
    expectLevel(pixel(fit, 5, 32, 32), background(5));
    const crop = await datasetFrames(
      page,
      await imported(page, 'h264.mp4', { width: 64, height: 64, crop: 'center', clipLength: 5 }),
    );
    expectLevel(pixel(crop, 5, 32, 3), background(5));
  });

  await test.step('gray-scale is the BT.601 luma of the RGB frames', async () => {
    const size = { width: 64, height: 48, clipLength: 5 };
    const rgb = await datasetFrames(page, await imported(page, 'h264.mp4', size));
    const gray = await datasetFrames(
      page,
      await imported(page, 'h264.mp4', { ...size, color: 'gray' }),
    );
    expect(gray.channels).toBe(1);
    for (const [x, y] of [
      [8, 40],
      [56, 40],
      [32, 24],
      [9, 11],
    ]) {
      const [r, g, b] = pixel(rgb, 1, x, y);
      expectLevel(pixel(gray, 1, x, y), 0.299 * r + 0.587 * g + 0.114 * b, 1);
    }
    expect(pixel(gray, 1, 8, 40)[0]).toBeGreaterThan(pixel(gray, 1, 56, 40)[0] + 30); // red is lighter than blue
  });
});

test('bad input: each failure names the file and the reason, in the promise and in the UI, and loses nothing', async ({
  playground,
  page,
}) => {
  await playground.open();
  const good = await imported(page, 'h264.mp4', { clipLength: 5 });
  const run = await playground.createRun({
    model: 'lstm',
    preset: 'tiny',
    backend: 'cpu',
    config: { frameSize: 16, hiddenUnits: 8, inputFrames: 3, futureFrames: 2, batchSize: 2 },
    data: { source: 'video', datasetId: good.datasetId },
  });
  await page.getByRole('button', { name: /^Data/ }).click();

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'hevc.mp4',
      {},
      /^"hevc\.mp4" uses HEVC \(H\.265\).*, which this browser cannot decode\. Convert it to H\.264, VP9 or AV1/,
    ],
    [
      'mpeg4-part2.mp4',
      {},
      /^"mpeg4-part2\.mp4" uses MPEG-4 Part 2 \(Xvid\/DivX\), which this browser cannot decode/,
    ],
    ['audio-only.m4a', {}, /^"audio-only\.m4a" has no video track \(only audio\)/],
    [
      'truncated.mp4',
      { clipLength: 5 },
      /^"truncated\.mp4" is truncated or corrupt: its index lists 2\.0 s of video \(20 frames at 10 fps\), but only the first \d+ could be decoded\.$/,
    ],
    [
      'corrupt.mp4',
      { clipLength: 5 },
      /^"corrupt\.mp4" is corrupt or truncated: it starts like an MP4 file, but no track could be read from it\.$/,
    ],
    ['empty.mp4', {}, /^"empty\.mp4" is empty \(0 bytes\)/],
    ['notes.mp4', {}, /^"notes\.mp4" is not a video file this app can read/],
    [
      'short.mp4',
      {},
      /^"short\.mp4" is too short for one clip: it has 5 frames \(0\.5 s at 10 fps\), but one training clip and one held-out clip of 20 frames need at least 40 frames \(4\.0 s at 10 fps\)\.$/,
    ],
    [
      'bench-720p.mp4',
      { width: 1024, height: 1024, fps: 240 },
      /^"bench-720p\.mp4" is too large: 480 frames of 1024×1024 RGB are 1\.4 GB decoded, and a dataset may hold at most 512 MB\. Lower the frame rate/,
    ],
    [
      'h264.mp4',
      { width: 2 },
      /^Cannot import "h264\.mp4": width must be an integer from 4 to 1024 \(got 2\)$/,
    ],
  ];
  for (const [name, options, message] of cases) {
    await test.step(name, async () => {
      const result = await importFixture(page, name, options);
      expect(isSummary(result) ? 'imported' : result.error).toMatch(message);
      if (!isSummary(result)) {
        await expect(page.getByRole('alert').filter({ hasText: result.error })).toBeVisible();
      }
    });
  }

  // Nothing lost: the good dataset is still there and the run trains on it.
  const datasets = await page.evaluate(() => window.playground.listDatasets());
  expect(datasets.map((d) => d.id)).toEqual([good.datasetId]);
  await playground.step(run, 2);
  const trained = await playground.waitForStep(run, 2, 60_000);
  expect(trained.error).toBeNull();
  expect(trained.metrics.loss.every(([, value]) => Number.isFinite(value))).toBe(true);
});

test('.npy round trip in both layouts, a slice, a file that is not .npy, and labels picked with an array', async ({
  playground,
  page,
}) => {
  await playground.open();
  // 3 sequences × 20 frames of 16×16 whose pixels encode (sequence, frame, position).
  const frames: FrameSet = {
    data: Uint8Array.from({ length: 3 * 20 * 256 }, (_, i) => (i * 7 + (i >> 8) * 13) % 256),
    frames: 60,
    width: 16,
    height: 16,
    channels: 1,
    segments: [0, 1, 2].map((i) => ({ name: `sequence ${i}`, start: 20 * i, length: 20 })),
  };
  const tnhw = frameSetToNpy(frames, 'TNHW');
  const imported = await importFile(page, 'npy', tnhw, { name: 'seq.npy', layout: 'TNHW' });
  if (!isSummary(imported)) throw new Error(imported.error);
  expect(imported).toMatchObject({ frames: 60, width: 16, height: 16, segments: 3, fps: null });
  expect(imported.clipLength).toBe(20);
  expect(await exportNpy(page, { datasetId: imported.datasetId, layout: 'TNHW' })).toEqual(tnhw);

  const nthw = await exportNpy(page, { datasetId: imported.datasetId, layout: 'NTHW' });
  expect(parseNpyHeader(nthw, 'x').shape).toEqual([3, 20, 16, 16]);
  const again = await importFile(page, 'npy', nthw, { name: 'nthw.npy', layout: 'NTHW' });
  if (!isSummary(again)) throw new Error(again.error);
  expect(await exportNpy(page, { datasetId: again.datasetId, layout: 'TNHW' })).toEqual(tnhw);

  const slice = await importFile(page, 'npy', tnhw, {
    name: 'slice.npy',
    offset: 1,
    count: 2,
    clipLength: 10,
  });
  if (!isSummary(slice)) throw new Error(slice.error);
  const sliced = await exportNpy(page, { datasetId: slice.datasetId, layout: 'NTHW' });
  expect((await frameSetFromNpy(sliced, 'NTHW', 'x')).data).toEqual(frames.data.subarray(20 * 256));

  const wrong = await importFile(page, 'npy', new TextEncoder().encode('not numpy'), {
    name: 'bad.npy',
  });
  expect(isSummary(wrong) ? '' : wrong.error).toBe(
    '"bad.npy" is not a .npy file (it does not start with "\\x93NUMPY").',
  );

  // The Data view's picker: an array and its labels file chosen together label its sequences;
  // the array's own label then labels them all.
  await page
    .getByRole('navigation', { name: 'View' })
    .getByRole('button', { name: /^Data/ })
    .click();
  await page.getByLabel('Video or .npy files').setInputFiles([
    { name: 'picked.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(tnhw) },
    {
      name: 'picked.labels.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('wave\nclap\nwave\n'),
    },
  ]);
  const card = page.getByRole('article', { name: 'Dataset picked.npy' });
  await expect(card).toContainText('3 sequences · wave (2), clap (1)');
  // Exported beside its array, named after it: picked together, they import labelled again.
  const download = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Export labels' }).click();
  expect((await download).suggestedFilename()).toBe('picked-TNHW.labels.txt');
  expect(await readFile((await (await download).path())!, 'utf8')).toBe('wave\nclap\nwave\n');
  const unlabelled = page.getByRole('article', { name: 'Dataset seq.npy' });
  await expect(unlabelled.getByRole('button', { name: 'Export .npy' })).toBeVisible();
  await expect(unlabelled.getByRole('button', { name: 'Export labels' })).toHaveCount(0);
  await card.screenshot({ path: 'test-results/dataset-labels.png' });
  await card.getByLabel('Label of picked.npy').fill('all');
  await card.getByLabel('Label of picked.npy').press('Enter');
  await expect(card).toContainText('3 sequences · all (3)');
});
