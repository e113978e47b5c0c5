/**
 * The pure parts of imported datasets: clip building and the train / held-out split, resampling
 * (centre crop and fit), gray / RGB conversion, .npy parsing and writing in both layouts, and the
 * validation of `data: { source: 'video', … }` run specs.
 */
import { describe, expect, it } from 'vitest';
import { clipStarts, splitClips, trySplitClips } from '../src/core/data/clips';
import { DataError } from '../src/core/data/data-error';
import {
  FrameResampler,
  convertChannels,
  resampleFrame,
  resizeFrameSet,
  rgbaToChannels,
} from '../src/core/data/frames';
import { MAX_DATASET_BYTES, checkDatasetBytes } from '../src/core/data/limits';
import {
  encodeNpy,
  frameSetFromNpy,
  frameSetToNpy,
  npyHeaderLength,
  parseNpyHeader,
} from '../src/core/data/npy';
import type { FrameSegment, FrameSet } from '../src/core/data/types';
import { ConfigError } from '../src/core/models/config-schema';
import { parseRunSpec } from '../src/protocol/run-spec';

const segments = (...lengths: number[]): FrameSegment[] => {
  let start = 0;
  return lengths.map((length, i) => {
    const segment = { name: `part ${i}`, start, length };
    start += length;
    return segment;
  });
};

/** Every frame index a clip of `length` from each start covers. */
const framesOf = (starts: number[], length: number) =>
  new Set(starts.flatMap((s) => Array.from({ length }, (_, i) => s + i)));

/** A frame set whose frame f, pixel p, channel c holds (f * 7 + p * 3 + c) mod 256. */
function numberedFrames(frames: number, width: number, height: number, channels: 1 | 3): FrameSet {
  const data = new Uint8Array(frames * width * height * channels);
  for (let i = 0; i < data.length; i++) {
    const c = i % channels;
    const p = Math.floor(i / channels) % (width * height);
    const f = Math.floor(i / (channels * width * height));
    data[i] = (f * 7 + p * 3 + c) % 256;
  }
  return { data, frames, width, height, channels, segments: segments(frames) };
}

describe('clips', () => {
  it('starts fixed-length clips every stride frames inside a span', () => {
    expect(clipStarts(10, 10, 4, 3)).toEqual([10, 13, 16]);
    expect(clipStarts(0, 3, 4, 1)).toEqual([]);
  });

  it('splits one file in time: held-out frames are the end of the file and never in a training clip', () => {
    const split = splitClips(segments(100), { length: 10, stride: 2, heldOutFraction: 0.2 }, 'x');
    expect(split.by).toBe('time');
    // Last 20 frames held out (two non-overlapping clips), training clips from the first 80.
    expect(split.heldOut).toEqual([80, 90]);
    expect(split.train[0]).toBe(0);
    expect(split.train.at(-1)).toBe(70);
    expect(split.train).toHaveLength(36);
    const trainFrames = framesOf(split.train, 10);
    for (const frame of framesOf(split.heldOut, 10)) expect(trainFrames.has(frame)).toBe(false);
  });

  it('holds out at least one clip of a short file, and nothing of files shorter than two clips', () => {
    const split = splitClips(
      segments(30, 15),
      { length: 10, stride: 5, heldOutFraction: 0.1 },
      'x',
    );
    // 30 frames: hold max(3, 10) = 10 → train starts 0, 5, 10 in the first 20 frames; held out 20.
    // 15 frames (second file, starting at 30): training only, starts 30 and 35.
    expect(split.heldOut).toEqual([20]);
    expect(split.train).toEqual([0, 5, 10, 30, 35]);
  });

  it('never lets a clip cross a file boundary', () => {
    const parts = segments(23, 17, 41);
    const split = splitClips(parts, { length: 8, stride: 3, heldOutFraction: 0.25 }, 'x');
    for (const start of [...split.train, ...split.heldOut]) {
      const part = parts.find((p) => start >= p.start && start < p.start + p.length);
      expect(part).toBeDefined();
      expect(start + 8).toBeLessThanOrEqual(part!.start + part!.length);
    }
  });

  it('holds out whole sequences when there are enough of them (a .npy array)', () => {
    const split = splitClips(
      segments(...Array(20).fill(20)),
      {
        length: 20,
        stride: 20,
        heldOutFraction: 0.1,
      },
      'x',
    );
    expect(split.by).toBe('segments');
    expect(split.heldOut).toEqual([360, 380]); // the last 2 of 20 sequences
    expect(split.train).toHaveLength(18);
    // Shorter clips than the sequences: several training clips per sequence, held-out ones tile.
    const short = splitClips(
      segments(...Array(10).fill(20)),
      {
        length: 8,
        stride: 4,
        heldOutFraction: 0.1,
      },
      'x',
    );
    expect(short.heldOut).toEqual([180, 188]);
    expect(short.train.slice(0, 4)).toEqual([0, 4, 8, 12]);
    expect(short.train).toHaveLength(9 * 4);
  });

  it('holds out the last sequence when there are few and none is long enough to cut in time', () => {
    const split = splitClips(
      segments(20, 20, 20),
      { length: 20, stride: 20, heldOutFraction: 0.1 },
      'x',
    );
    expect(split).toMatchObject({ by: 'segments', train: [0, 20], heldOut: [40] });
  });

  it('says why a dataset is too short, in frames and seconds', () => {
    expect(trySplitClips(segments(39), { length: 20, stride: 1, heldOutFraction: 0.1 })).toBeNull();
    expect(() =>
      splitClips(segments(5), { length: 20, stride: 20, heldOutFraction: 0.1 }, '"short.mp4"', 10),
    ).toThrow(
      '"short.mp4" is too short for one clip: it has 5 frames (0.5 s at 10 fps), but one training clip and one held-out clip of 20 frames need at least 40 frames (4.0 s at 10 fps).',
    );
    expect(() =>
      splitClips(segments(12, 12, 12), { length: 20, stride: 1, heldOutFraction: 0.1 }, 'x'),
    ).toThrow(DataError);
  });

  it('rejects a stride or held-out fraction out of range, naming it', () => {
    const options = { length: 4, stride: 0, heldOutFraction: 0.1 };
    expect(() => splitClips(segments(100), options, 'x')).toThrow(/clipStride/);
    expect(() =>
      splitClips(segments(100), { ...options, stride: 1, heldOutFraction: 0.9 }, 'x'),
    ).toThrow(/heldOutFraction/);
  });
});

describe('resampling and colour', () => {
  it('averages areas when shrinking', () => {
    // 4×2 gray → 2×1: each output pixel is the mean of a 2×2 block.
    const src = Uint8Array.from([0, 100, 200, 40, 20, 60, 100, 20]);
    expect([...resampleFrame(src, 4, 2, 1, 2, 1, 'center')]).toEqual([45, 90]);
  });

  it('keeps the middle of a wider frame with a centre crop', () => {
    // 6×2: columns 0 and 5 are 255, the middle four 10; centre crop to 2×2 drops the sides.
    const src = new Uint8Array(12).fill(10);
    for (const i of [0, 5, 6, 11]) src[i] = 255;
    expect([...resampleFrame(src, 6, 2, 1, 2, 2, 'center')]).toEqual([10, 10, 10, 10]);
  });

  it('keeps the middle rows of a taller frame with a centre crop, frame after frame', () => {
    // 2×6: rows 2 and 3 are the middle; a reused resampler must read them afresh every frame.
    const resampler = new FrameResampler(2, 6, 2, 2, 1, 'center');
    const out = new Uint8Array(4);
    for (const [top, bottom] of [
      [10, 20],
      [30, 40],
    ]) {
      const src = Uint8Array.from([
        255,
        255,
        255,
        255,
        top,
        top,
        bottom,
        bottom,
        255,
        255,
        255,
        255,
      ]);
      resampler.resample(src, 0, out, 0);
      expect([...out]).toEqual([top, top, bottom, bottom]);
    }
  });

  it('fits a wide frame inside the target with black bars above and below', () => {
    const src = new Uint8Array(8 * 4).fill(200); // 8×4 → 4×4: the image is 4×2 in rows 1–2
    const out = resampleFrame(src, 8, 4, 1, 4, 4, 'fit');
    expect([...out]).toEqual([0, 0, 0, 0, 200, 200, 200, 200, 200, 200, 200, 200, 0, 0, 0, 0]);
  });

  it('interpolates when enlarging, and keeps RGB channels apart', () => {
    const src = Uint8Array.from([0, 10, 250, 100, 20, 50]); // 2×1 RGB
    const out = resampleFrame(src, 2, 1, 3, 4, 1, 'center');
    expect([...out.subarray(0, 3)]).toEqual([0, 10, 250]);
    expect([...out.subarray(9, 12)]).toEqual([100, 20, 50]);
    expect(out[3]).toBe(25); // a quarter of the way from 0 to 100
  });

  it('converts gray to RGB and RGB to BT.601 luma', () => {
    expect([...convertChannels(Uint8Array.from([7, 200]), 1, 3)]).toEqual([7, 7, 7, 200, 200, 200]);
    const rgb = Uint8Array.from([255, 0, 0, 0, 0, 255, 255, 255, 255]);
    expect([...convertChannels(rgb, 3, 1)]).toEqual([76, 29, 255]);
    const gray = new Uint8Array(2);
    rgbaToChannels(Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255]), 1, gray, 0);
    expect([...gray]).toEqual([76, 150]);
  });

  it('resizes a frame set to a model’s size and colour, keeping frames and segments', () => {
    const set = numberedFrames(3, 8, 4, 3);
    const resized = resizeFrameSet(set, 4, 4, 1, 'center');
    expect(resized).toMatchObject({ frames: 3, width: 4, height: 4, channels: 1 });
    expect(resized.segments).toEqual(set.segments);
    expect(resized.data).toHaveLength(3 * 16);
    expect(resizeFrameSet(set, 8, 4, 3, 'center')).toBe(set);
  });
});

describe('.npy', () => {
  const gray = numberedFrames(4 * 3, 5, 2, 1); // 4 sequences of 3 frames
  gray.segments = segments(3, 3, 3, 3);

  it('writes a valid version 1.0 header padded to 64 bytes', () => {
    const file = encodeNpy(new Uint8Array(6), [1, 2, 3]);
    const header = parseNpyHeader(file, 'x');
    expect(header).toMatchObject({ descr: '|u1', fortranOrder: false, shape: [1, 2, 3] });
    expect(header.dataOffset % 64).toBe(0);
    expect(file.length).toBe(header.dataOffset + 6);
    expect(new TextDecoder().decode(file.subarray(10, header.dataOffset)).endsWith('\n')).toBe(
      true,
    );
  });

  it('round-trips [T, N, H, W] like mnist_test_seq.npy, with frame t of sequence n where NumPy puts it', async () => {
    const file = frameSetToNpy(gray, 'TNHW');
    const header = parseNpyHeader(file, 'x');
    expect(header.shape).toEqual([3, 4, 2, 5]); // [T, N, H, W]
    // array[t, n] is frame t of sequence n: sequence 2, frame 1 = set frame 7.
    const frameBytes = 10;
    const at = header.dataOffset + (1 * 4 + 2) * frameBytes;
    expect([...file.subarray(at, at + frameBytes)]).toEqual([
      ...gray.data.subarray(7 * frameBytes, 8 * frameBytes),
    ]);
    const back = await frameSetFromNpy(file, 'TNHW', 'x');
    expect(back.data).toEqual(gray.data);
    expect(back.segments.map((s) => s.length)).toEqual([3, 3, 3, 3]);
    expect(frameSetToNpy(back, 'TNHW')).toEqual(file);
  });

  it('round-trips [N, T, H, W] and RGB [N, T, H, W, 3]', async () => {
    const nthw = frameSetToNpy(gray, 'NTHW');
    expect(parseNpyHeader(nthw, 'x').shape).toEqual([4, 3, 2, 5]);
    expect((await frameSetFromNpy(nthw, 'NTHW', 'x')).data).toEqual(gray.data);
    const rgb = numberedFrames(6, 3, 2, 3);
    rgb.segments = segments(3, 3);
    const file = frameSetToNpy(rgb, 'NTHW');
    expect(parseNpyHeader(file, 'x').shape).toEqual([2, 3, 2, 3, 3]);
    const back = await frameSetFromNpy(file, 'NTHW', 'x');
    expect(back.channels).toBe(3);
    expect(back.data).toEqual(rgb.data);
  });

  it('reads a slice of sequences from either layout', async () => {
    const sliced = await frameSetFromNpy(frameSetToNpy(gray, 'TNHW'), 'TNHW', 'x', {
      offset: 1,
      count: 2,
    });
    expect(sliced.data).toEqual(gray.data.subarray(3 * 10, 9 * 10));
    expect(sliced.segments.map((s) => s.name)).toEqual(['sequence 1', 'sequence 2']);
    const fromNthw = await frameSetFromNpy(frameSetToNpy(gray, 'NTHW'), 'NTHW', 'x', {
      offset: 3,
    });
    expect(fromNthw.data).toEqual(gray.data.subarray(9 * 10));
  });

  it('cuts one long segment into sequences of a chosen length', () => {
    const video = numberedFrames(10, 2, 2, 1);
    const file = frameSetToNpy(video, 'NTHW', 4);
    expect(parseNpyHeader(file, 'x').shape).toEqual([2, 4, 2, 2]);
  });

  it('reads version 2.0 headers', () => {
    const v1 = encodeNpy(new Uint8Array(4), [4]);
    const dict = v1.subarray(10, parseNpyHeader(v1, 'x').dataOffset);
    const v2 = new Uint8Array(12 + dict.length);
    v2.set(v1.subarray(0, 6));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, dict.length, true);
    v2.set(dict, 12);
    expect(npyHeaderLength(v2, 'x')).toBe(12 + dict.length);
    expect(parseNpyHeader(v2, 'x').shape).toEqual([4]);
  });

  it('explains what is wrong with arrays it cannot read', async () => {
    const reject = (file: Uint8Array, layout: 'TNHW' | 'NTHW' = 'TNHW') =>
      frameSetFromNpy(file, layout, '"a.npy"');
    await expect(reject(new TextEncoder().encode('hello'))).rejects.toThrow(
      '"a.npy" is not a .npy file',
    );
    const float = encodeNpy(new Uint8Array(16), [4, 4]);
    const text = new TextDecoder().decode(float.subarray(10, 64)).replace("'|u1'", "'<f4'");
    float.set(new TextEncoder().encode(text), 10);
    await expect(reject(float)).rejects.toThrow(/holds <f4 values; the playground reads uint8/);
    await expect(reject(encodeNpy(new Uint8Array(8), [2, 4]))).rejects.toThrow(
      /has shape \(2, 4\)/,
    );
    const truncated = frameSetToNpy(gray, 'TNHW').subarray(0, 100);
    await expect(reject(truncated)).rejects.toThrow(/"a.npy" is truncated/);
    await expect(
      frameSetFromNpy(frameSetToNpy(gray, 'TNHW'), 'TNHW', '"a.npy"', { count: 9 }),
    ).rejects.toThrow(/count must be an integer from 1 to 4/);
  });
});

describe('dataset size limit', () => {
  it('refuses before allocating, stating the size and the limit', () => {
    const frames = Math.ceil(MAX_DATASET_BYTES / (64 * 64 * 3)) + 1;
    expect(() =>
      checkDatasetBytes('"big.mp4"', frames, 64, 64, 3, 'Lower the frame rate.'),
    ).toThrow(
      /^"big\.mp4" is too large: 43,692 frames of 64×64 RGB are 512 MB decoded, and a dataset may hold at most 512 MB\. Lower the frame rate\.$/,
    );
    expect(() => checkDatasetBytes('x', 100, 64, 64, 3, '')).not.toThrow();
  });
});

describe('video run specs', () => {
  const spec = (data: Record<string, unknown>) => () =>
    parseRunSpec({ model: 'lstm', preset: 'tiny', data });
  const field = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof ConfigError ? error.field : String(error);
    }
    return null;
  };

  it('accepts a dataset id with optional seed, stride and held-out fraction', () => {
    const data = {
      source: 'video',
      datasetId: 'ds-1',
      seed: 3,
      clipStride: 5,
      heldOutFraction: 0.2,
    };
    expect(spec(data)().data).toEqual(data);
  });

  it('names the bad field', () => {
    expect(field(spec({ source: 'video' }))).toBe('data.datasetId');
    expect(field(spec({ source: 'video', datasetId: '' }))).toBe('data.datasetId');
    expect(field(spec({ source: 'video', datasetId: 'a', clipStride: 0 }))).toBe('data.clipStride');
    expect(field(spec({ source: 'video', datasetId: 'a', heldOutFraction: 0.7 }))).toBe(
      'data.heldOutFraction',
    );
    expect(field(spec({ source: 'video', datasetId: 'a', seed: -1 }))).toBe('data.seed');
    expect(field(spec({ source: 'video', datasetId: 'a', digits: 2 }))).toBe('data.digits');
    expect(field(spec({ source: 'webcam' }))).toBe('data.source');
  });
});
