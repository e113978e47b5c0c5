/**
 * Optical-flow extrapolation: the baseline Ranzato et al. (arXiv:1412.6604, §4) set beside their
 * model — estimate the motion between the last two given frames by block matching and carry it on
 * at constant velocity. It sits beside the copy-last-frame and linear-interpolation baselines in
 * the LSTM's and the rCNN's evaluation. Plain TypeScript on the CPU (no tfjs): a few CPU passes
 * per clip, run during evaluation only.
 *
 * 1. Flow (dense, integer): for every pixel p of the last frame, the displacement d with
 *    |dy|, |dx| ≤ radius that minimises the sum of absolute differences between the window ×
 *    window block of the last frame around p and the block of the previous frame around p − d
 *    (both frames extended by repeating their edge pixels). Ties go to the shortest displacement, so flat regions
 *    (and a still clip) get zero motion.
 * 2. Extrapolation k frames on: every pixel of the last frame is moved to p + k·d (forward
 *    warping; pixels leaving the frame are dropped). Where two land on one pixel, a moving pixel
 *    hides a still one (objects move over the background), then the better match wins.
 * 3. Holes — pixels nothing landed on, uncovered where a moving object was — take the value
 *    reached by walking back against that object's motion to the first pixel that is not a hole
 *    (the background it left behind); the last frame's pixel if the walk leaves the frame.
 *
 * A still clip is therefore predicted as copy-last-frame, and a pattern translating by whole
 * pixels within the search radius over a flat background is predicted exactly.
 *
 * Shapes: frames are row-major H·W Float32Arrays (one channel); batches [B, 2, H·W] → [B, K, H·W].
 */

export interface BlockMatchOptions {
  /** Largest displacement searched per axis, in pixels per frame (default 4: Moving MNIST's
   *  3.6 px a frame). */
  radius?: number;
  /** Side of the matched block, odd (default 5). */
  window?: number;
}

export interface DenseFlow {
  dy: Int32Array; // [H·W] rows moved from the previous frame to the last one
  dx: Int32Array; // [H·W] columns moved
  cost: Float64Array; // [H·W] the block's sum of absolute differences at that displacement
}

const DEFAULT_RADIUS = 4;
const DEFAULT_WINDOW = 5;
/** Differences are counted in steps of 1 / STEPS (2⁻²⁴). */
const STEPS = 2 ** 24;

function checkedOptions(options: BlockMatchOptions): { radius: number; half: number } {
  const radius = options.radius ?? DEFAULT_RADIUS;
  const window = options.window ?? DEFAULT_WINDOW;
  if (!Number.isInteger(radius) || radius < 0) {
    throw new RangeError(`radius must be a whole number ≥ 0, got ${radius}`);
  }
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
    throw new RangeError(`window must be an odd whole number ≥ 1, got ${window}`);
  }
  return { radius, half: (window - 1) / 2 };
}

function checkFrame(frame: Float32Array, height: number, width: number, name: string): void {
  if (frame.length !== height * width) {
    throw new RangeError(`${name} has ${frame.length} pixels, expected ${height}×${width}`);
  }
}

/** Displacements (dy, dx) in the search square, shortest first (ties: row-major order). */
function displacements(radius: number): [number, number][] {
  const all: [number, number][] = [];
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) all.push([dy, dx]);
  }
  return all.sort((a, b) => a[0] ** 2 + a[1] ** 2 - (b[0] ** 2 + b[1] ** 2));
}

/** `frame` [H·W] extended by `pad` pixels on every side, repeating its edge pixels. */
function padded(frame: Float32Array, height: number, width: number, pad: number): Float64Array {
  const side = width + 2 * pad;
  const out = new Float64Array((height + 2 * pad) * side);
  for (let y = 0; y < height + 2 * pad; y++) {
    const row = Math.min(height - 1, Math.max(0, y - pad)) * width;
    for (let x = 0; x < side; x++) {
      out[y * side + x] = frame[row + Math.min(width - 1, Math.max(0, x - pad))];
    }
  }
  return out;
}

/**
 * Dense integer motion of `last` relative to `prev` (both [H·W]) by block matching; both frames
 * are extended beyond their border by repeating their edge pixels. Differences are counted in
 * steps of 2⁻²⁴ (a float32's precision at 1), so the window sums are exact integers: equal
 * blocks cost exactly 0 and ties are exact.
 */
export function blockMatchFlow(
  prev: Float32Array,
  last: Float32Array,
  height: number,
  width: number,
  options: BlockMatchOptions = {},
): DenseFlow {
  checkFrame(prev, height, width, 'prev');
  checkFrame(last, height, width, 'last');
  const { radius, half } = checkedOptions(options);
  const pixels = height * width;
  const dy = new Int32Array(pixels);
  const dx = new Int32Array(pixels);
  const best = new Float64Array(pixels).fill(Infinity); // in steps of 2⁻²⁴
  const span = 2 * half + 1;
  const side = width + 2 * half; // the difference image covers the frame and the window's reach
  const lastPadded = padded(last, height, width, half);
  const prevSide = width + 2 * (half + radius);
  const prevPadded = padded(prev, height, width, half + radius);
  const difference = new Float64Array((height + 2 * half) * side);
  const rowSums = new Float64Array((height + 2 * half) * width); // over a window's row
  const columnSums = new Float64Array(width); // of rowSums over a window's rows
  for (const [sy, sx] of displacements(radius)) {
    for (let y = 0; y < height + 2 * half; y++) {
      const from = (y + radius - sy) * prevSide + radius - sx;
      for (let x = 0; x < side; x++) {
        difference[y * side + x] = Math.round(
          Math.abs(lastPadded[y * side + x] - prevPadded[from + x]) * STEPS,
        );
      }
    }
    for (let y = 0; y < height + 2 * half; y++) {
      let sum = 0;
      for (let x = 0; x < span - 1; x++) sum += difference[y * side + x];
      for (let x = 0; x < width; x++) {
        sum += difference[y * side + x + span - 1];
        rowSums[y * width + x] = sum;
        sum -= difference[y * side + x];
      }
    }
    columnSums.fill(0);
    for (let y = 0; y < span - 1; y++) {
      for (let x = 0; x < width; x++) columnSums[x] += rowSums[y * width + x];
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sum = columnSums[x] + rowSums[(y + span - 1) * width + x];
        const p = y * width + x;
        if (sum < best[p]) {
          best[p] = sum;
          dy[p] = sy;
          dx[p] = sx;
        }
        columnSums[x] = sum - rowSums[y * width + x];
      }
    }
  }
  return { dy, dx, cost: best.map((c) => c / STEPS) };
}

/**
 * The frames `steps` frames on from `last` ([steps, H·W], frame k = 1 … steps at index k − 1),
 * moving every pixel at the flow block matching finds between `prev` and `last`.
 */
export function extrapolateFlow(
  prev: Float32Array,
  last: Float32Array,
  height: number,
  width: number,
  steps: number,
  options: BlockMatchOptions = {},
): Float32Array {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`steps must be a whole number ≥ 0, got ${steps}`);
  }
  const flow = blockMatchFlow(prev, last, height, width, options);
  const pixels = height * width;
  const out = new Float32Array(steps * pixels);
  const source = new Int32Array(pixels); // which pixel of `last` landed here; −1: a hole
  for (let k = 1; k <= steps; k++) {
    source.fill(-1);
    for (let p = 0; p < pixels; p++) {
      const y = Math.floor(p / width) + k * flow.dy[p];
      const x = (p % width) + k * flow.dx[p];
      if (y < 0 || y >= height || x < 0 || x >= width) continue;
      const q = y * width + x;
      if (source[q] < 0 || hides(flow, p, source[q])) source[q] = p;
    }
    const frame = out.subarray((k - 1) * pixels, k * pixels);
    for (let q = 0; q < pixels; q++) if (source[q] >= 0) frame[q] = last[source[q]];
    for (let q = 0; q < pixels; q++) {
      if (source[q] < 0) frame[q] = behind(q, flow, source, frame, last, height, width);
    }
  }
  return out;
}

/** Whether pixel p of the last frame, moved, hides pixel r moved onto the same place. */
function hides(flow: DenseFlow, p: number, r: number): boolean {
  const moving = (i: number) => flow.dy[i] !== 0 || flow.dx[i] !== 0;
  if (moving(p) !== moving(r)) return moving(p);
  return flow.cost[p] < flow.cost[r];
}

/**
 * A hole's value: the first landed pixel on the way back against the motion of the object that
 * uncovered it (the pixel of the last frame at q moved away); the last frame's value at q when
 * the walk leaves the frame. Landed pixels only, so the walk never reads another hole.
 */
function behind(
  q: number,
  flow: DenseFlow,
  source: Int32Array,
  frame: Float32Array,
  last: Float32Array,
  height: number,
  width: number,
): number {
  const [my, mx] = [flow.dy[q], flow.dx[q]];
  const length = Math.max(Math.abs(my), Math.abs(mx));
  if (length === 0) return last[q]; // unreachable: a still pixel lands on itself
  const [y0, x0] = [Math.floor(q / width), q % width];
  for (let j = 1; ; j++) {
    const y = y0 - Math.round((j * my) / length);
    const x = x0 - Math.round((j * mx) / length);
    if (y < 0 || y >= height || x < 0 || x >= width) return last[q];
    const r = y * width + x;
    if (source[r] >= 0) return frame[r];
  }
}

/**
 * Flow extrapolation for a batch: the last two given frames of each clip, [B, 2, H·W], to the
 * next `steps` frames of each, [B, steps, H·W].
 */
export function extrapolateFlowBatch(
  pairs: Float32Array,
  batch: number,
  height: number,
  width: number,
  steps: number,
  options: BlockMatchOptions = {},
): Float32Array {
  const pixels = height * width;
  if (pairs.length !== batch * 2 * pixels) {
    throw new RangeError(
      `pairs has ${pairs.length} values, expected ${batch}×2×${height}×${width}`,
    );
  }
  const out = new Float32Array(batch * steps * pixels);
  for (let b = 0; b < batch; b++) {
    const prev = pairs.subarray(2 * b * pixels, (2 * b + 1) * pixels);
    const last = pairs.subarray((2 * b + 1) * pixels, (2 * b + 2) * pixels);
    out.set(extrapolateFlow(prev, last, height, width, steps, options), b * steps * pixels);
  }
  return out;
}
