/**
 * The data worker's handler driven in Node with a fake `post` and synthetic videos (sample-and-
 * hold over known frame timestamps, like mediabunny's samplesAtTimestamps): constant-rate
 * resampling of variable frame rates, progress with time left, cancel, refusal before decoding
 * when too large or too short, truncation, option errors, .npy reading and writing; and the
 * mediabunny source in Node, which demuxes but has no WebCodecs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frameSetToNpy, parseNpyHeader } from '../src/core/data/npy';
import type { FrameSet } from '../src/core/data/types';
import type { DataCommand, DataEvent, DataResult } from '../src/protocol/data-messages';
import { DataHandler, frameTimes } from '../src/runtime/data-handler';
import { NO_WEBCODECS_MESSAGE, openWithMediabunny } from '../src/runtime/mediabunny-source';
import type { DecodedFrame, VideoSource } from '../src/runtime/video-source';

/** A video whose frame i (starting at times[i]) is a solid gray of level 10 + i. */
function fakeVideo(times: number[], end: number, options: { failAfter?: number } = {}) {
  const calls = { framesAt: 0, drawn: 0 };
  const source: VideoSource = {
    codec: 'Fake',
    displayWidth: 32,
    displayHeight: 16,
    rotation: 0,
    startSeconds: times[0],
    endSeconds: end,
    frameRate: 10,
    variableFrameRate: false,
    async *framesAt(timestamps) {
      calls.framesAt++;
      let yielded = 0;
      for (const t of timestamps) {
        if (options.failAfter !== undefined && yielded >= options.failAfter) {
          yield null;
          continue;
        }
        let index = -1;
        for (let i = 0; i < times.length; i++) if (times[i] <= t) index = i;
        yielded++;
        await new Promise((resolve) => setTimeout(resolve, 0)); // decoding is asynchronous
        const frame: DecodedFrame = {
          draw: async (w, h) => {
            calls.drawn++;
            const rgba = new Uint8ClampedArray(w * h * 4).fill(10 + index);
            for (let p = 3; p < rgba.length; p += 4) rgba[p] = 255;
            return rgba;
          },
          close: () => {},
        };
        yield index >= 0 ? frame : null;
      }
    },
    dispose: () => {},
  };
  return { source, calls };
}

const OPTIONS = {
  name: 'clip.mp4',
  width: 8,
  height: 4,
  crop: 'center' as const,
  color: 'gray' as const,
  clipLength: 4,
};

class Harness {
  readonly events: DataEvent[] = [];
  private clock = 0;
  readonly handler: DataHandler;
  private nextId = 1;

  constructor(source?: VideoSource) {
    this.handler = new DataHandler((event) => this.events.push(event), {
      openVideo: async () => {
        if (!source) throw new Error('no video');
        return source;
      },
      loadMnist: async () => {
        throw new Error('not needed');
      },
      now: () => (this.clock += 50), // 50 ms pass between reads of the clock
    });
  }

  async run(command: Exclude<DataCommand, { type: 'cancel' }>, onProgress?: (id: number) => void) {
    const requestId = this.nextId++;
    const started = this.handler.handle({ ...command, requestId });
    onProgress?.(requestId);
    await started;
    const last = this.events.filter((e) => e.requestId === requestId).at(-1);
    if (last?.type === 'result') return { result: last.result as DataResult };
    if (last?.type === 'failed') return { error: last.message, cancelled: last.cancelled };
    throw new Error('no answer');
  }

  decode(
    options: Partial<typeof OPTIONS> & { fps?: number; maxSeconds?: number } = {},
    size = 100,
  ) {
    return this.run({
      type: 'decode-video',
      file: new Blob([new Uint8Array(size)]),
      options: { ...OPTIONS, ...options },
      existingBytes: 0,
      existingSegments: [],
    });
  }
}

describe('video decoding', () => {
  it('samples a constant frame rate at the middle of each interval, whatever the source timing', async () => {
    // Frames at 0, 0.1, … 0.9 s, then every 0.04 s: the VFR fixture's timing.
    const times = [...Array(10).keys()]
      .map((i) => i / 10)
      .concat([...Array(10).keys()].map((i) => 1 + i * 0.04));
    const { source } = fakeVideo(times, 1.4);
    const answer = await new Harness(source).decode({ fps: 10 });
    if (!answer.result || answer.result.kind !== 'video') throw new Error(answer.error);
    const { frames } = answer.result;
    expect(frames.frames).toBe(14);
    const levels = [...Array(14).keys()].map((k) => frames.data[k * 32] - 10);
    expect(levels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 18]);
    expect(frameTimes(0, 1, 4)).toEqual([0.125, 0.375, 0.625, 0.875]);
  });

  it('reports progress with frames decoded and, once the rate settles, the time left', async () => {
    const { source } = fakeVideo(
      [...Array(40).keys()].map((i) => i / 10),
      4,
    );
    const harness = new Harness(source);
    await harness.decode();
    const progress = harness.events.filter((e) => e.type === 'progress');
    expect(progress[0]).toMatchObject({ done: 0, total: 40, secondsLeft: null });
    expect(progress.at(-1)).toMatchObject({ done: 40, total: 40, secondsLeft: 0 });
    const middle = progress.find((p) => p.type === 'progress' && p.done >= 10 && p.done < 40);
    expect(middle && middle.type === 'progress' ? middle.secondsLeft : null).toBeGreaterThan(0);
    expect(middle?.type === 'progress' && middle.message).toMatch(/^Decoded frame \d+ of 40$/);
  });

  it('stops at the next frame when cancelled', async () => {
    const { source, calls } = fakeVideo(
      [...Array(200).keys()].map((i) => i / 10),
      20,
    );
    const harness = new Harness(source);
    const answer = await harness.run(
      {
        type: 'decode-video',
        file: new Blob([new Uint8Array(1)]),
        options: OPTIONS,
        existingBytes: 0,
        existingSegments: [],
      },
      (id) => setTimeout(() => harness.handler.cancel(id), 0),
    );
    expect(answer).toMatchObject({ error: 'Cancelled', cancelled: true });
    expect(calls.drawn).toBeLessThan(200);
  });

  it('refuses a video too large or too short before decoding a frame', async () => {
    const long = fakeVideo([0], 3600);
    const tooLarge = await new Harness(long.source).decode({
      width: 512,
      height: 512,
      color: 'rgb' as never,
      fps: 30,
    });
    expect(tooLarge.error).toMatch(
      /^"clip\.mp4" is too large: 108,000 frames of 512×512 RGB are 79\.1 GB decoded, and a dataset may hold at most 512 MB\. Lower the frame rate, the frame size or use gray-scale, or import only the first seconds \(maxSeconds\) — 3600\.0 s at 30 fps is 108,000 frames\.$/,
    );
    expect(long.calls.framesAt).toBe(0);
    const short = fakeVideo([0, 0.1, 0.2], 0.3);
    const tooShort = await new Harness(short.source).decode();
    expect(tooShort.error).toMatch(
      /^"clip\.mp4" is too short for one clip: it has 3 frames \(0\.3 s at 10 fps\)/,
    );
    expect(short.calls.framesAt).toBe(0);
    // Only the first seconds: fits.
    const trimmed = await new Harness(fakeVideo([0], 3600).source).decode({ maxSeconds: 2 });
    expect(trimmed.result?.kind === 'video' && trimmed.result.frames.frames).toBe(20);
  });

  it('says a file is truncated when frames its index lists cannot be decoded', async () => {
    const { source } = fakeVideo(
      [...Array(20).keys()].map((i) => i / 10),
      2,
      { failAfter: 12 },
    );
    const answer = await new Harness(source).decode();
    expect(answer.error).toBe(
      '"clip.mp4" is truncated or corrupt: its index lists 2.0 s of video (20 frames at 10 fps), but only the first 12 could be decoded.',
    );
  });

  it('names empty files and bad options', async () => {
    const harness = new Harness(fakeVideo([0], 10).source);
    expect((await harness.decode({}, 0)).error).toBe(
      '"clip.mp4" is empty (0 bytes): there is nothing to decode.',
    );
    expect((await harness.decode({ width: 2 })).error).toBe(
      'width must be an integer from 4 to 1024 (got 2)',
    );
    expect((await harness.decode({ crop: 'stretch' as never })).error).toMatch(
      /^crop must be "center" or "fit"/,
    );
    expect((await harness.decode({ fps: 0 })).error).toMatch(/^fps must be/);
  });
});

describe('.npy in the data worker', () => {
  const set: FrameSet = {
    data: Uint8Array.from({ length: 4 * 6 * 4 }, (_, i) => i % 251),
    frames: 24,
    width: 2,
    height: 2,
    channels: 1,
    segments: [0, 1, 2, 3].map((i) => ({ name: `s${i}`, start: 6 * i, length: 6 })),
  };

  it('reads a slice from a Blob and writes an array back', async () => {
    const harness = new Harness();
    const file = new Blob([frameSetToNpy(set, 'TNHW') as Uint8Array<ArrayBuffer>]);
    const read = await harness.run({
      type: 'read-npy',
      file,
      options: { name: 'a.npy', offset: 1, count: 3 },
    });
    if (read.result?.kind !== 'npy-frames') throw new Error(read.error);
    expect(read.result.frames.data).toEqual(set.data.subarray(6 * 4));
    expect(read.result.shape).toEqual([6, 4, 2, 2]);
    const written = await harness.run({ type: 'encode-npy', frames: set, layout: 'NTHW' });
    if (written.result?.kind !== 'npy-file') throw new Error(written.error);
    expect(parseNpyHeader(written.result.bytes, 'x').shape).toEqual([4, 6, 2, 2]);
  });

  it('refuses a slice beyond the array, naming the file', async () => {
    const file = new Blob([frameSetToNpy(set, 'TNHW') as Uint8Array<ArrayBuffer>]);
    const answer = await new Harness().run({
      type: 'read-npy',
      file,
      options: { name: 'a.npy', count: 9 },
    });
    expect(answer.error).toMatch(/a\.npy" has 4 sequences/);
  });
});

describe('mediabunny in Node (demuxing without WebCodecs)', () => {
  const open = (name: string) =>
    openWithMediabunny(new Blob([readFileSync(`e2e/fixtures/video/${name}`)]), name);

  it('says clearly when the browser has no WebCodecs', async () => {
    await expect(open('h264.mp4')).rejects.toThrow(
      `"h264.mp4" cannot be decoded: ${NO_WEBCODECS_MESSAGE}`,
    );
  });

  it('tells files that are not videos, have no video track, or are damaged apart', async () => {
    await expect(open('notes.mp4')).rejects.toThrow(/^"notes\.mp4" is not a video file/);
    await expect(open('audio-only.m4a')).rejects.toThrow(
      /^"audio-only\.m4a" has no video track \(only audio\)/,
    );
    await expect(open('corrupt.mp4')).rejects.toThrow(/^"corrupt\.mp4" is corrupt or truncated/);
    await expect(open('mpeg4-part2.mp4')).rejects.toThrow(
      /uses MPEG-4 Part 2 \(Xvid\/DivX\), which this browser cannot decode/,
    );
  });
});
