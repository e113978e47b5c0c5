/**
 * The optical-flow extrapolation baseline (block matching on the last two frames, constant
 * velocity): exact on a translating square, copy-last-frame on a still clip.
 */
import { describe, expect, it } from 'vitest';
import {
  blockMatchFlow,
  extrapolateFlow,
  extrapolateFlowBatch,
} from '../src/core/train/flow-baseline';

const H = 32;
const W = 28;

/** A frame [H·W] with a side×side square whose top-left corner is at (y, x); `texture` gives
 *  each square pixel its value (by its place in the square), the background is `background`. */
function square(
  y: number,
  x: number,
  side: number,
  texture: (i: number, j: number) => number,
  background = 0,
): Float32Array {
  const frame = new Float32Array(H * W).fill(background);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const [r, c] = [y + i, x + j];
      if (r >= 0 && r < H && c >= 0 && c < W) frame[r * W + c] = texture(i, j);
    }
  }
  return frame;
}

/** Seeded values in [0.2, 1) (a textured square: every block is distinct). */
function textured(seed: number): (i: number, j: number) => number {
  return (i, j) => {
    const s = Math.sin((i * 31 + j * 17 + seed) * 12.9898) * 43758.5453;
    return 0.2 + 0.8 * (s - Math.floor(s));
  };
}

const solid = () => 1;

function framesOf(all: Float32Array, steps: number): Float32Array[] {
  return Array.from({ length: steps }, (_, k) => all.slice(k * H * W, (k + 1) * H * W));
}

describe('block matching flow', () => {
  it('finds the displacement of a translating textured square at its pixels and zero elsewhere', () => {
    const texture = textured(3);
    const prev = square(10, 12, 8, texture);
    const last = square(12, 9, 8, texture); // moved 2 down, 3 left
    const flow = blockMatchFlow(prev, last, H, W);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        const p = (12 + i) * W + 9 + j;
        expect([flow.dy[p], flow.dx[p], flow.cost[p]]).toEqual([2, -3, 0]);
      }
    }
    // Far from the square every block is flat: the shortest displacement, none.
    expect([flow.dy[0], flow.dx[0]]).toEqual([0, 0]);
    expect([flow.dy[H * W - 1], flow.dx[H * W - 1]]).toEqual([0, 0]);
  });

  it('rejects bad options and frame sizes by name', () => {
    const frame = new Float32Array(H * W);
    expect(() => blockMatchFlow(frame, frame, H, W, { window: 4 })).toThrow(/window/);
    expect(() => blockMatchFlow(frame, frame, H, W, { radius: -1 })).toThrow(/radius/);
    expect(() => blockMatchFlow(frame.subarray(1), frame, H, W)).toThrow(/prev/);
    expect(() => extrapolateFlow(frame, frame, H, W, 1.5)).toThrow(/steps/);
  });
});

describe('flow extrapolation', () => {
  it.each([
    ['a textured square', textured(7), 8, [2, -3]],
    ['a solid square', solid, 4, [-1, 2]],
    ['a textured square at the search radius', textured(11), 6, [4, 4]],
  ] as const)('predicts %s translating by whole pixels exactly', (_, texture, side, [vy, vx]) => {
    const [y, x] = [8, 10];
    const prev = square(y - vy, x - vx, side, texture);
    const last = square(y, x, side, texture);
    const steps = 3;
    const predicted = framesOf(extrapolateFlow(prev, last, H, W, steps), steps);
    for (let k = 1; k <= steps; k++) {
      expect(predicted[k - 1]).toEqual(square(y + k * vy, x + k * vx, side, texture));
    }
    // The copy-last-frame baseline is wrong on the same clip: the test can fail.
    expect(predicted[0]).not.toEqual(last);
  });

  it('predicts a square over a uniform grey background, uncovering the grey behind it', () => {
    const texture = textured(5);
    const prev = square(14, 6, 6, texture, 0.3);
    const last = square(14, 9, 6, texture, 0.3); // 3 px to the right
    const predicted = framesOf(extrapolateFlow(prev, last, H, W, 2), 2);
    expect(predicted[0]).toEqual(square(14, 12, 6, texture, 0.3));
    expect(predicted[1]).toEqual(square(14, 15, 6, texture, 0.3));
  });

  it('drops what leaves the frame', () => {
    const texture = textured(9);
    const prev = square(10, W - 9, 6, texture);
    const last = square(10, W - 6, 6, texture); // 3 px right, 3 px from the edge
    const [next] = framesOf(extrapolateFlow(prev, last, H, W, 1), 1);
    expect(next).toEqual(square(10, W - 3, 6, texture)); // half the square left the frame
  });

  it('equals copy-last-frame on a still clip', () => {
    const still = Float32Array.from({ length: H * W }, (_, i) => textured(1)(i % 13, i % 7));
    const steps = 4;
    const predicted = framesOf(extrapolateFlow(still, still, H, W, steps), steps);
    for (const frame of predicted) expect(frame).toEqual(still);
    const flat = new Float32Array(H * W).fill(0.5);
    expect(framesOf(extrapolateFlow(flat, flat, H, W, 1), 1)[0]).toEqual(flat);
  });

  it('runs clip by clip over a batch [B, 2, H·W] → [B, K, H·W]', () => {
    const texture = textured(2);
    const clips = [
      [square(5, 5, 6, texture), square(6, 7, 6, texture)],
      [square(12, 12, 5, solid), square(12, 12, 5, solid)],
    ];
    const pairs = new Float32Array(2 * 2 * H * W);
    clips.forEach(([prev, last], b) => {
      pairs.set(prev, 2 * b * H * W);
      pairs.set(last, (2 * b + 1) * H * W);
    });
    const out = extrapolateFlowBatch(pairs, 2, H, W, 2);
    expect(out).toHaveLength(2 * 2 * H * W);
    clips.forEach(([prev, last], b) => {
      expect(out.slice(b * 2 * H * W, (b + 1) * 2 * H * W)).toEqual(
        extrapolateFlow(prev, last, H, W, 2),
      );
    });
    expect(() => extrapolateFlowBatch(pairs.subarray(1), 2, H, W, 2)).toThrow(/pairs/);
  });
});
