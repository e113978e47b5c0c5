/**
 * Moving MNIST: MNIST digits bouncing inside a square canvas, from Srivastava, Mansimov &
 * Salakhutdinov, "Unsupervised Learning of Video Representations using LSTMs" (ICML 2015).
 *
 * The default configuration reproduces `BouncingMNISTDataHandler` in mansimov/unsupervised-videos
 * `data_handler.py`: per digit, y then x ~ U[0, 1) over the free range (canvas − digit = 36 px),
 * θ ~ U[0, 2π), velocity (v_y, v_x) = step · (sin θ, cos θ) with step 0.1 of the range; the
 * position is advanced before the first frame is drawn; a coordinate ≤ 0 or ≥ 1 is clamped to the
 * wall and that velocity component negated; positions are scaled by the range and truncated; digits
 * are overlaid with max. Digits are drawn without replacement from a shuffled order that is
 * reshuffled after each pass, as in the reference.
 *
 * Variants: additive compositing clipped to 255 (Tencia Lee's script), other digit sizes, a
 * stochastic bounce that draws a fresh direction pointing away from the wall (after Denton's SVG),
 * and a static textured background (for models that separate a still background from moving
 * foreground, such as Vondrick et al.'s two-stream video GAN): per sequence a smooth random
 * pattern (value noise of three octaves) in [TEXTURE_MIN, TEXTURE_MAX], the same in every frame,
 * with the digits laid over it using their intensity as opacity, out = d + (1 − d/255)·texture.
 *
 * Randomness is seeded and consumed one sequence at a time, so a stream is independent of how it
 * is cut into batches: nextBatch(4) + nextBatch(4) gives the same bytes as nextBatch(8).
 */
import { ConfigError } from '../models/config-schema';
import type { DataRequirements, ValueRange } from '../models/types';
import { describeValue, quote } from '../quote';
import type { MnistImages } from './mnist';
import { checkSeed } from '../seed';
import { SeededRandom, isRandomState } from './random';
import type { RandomState } from './random';
import type {
  Background,
  BounceRule,
  Compositing,
  MovingMnistDataSpec,
  MovingMnistOptions,
  VideoBytes,
} from './types';

export const DEFAULT_DATA_SEED = 42; // Srivastava's reference code seeds its data with 42

/** Srivastava et al.'s configuration. */
export const DEFAULT_MOVING_MNIST: Readonly<MovingMnistOptions> = Object.freeze({
  digits: 2,
  canvasSize: 64,
  digitSize: 28,
  frames: 20,
  speed: 3.6, // step_length 0.1 × the 36-px free range
  compositing: 'max',
  bounce: 'reflect',
  background: 'none',
});

/** Well-known variants beside the paper default. */
export const MOVING_MNIST_PRESETS = {
  srivastava: DEFAULT_MOVING_MNIST,
  // Tencia Lee's moving_mnist.py sums overlapping digits (clipped) at integer speeds of 2–6 px/frame.
  additive: Object.freeze({ ...DEFAULT_MOVING_MNIST, speed: 4, compositing: 'additive' }),
  // Denton & Fergus (SVG) use 32-px digits and may redraw the velocity at a wall.
  stochastic: Object.freeze({ ...DEFAULT_MOVING_MNIST, digitSize: 32, bounce: 'stochastic' }),
} as const satisfies Record<string, Readonly<MovingMnistOptions>>;

const COMPOSITING_RULES: readonly Compositing[] = ['max', 'additive'];
const BOUNCE_RULES: readonly BounceRule[] = ['reflect', 'stochastic'];
const BACKGROUNDS: readonly Background[] = ['none', 'texture'];
/** Range of the background texture's gray levels: darker than the digits' strokes (up to 255). */
export const TEXTURE_MIN = 16;
export const TEXTURE_MAX = 144;
const OPTION_KEYS = Object.keys(DEFAULT_MOVING_MNIST) as (keyof MovingMnistOptions)[];

function checkInteger(key: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `data.${key}`,
      `data.${key} must be an integer between ${min} and ${max} (got ${describeValue(value)})`,
    );
  }
}

function checkChoice(key: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw new ConfigError(
      `data.${key}`,
      `data.${key} must be one of ${choices.join(', ')} (got ${describeValue(value)})`,
    );
  }
}

/** Throws a ConfigError naming the field (`data.<key>`) of the first invalid option. */
export function validateMovingMnistOptions(options: MovingMnistOptions): void {
  checkInteger('digits', options.digits, 1, 16);
  checkInteger('canvasSize', options.canvasSize, 8, 1024);
  checkInteger('digitSize', options.digitSize, 1, 1024);
  if (options.digitSize >= options.canvasSize) {
    throw new ConfigError(
      'data.digitSize',
      `data.digitSize (${options.digitSize}) must be smaller than data.canvasSize (${options.canvasSize}) so digits can move`,
    );
  }
  checkInteger('frames', options.frames, 1, 1000);
  const range = options.canvasSize - options.digitSize;
  if (
    typeof options.speed !== 'number' ||
    !Number.isFinite(options.speed) ||
    options.speed < 0 ||
    options.speed > range
  ) {
    throw new ConfigError(
      'data.speed',
      `data.speed must be between 0 and canvasSize − digitSize = ${range} px/frame (got ${describeValue(options.speed)})`,
    );
  }
  checkChoice('compositing', options.compositing, COMPOSITING_RULES);
  checkChoice('bounce', options.bounce, BOUNCE_RULES);
  checkChoice('background', options.background, BACKGROUNDS);
}

/** Paper defaults overridden by the given fields (undefined = default); unknown keys are errors. */
export function resolveMovingMnistOptions(spec: Partial<MovingMnistOptions>): MovingMnistOptions {
  const options: MovingMnistOptions = { ...DEFAULT_MOVING_MNIST };
  for (const [key, value] of Object.entries(spec)) {
    if (!OPTION_KEYS.includes(key as keyof MovingMnistOptions)) {
      throw new ConfigError(`data.${key}`, `Unknown Moving MNIST option ${quote(key)}`);
    }
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  validateMovingMnistOptions(options);
  return options;
}

/**
 * Digit side when the spec sets none: Srivastava's 28 px on his 64-px canvas, scaled with the
 * canvas (14 px on 32 px), so that digits on small canvases still have room to move.
 */
export function defaultDigitSize(canvasSize: number): number {
  return Math.max(4, Math.round((28 * canvasSize) / 64));
}

/**
 * Moving MNIST options for a model: the model fixes frames and canvas size, the spec the rest
 * (the digit size defaults to `defaultDigitSize` of the canvas).
 */
export function movingMnistOptionsFor(
  spec: MovingMnistDataSpec,
  needs: DataRequirements,
): MovingMnistOptions {
  if (spec.frames !== undefined && spec.frames !== needs.frames) {
    throw new ConfigError(
      'data.frames',
      `data.frames is ${describeValue(spec.frames)}, but the model's config needs ${needs.frames} frames (leave data.frames out: the model sets it)`,
    );
  }
  if (spec.canvasSize !== undefined && spec.canvasSize !== needs.height) {
    throw new ConfigError(
      'data.canvasSize',
      `data.canvasSize is ${describeValue(spec.canvasSize)}, but the model's config needs ${needs.height} px (leave data.canvasSize out: the model sets it)`,
    );
  }
  const { source: _source, seed: _seed, ...options } = spec;
  return resolveMovingMnistOptions({
    digitSize: defaultDigitSize(needs.height),
    ...options,
    frames: needs.frames,
    canvasSize: needs.height,
  });
}

/** Free range of a digit's top-left corner in px; positions live in [0, 1] of it. */
export function movementRange(options: MovingMnistOptions): number {
  return options.canvasSize - options.digitSize;
}

/** One digit's path. Positions are in units of the free range, after each frame's step and bounce. */
export interface Trajectory {
  x: Float64Array; // [T] horizontal position in [0, 1]
  y: Float64Array; // [T] vertical position in [0, 1]
  vx: Float64Array; // [T] velocity after the frame's bounce, range units per frame
  vy: Float64Array; // [T]
}

function allocateTrajectory(frames: number): Trajectory {
  return {
    x: new Float64Array(frames),
    y: new Float64Array(frames),
    vx: new Float64Array(frames),
    vy: new Float64Array(frames),
  };
}

/** Draws one digit's path into `path` (reused by the generator to avoid allocations). */
function fillTrajectory(rng: SeededRandom, step: number, bounce: BounceRule, path: Trajectory) {
  // Same draw order and axis convention as the reference: y, x, θ; v_y = sin θ, v_x = cos θ.
  let y = rng.next();
  let x = rng.next();
  const theta = rng.next() * 2 * Math.PI;
  let vy = Math.sin(theta) * step;
  let vx = Math.cos(theta) * step;
  for (let t = 0; t < path.x.length; t++) {
    // The step comes first: frame 0 already shows the digit one step from its drawn position.
    y += vy;
    x += vx;
    let wallX = 0; // -1 at the left wall, +1 at the right wall
    let wallY = 0; // -1 at the top wall, +1 at the bottom wall
    if (x <= 0) {
      x = 0;
      wallX = -1;
    } else if (x >= 1) {
      x = 1;
      wallX = 1;
    }
    if (y <= 0) {
      y = 0;
      wallY = -1;
    } else if (y >= 1) {
      y = 1;
      wallY = 1;
    }
    if (wallX !== 0 || wallY !== 0) {
      if (bounce === 'reflect') {
        if (wallX !== 0) vx = -vx;
        if (wallY !== 0) vy = -vy;
      } else {
        // A fresh direction at the same speed, folded so that it leaves every wall it touches.
        const fresh = rng.next() * 2 * Math.PI;
        vy = Math.sin(fresh) * step;
        vx = Math.cos(fresh) * step;
        if (wallX !== 0) vx = -wallX * Math.abs(vx);
        if (wallY !== 0) vy = -wallY * Math.abs(vy);
      }
    }
    path.x[t] = x;
    path.y[t] = y;
    path.vx[t] = vx;
    path.vy[t] = vy;
  }
}

/**
 * A digit's path over `frames` frames with `step` in range units per frame (speed / range).
 * Consumes 3 draws from `rng`, plus one per wall contact with the stochastic bounce.
 */
export function trajectory(
  rng: SeededRandom,
  frames: number,
  step: number,
  bounce: BounceRule = 'reflect',
): Trajectory {
  const path = allocateTrajectory(frames);
  fillTrajectory(rng, step, bounce, path);
  return path;
}

/** Per-axis source taps for bilinear resizing with half-pixel centres (as PIL and tf.image). */
interface ResizeAxis {
  low: Int32Array;
  high: Int32Array;
  weight: Float64Array; // of `high`
}

function resizeAxis(from: number, to: number): ResizeAxis {
  const axis = {
    low: new Int32Array(to),
    high: new Int32Array(to),
    weight: new Float64Array(to),
  };
  const scale = from / to;
  for (let i = 0; i < to; i++) {
    const source = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), from - 1);
    const low = Math.floor(source);
    axis.low[i] = low;
    axis.high[i] = Math.min(low + 1, from - 1);
    axis.weight[i] = source - low;
  }
  return axis;
}

function resizeInto(
  pixels: Uint8Array,
  offset: number,
  cols: number,
  rowAxis: ResizeAxis,
  colAxis: ResizeAxis,
  out: Uint8Array,
): void {
  const size = colAxis.low.length;
  for (let r = 0; r < rowAxis.low.length; r++) {
    const top = offset + rowAxis.low[r] * cols;
    const bottom = offset + rowAxis.high[r] * cols;
    const wy = rowAxis.weight[r];
    for (let c = 0; c < size; c++) {
      const left = colAxis.low[c];
      const right = colAxis.high[c];
      const wx = colAxis.weight[c];
      const upper = pixels[top + left] + (pixels[top + right] - pixels[top + left]) * wx;
      const lower = pixels[bottom + left] + (pixels[bottom + right] - pixels[bottom + left]) * wx;
      out[r * size + c] = Math.round(upper + (lower - upper) * wy);
    }
  }
}

/** Bilinear resize of one [rows, cols] image to [size, size]. */
export function resizeBilinear(
  pixels: Uint8Array,
  rows: number,
  cols: number,
  size: number,
): Uint8Array {
  const out = new Uint8Array(size * size);
  resizeInto(pixels, 0, cols, resizeAxis(rows, size), resizeAxis(cols, size), out);
  return out;
}

/** Cell sizes (px) and weights of the texture's octaves: coarse blobs plus finer detail. */
function textureOctaves(size: number): { cell: number; weight: number }[] {
  return [
    { cell: Math.max(2, size / 2), weight: 0.5 },
    { cell: Math.max(2, size / 4), weight: 0.3 },
    { cell: Math.max(2, size / 8), weight: 0.2 },
  ];
}

/**
 * A smooth random gray-level image [size, size] in [TEXTURE_MIN, TEXTURE_MAX]: value noise, i.e.
 * per octave a grid of uniform random values every `cell` px, interpolated with smoothstep.
 * Consumes a fixed number of draws for a given size, so streams stay independent of batching.
 */
export function fillTexture(rng: SeededRandom, size: number, out: Float32Array): void {
  out.fill(0);
  const smooth = (t: number) => t * t * (3 - 2 * t);
  for (const { cell, weight } of textureOctaves(size)) {
    const points = Math.ceil(size / cell) + 1;
    const grid = new Float64Array(points * points);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next();
    for (let y = 0; y < size; y++) {
      const gy = Math.floor(y / cell);
      const ty = smooth((y - gy * cell) / cell);
      for (let x = 0; x < size; x++) {
        const gx = Math.floor(x / cell);
        const tx = smooth((x - gx * cell) / cell);
        const top = grid[gy * points + gx] * (1 - tx) + grid[gy * points + gx + 1] * tx;
        const bottom =
          grid[(gy + 1) * points + gx] * (1 - tx) + grid[(gy + 1) * points + gx + 1] * tx;
        out[y * size + x] += weight * (top * (1 - ty) + bottom * ty);
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = TEXTURE_MIN + (TEXTURE_MAX - TEXTURE_MIN) * out[i];
}

/** Where each digit went, for tests, visualisation and labels. */
export interface MovingMnistLayout {
  digitIndices: Int32Array; // [N, D] index of the image in the digit set
  top: Int16Array; // [N, D, T] top row of the digit's box per frame
  left: Int16Array; // [N, D, T] left column of the digit's box per frame
}

/**
 * Everything that decides the generator's future output beyond its options and digit set: the
 * current digit order and the position in it, and the three random streams (for checkpoints).
 */
export interface MovingMnistGeneratorState {
  order: Uint32Array; // [count] a permutation of the digit indices, reshuffled after each pass
  cursor: number; // digits of `order` already used in this pass
  orderRng: RandomState;
  motionRng: RandomState;
  textureRng: RandomState;
}

export class MovingMnistGenerator {
  readonly options: MovingMnistOptions;
  private readonly step: number;
  private readonly range: number;
  private readonly orderRng: SeededRandom;
  private readonly motionRng: SeededRandom;
  private readonly textureRng: SeededRandom;
  private readonly texture: Float32Array | null;
  private readonly order: Uint32Array;
  private orderCursor = 0;
  private readonly path: Trajectory;
  private readonly resize: { rows: ResizeAxis; cols: ResizeAxis; digit: Uint8Array } | null;

  constructor(
    private readonly digits: MnistImages,
    options: MovingMnistOptions,
    seed: number,
  ) {
    validateMovingMnistOptions(options);
    if (!(digits.count > 0) || digits.pixels.length < digits.count * digits.rows * digits.cols) {
      throw new Error(
        `Moving MNIST needs a non-empty digit set (got ${digits.count} images of ${digits.rows}×${digits.cols})`,
      );
    }
    checkSeed('data.seed', seed);
    this.options = { ...options };
    this.range = movementRange(options);
    this.step = options.speed / this.range;
    // Separate streams: the digit order and the motion do not shift when the other changes.
    const root = new SeededRandom(seed);
    this.orderRng = root.split();
    this.motionRng = root.split();
    this.textureRng = root.split(); // split last: the first two streams are as before
    this.texture =
      options.background === 'texture'
        ? new Float32Array(options.canvasSize * options.canvasSize)
        : null;
    this.order = new Uint32Array(digits.count);
    for (let i = 0; i < digits.count; i++) this.order[i] = i;
    this.orderRng.shuffle(this.order);
    this.path = allocateTrajectory(options.frames);
    const size = options.digitSize;
    this.resize =
      size === digits.rows && size === digits.cols
        ? null
        : {
            rows: resizeAxis(digits.rows, size),
            cols: resizeAxis(digits.cols, size),
            digit: new Uint8Array(size * size),
          };
  }

  /** The next `n` training sequences, [N, T, H, W] uint8. */
  nextBatch(n: number): VideoBytes {
    return this.generate(n, null);
  }

  /** Like `nextBatch`, plus which digit went where. */
  nextBatchWithLayout(n: number): { videos: VideoBytes; layout: MovingMnistLayout } {
    const { digits, frames } = this.options;
    const layout: MovingMnistLayout = {
      digitIndices: new Int32Array(n * digits),
      top: new Int16Array(n * digits * frames),
      left: new Int16Array(n * digits * frames),
    };
    return { videos: this.generate(n, layout), layout };
  }

  /** A copy of the state that, with the same options and digits, determines every later batch. */
  getState(): MovingMnistGeneratorState {
    return {
      order: this.order.slice(),
      cursor: this.orderCursor,
      orderRng: this.orderRng.getState(),
      motionRng: this.motionRng.getState(),
      textureRng: this.textureRng.getState(),
    };
  }

  /** Continues from `getState()`'s output; validates all of it first, so a bad state changes nothing. */
  setState(state: MovingMnistGeneratorState): void {
    const count = this.order.length;
    if (!(state.order instanceof Uint32Array) || state.order.length !== count) {
      throw new RangeError(
        `the data stream's digit order must hold ${count} indices, one per digit image (got ${state.order?.length})`,
      );
    }
    const seen = new Uint8Array(count);
    for (const index of state.order) {
      if (index >= count || seen[index]) {
        throw new RangeError(
          `the data stream's digit order is not a permutation of 0…${count - 1}`,
        );
      }
      seen[index] = 1;
    }
    if (!(Number.isInteger(state.cursor) && state.cursor >= 0 && state.cursor <= count)) {
      throw new RangeError(
        `the data stream's cursor must be an integer in [0, ${count}] (got ${state.cursor})`,
      );
    }
    for (const name of ['orderRng', 'motionRng', 'textureRng'] as const) {
      if (!isRandomState(state[name])) {
        throw new RangeError(`the data stream's ${name} state is not four uint32 words`);
      }
    }
    this.order.set(state.order);
    this.orderCursor = state.cursor;
    this.orderRng.setState(state.orderRng);
    this.motionRng.setState(state.motionRng);
    this.textureRng.setState(state.textureRng);
  }

  /** Without replacement, reshuffled after every pass, like the reference's `indices_`. */
  private nextDigitIndex(): number {
    if (this.orderCursor === this.order.length) {
      this.orderCursor = 0;
      this.orderRng.shuffle(this.order);
    }
    return this.order[this.orderCursor++];
  }

  private generate(n: number, layout: MovingMnistLayout | null): VideoBytes {
    if (!(Number.isInteger(n) && n >= 0)) {
      throw new RangeError(`batch size must be a non-negative integer (got ${n})`);
    }
    const { digits: digitCount, canvasSize, digitSize, frames, compositing } = this.options;
    const { x, y } = this.path;
    const frameArea = canvasSize * canvasSize;
    const data = new Uint8Array(n * frames * frameArea);
    const additive = compositing === 'additive';
    const sourceArea = this.digits.rows * this.digits.cols;

    for (let s = 0; s < n; s++) {
      for (let k = 0; k < digitCount; k++) {
        const digitIndex = this.nextDigitIndex();
        let sprite = this.digits.pixels;
        let spriteOffset = digitIndex * sourceArea;
        if (this.resize) {
          const { rows, cols, digit } = this.resize;
          resizeInto(sprite, spriteOffset, this.digits.cols, rows, cols, digit);
          sprite = digit;
          spriteOffset = 0;
        }
        fillTrajectory(this.motionRng, this.step, this.options.bounce, this.path);
        const slot = s * digitCount + k;
        if (layout) layout.digitIndices[slot] = digitIndex;

        for (let t = 0; t < frames; t++) {
          // Truncation, as the reference's astype(np.int32) of non-negative positions.
          const top = Math.trunc(this.range * y[t]);
          const left = Math.trunc(this.range * x[t]);
          if (layout) {
            layout.top[slot * frames + t] = top;
            layout.left[slot * frames + t] = left;
          }
          let target = (s * frames + t) * frameArea + top * canvasSize + left;
          let source = spriteOffset;
          for (let r = 0; r < digitSize; r++) {
            if (additive) {
              for (let c = 0; c < digitSize; c++) {
                const sum = data[target + c] + sprite[source + c];
                data[target + c] = sum > 255 ? 255 : sum;
              }
            } else {
              for (let c = 0; c < digitSize; c++) {
                const value = sprite[source + c];
                if (value > data[target + c]) data[target + c] = value;
              }
            }
            target += canvasSize;
            source += digitSize;
          }
        }
      }
      if (this.texture) this.layOverTexture(data, s);
    }
    return { data, n, t: frames, height: canvasSize, width: canvasSize };
  }

  /** Puts sequence `s`'s digits over a fresh texture: out = d + (1 − d/255)·texture. */
  private layOverTexture(data: Uint8Array, s: number): void {
    const texture = this.texture as Float32Array;
    const { canvasSize, frames } = this.options;
    fillTexture(this.textureRng, canvasSize, texture);
    const area = canvasSize * canvasSize;
    for (let t = 0; t < frames; t++) {
      const offset = (s * frames + t) * area;
      for (let p = 0; p < area; p++) {
        const d = data[offset + p];
        data[offset + p] = Math.round(d + (1 - d / 255) * texture[p]);
      }
    }
  }
}

/** The fixed held-out set: `n` sequences of test digits from a fixed seed. */
export function makeEvaluationSet(
  testDigits: MnistImages,
  options: MovingMnistOptions,
  n: number,
  seed: number,
): VideoBytes {
  return new MovingMnistGenerator(testDigits, options, seed).nextBatch(n);
}

/** uint8 [N, T, H, W] → float32 [N, T, H, W, 1] (same memory order) in [0, 1] or [-1, 1]. */
export function toFloatFrames(
  bytes: VideoBytes,
  range: ValueRange,
  out: Float32Array = new Float32Array(bytes.data.length),
): Float32Array {
  if (out.length !== bytes.data.length) {
    throw new RangeError(`toFloatFrames: out has ${out.length} values, need ${bytes.data.length}`);
  }
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = range === 'unit' ? v / 255 : v / 127.5 - 1;
  const { data } = bytes;
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]];
  return out;
}

/**
 * Generator throughput in sequences per second, measured over about `seconds` of batches of
 * `batchSize` (for `npm run bench`; tests do not time anything).
 */
export function benchmarkGenerator(
  digits: MnistImages,
  seconds: number,
  options: MovingMnistOptions = DEFAULT_MOVING_MNIST,
  batchSize = 64,
): number {
  const generator = new MovingMnistGenerator(digits, options, 0);
  generator.nextBatch(batchSize); // warm-up: lets the JIT compile the blit loops
  let sequences = 0;
  const start = performance.now();
  for (;;) {
    generator.nextBatch(batchSize);
    sequences += batchSize;
    const elapsed = performance.now() - start;
    if (elapsed >= seconds * 1000) return sequences / (elapsed / 1000);
  }
}
