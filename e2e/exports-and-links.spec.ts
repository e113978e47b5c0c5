/**
 * Exports and shared links in the real browser: GIF / WebM / PNG of a run's samples and its
 * metrics as CSV / JSON are valid files (the WebM decoded by mediabunny + WebCodecs in the page,
 * the GIF by omggif here); a bad link shows its message and creates nothing; a good link recreates
 * the runs; `?view=present&controls=hidden` shows the presentation without controls. CPU backend:
 * these tests are about files and links, not about training speed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { GifReader } from 'omggif';
import { decodeExperiment, encodeExperiment } from '../src/protocol/experiment';
import type { RunSpec } from '../src/protocol/messages';
import { expect, test } from './fixtures';
import type { PlaygroundPage } from './fixtures';

const SPEC: RunSpec = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  backend: 'cpu',
  data: { source: 'moving-mnist', seed: 11, digitSize: 14 },
  seed: 2,
};

/** An export's bytes, brought back from the page. */
async function exported(
  playground: PlaygroundPage,
  id: string,
  format: 'gif' | 'webm' | 'png' | 'csv' | 'json',
): Promise<{ bytes: Buffer; type: string }> {
  const { data, type } = await playground.page.evaluate(
    async ([runId, f]) => {
      const api = window.playground;
      const blob =
        f === 'csv' || f === 'json'
          ? await api.exportMetrics(runId, f)
          : await api.exportSamples(runId, f as 'gif' | 'webm' | 'png');
      return { data: Array.from(new Uint8Array(await blob.arrayBuffer())), type: blob.type };
    },
    [id, format] as const,
  );
  return { bytes: Buffer.from(data), type };
}

test('exports: GIF, WebM, PNG strip, CSV and JSON are valid files named after run and step', async ({
  playground,
  page,
}) => {
  await playground.open();
  const id = await playground.createRun(SPEC);
  await playground.step(id, 3);
  await playground.waitForStep(id, 3, 60_000);
  const run = await playground.getRun(id);

  const gif = await exported(playground, id, 'gif');
  expect(gif.type).toBe('image/gif');
  expect(gif.bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  const reader = new GifReader(gif.bytes);
  expect(reader.numFrames()).toBe(20); // the tiny preset's 10 input + 10 future frames
  expect(reader.width).toBeGreaterThan(400);

  const webm = await exported(playground, id, 'webm');
  expect(webm.type).toBe('video/webm');
  expect([...webm.bytes.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // EBML magic
  // Decoded by mediabunny (WebM demuxer) and WebCodecs (VideoDecoder) in a blank page on the same
  // origin (a secure context) served by the test without the app's Content-Security-Policy, which
  // rightly refuses to run a test's injected script.
  const bundle = readFileSync('node_modules/mediabunny/dist/bundles/mediabunny.min.mjs', 'utf8');
  const decoderPage = await page.context().newPage();
  await decoderPage.route('**/webm-decoder-test', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>WebM decoder</title>' }),
  );
  await decoderPage.goto('/webm-decoder-test');
  const decoded = await decoderPage.evaluate(
    async ([source, bytes]) => {
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const mb = await import(/* @vite-ignore */ url);
      const input = new mb.Input({
        source: new mb.BufferSource(new Uint8Array(bytes)),
        formats: mb.ALL_FORMATS,
      });
      const track = await input.getPrimaryVideoTrack();
      const sink = new mb.VideoSampleSink(track);
      let frames = 0;
      let lit = 0;
      for await (const sample of sink.samples()) {
        frames++;
        const canvas = new OffscreenCanvas(sample.displayWidth, sample.displayHeight);
        const context = canvas.getContext('2d')!;
        sample.draw(context, 0, 0);
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) if (data[i] > 128) lit++;
        sample.close();
      }
      return {
        format: (await input.getFormat()).name,
        codec: track.codec,
        width: track.displayWidth,
        height: track.displayHeight,
        frames,
        lit,
      };
    },
    [bundle, [...webm.bytes]] as const,
  );
  await decoderPage.close();
  expect(decoded.format).toBe('WebM');
  expect(['vp9', 'vp8']).toContain(decoded.codec);
  expect(decoded.frames).toBe(20);
  expect([decoded.width, decoded.height]).toEqual([reader.width, reader.height]);
  expect(decoded.lit).toBeGreaterThan(1000); // digits and labels, not a blank video

  const png = await exported(playground, id, 'png');
  // Kept for people to look at (test-results/exports/).
  mkdirSync('test-results/exports', { recursive: true });
  for (const [name, file] of [
    ['samples.gif', gif],
    ['samples.webm', webm],
    ['frames.png', png],
  ] as const) {
    writeFileSync(`test-results/exports/${name}`, file.bytes);
  }
  expect(png.type).toBe('image/png');
  expect([...png.bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(png.bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  const [width, height] = [png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)];
  expect(width).toBeGreaterThan(20 * 32); // 20 frames of at least 32 px across
  const size = await page.evaluate(
    async (bytes) => {
      const bitmap = await createImageBitmap(
        new Blob([new Uint8Array(bytes)], { type: 'image/png' }),
      );
      return [bitmap.width, bitmap.height];
    },
    [...png.bytes],
  );
  expect(size).toEqual([width, height]);

  const csv = (await exported(playground, id, 'csv')).bytes.toString('utf8').trim().split('\n');
  const header = csv[0].split(',');
  expect(header.slice(0, 2)).toEqual(['step', 'wall_ms']);
  expect(header).toEqual(expect.arrayContaining(['loss', 'recon_loss', 'future_loss']));
  expect(csv).toHaveLength(1 + 3);
  const lossColumn = header.indexOf('loss');
  expect(Number(csv[3].split(',')[lossColumn])).toBeCloseTo(run.metrics.loss[2][1], 5);
  const json = JSON.parse((await exported(playground, id, 'json')).bytes.toString('utf8'));
  expect(json.run).toMatchObject({ id, model: 'lstm', preset: 'tiny', step: 3 });
  expect(json.series.loss.values).toHaveLength(3);

  // The buttons: clear names, and a download named after run and step.
  for (const name of [
    'Export samples as animated GIF',
    'Export samples as WebM video',
    'Export samples as PNG strip',
    'Export metrics as CSV',
    'Export metrics as JSON',
  ]) {
    await expect(page.getByRole('button', { name })).toBeEnabled();
  }
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export samples as animated GIF' }).click();
  expect((await download).suggestedFilename()).toMatch(/^lstm-composite-tiny-run1-step\d+\.gif$/);
  await expect(
    page.getByRole('status').filter({ hasText: /Saved lstm-composite-tiny/ }),
  ).toBeVisible();
  await page
    .getByRole('region', { name: 'Export' })
    .screenshot({ path: 'test-results/export-bar.png' });
});

test('a bad link shows why and creates nothing; a good one recreates its runs', async ({
  playground,
  page,
}) => {
  const good = encodeExperiment({
    runs: [{ ...SPEC, config: { learningRate: 1e-3 } }],
    start: false,
  });
  // A misspelt config key: refused, with a message naming it, and no run is created.
  const tampered = `#exp=${Buffer.from(
    JSON.stringify({ v: 1, runs: [{ ...SPEC, config: { lerningRate: 1e-3 } }] }),
  ).toString('base64url')}`;
  await playground.open(`/${tampered}`);
  await expect(page.getByTestId('link-error')).toContainText('lerningRate');
  await expect(page.getByTestId('link-error')).toContainText('Nothing was created');
  expect(await page.evaluate(() => window.playground.listRuns())).toEqual([]);
  await expect(
    page.evaluate((hash) => window.playground.loadExperiment(hash), '#exp=not*base64'),
  ).rejects.toThrow(/base64url/);
  expect(await page.evaluate(() => window.playground.listRuns())).toEqual([]);

  // A valid link (made by encodeExperiment) creates the runs, in its view.
  await playground.open(`/?view=compare${good}`);
  await expect(page.getByTestId('link-error')).toHaveCount(0);
  await expect.poll(() => page.evaluate(() => window.playground.listRuns().length)).toBe(1);
  const [id] = await page.evaluate(() => window.playground.listRuns());
  await expect
    .poll(async () => (await playground.getRun(id)).status, { timeout: 60_000 })
    .toBe('ready');
  await expect(page.getByTestId('compare-view')).toBeVisible();
  // Sharing it again gives the same experiment back.
  const url = await page.evaluate(() => window.playground.shareUrl());
  expect(decodeExperiment(url).runs).toEqual(decodeExperiment(good).runs);

  // A lesson link: the presentation view, no controls.
  await page.goto(`/?view=present&controls=hidden${good}`);
  await expect(page.getByTestId('present-view')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Share' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Create & start/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Show controls' })).toBeVisible();
});
