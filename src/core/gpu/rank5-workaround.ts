/**
 * Workaround for silent wrong results on rank ≥5 tensors in @tensorflow/tfjs-backend-webgpu 4.22.
 *
 * The bug: WGSL has no vec5/vec6, so tfjs models rank-5/6 coordinates as structs
 * (`struct vec5 {x, y, z, w, u}`), but several programs still index them as arrays (`coords[4]`,
 * `uniforms.xShape[i]`): the shared-memory path of `BinaryOpProgram` (a rank-1 operand of <128
 * elements against a rank ≥5 one, e.g. `x5d.add(bias)`), `PadProgram` (so the gradient of `slice`),
 * `MirrorPadProgram` and `StridedSliceProgram`. The shader fails to compile ("cannot index type
 * 'vec5'"), tfjs does not check, the whole batched command buffer is dropped and every op in it
 * returns stale data. On rank ≥5, `Select` (so the gradients of clipByValue/leakyRelu), `Reverse`
 * and `Cumsum`/`Cumprod` throw and `Tile` (so `broadcastTo`) falls back to a synchronous GPU read.
 *
 * A second bug of the same kind, found while probing: `TransposeProgram` does not compile for
 * int32/bool buffers of rank ≥3 (it hands an i32 to an f32 setter) — including int32/bool tensors
 * cast to float32, since that cast only relabels the buffer. It silently breaks those transposes
 * and the reductions and scans that transpose internally (`tf.sum(int3d, 0)`, `tf.any(mask3d, 1)`,
 * `tf.cumsum(int3d, 1)`, `tf.sum(tf.cast(mask3d, 'float32'), 0)`).
 *
 * The fix sits in the kernel registry, below every op, gradient and layer: each affected webgpu
 * kernel is re-registered with a wrapper that rewrites the call as an equivalent one on rank ≤4
 * views (reshapes are free: they share the GPU buffer), runs the original kernel and reshapes the
 * result back. Calls the original programs handle correctly pass straight through.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  CumsumAttrs,
  DataType,
  KernelConfig,
  KernelFunc,
  MirrorPadAttrs,
  NamedAttrMap,
  NamedTensorInfoMap,
  PadV2Attrs,
  ReverseAttrs,
  StridedSliceAttrs,
  TensorInfo,
  TileAttrs,
  TransposeAttrs,
} from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

const BACKEND = 'webgpu';
/** The highest rank every webgpu program handles. */
const MAX_RANK = 4;

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i]);
/** complex64 and string tensors are left to tfjs (they never reach the broken programs here). */
const isPlain = (dtype: DataType): boolean => dtype !== 'complex64' && dtype !== 'string';

// ---------------------------------------------------------------------------------------------
// Shape planning (pure, exported for tests)
// ---------------------------------------------------------------------------------------------

export interface BroadcastPlan {
  a: number[];
  b: number[];
  out: number[];
}

/**
 * Collapses a broadcasting binary op to the fewest axes: after right-aligning both shapes, adjacent
 * axes with the same broadcast pattern (which operand is size 1 there) merge into one, and size-1
 * output axes disappear. Returns null when more than `maxRank` axes remain
 * (an alternating pattern such as [2,1,2,1,2] vs [1,2,1,2,1]).
 */
export function collapseBroadcast(
  aShape: readonly number[],
  bShape: readonly number[],
  maxRank = MAX_RANK,
): BroadcastPlan | null {
  const out = tf.backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const a = rightAlign(aShape, out.length);
  const b = rightAlign(bShape, out.length);
  const plan: BroadcastPlan = { a: [], b: [], out: [] };
  let lastPattern = '';
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue; // carries no data
    const pattern = `${a[i] === 1}/${b[i] === 1}`;
    const last = plan.out.length - 1;
    if (pattern === lastPattern) {
      plan.a[last] *= a[i];
      plan.b[last] *= b[i];
      plan.out[last] *= out[i];
    } else {
      plan.a.push(a[i]);
      plan.b.push(b[i]);
      plan.out.push(out[i]);
      lastPattern = pattern;
    }
  }
  if (plan.out.length === 0) return { a: [1], b: [1], out: [1] };
  return plan.out.length <= maxRank ? plan : null;
}

function rightAlign(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** Rank of the view that keeps `axes` apart and merges each run of the other axes into one. */
function viewRank(rank: number, axes: readonly number[]): number {
  let runs = 0;
  for (let i = 0; i < rank; i++) {
    if (!axes.includes(i) && (i === 0 || axes.includes(i - 1))) runs++;
  }
  return axes.length + runs;
}

/**
 * Splits the active axes of a separable per-axis op (pad, tile, reverse, strided slice) into
 * stages, each of which fits a view of rank ≤ `maxRank` (see `stageView`). Greedy, in axis order.
 */
export function planStages(active: readonly boolean[], maxRank = MAX_RANK): number[][] {
  const stages: number[][] = [];
  let current: number[] = [];
  active.forEach((isActive, axis) => {
    if (!isActive) return;
    const candidate = [...current, axis];
    if (current.length > 0 && viewRank(active.length, candidate) > maxRank) {
      stages.push(current);
      current = [axis];
    } else {
      current = candidate;
    }
  });
  if (current.length > 0) stages.push(current);
  return stages;
}

/** The view of `shape` that keeps `axes` and merges each run of other axes; where `axes` went. */
export function stageView(
  shape: readonly number[],
  axes: readonly number[],
): { shape: number[]; positions: number[] } {
  const view: number[] = [];
  const positions: number[] = [];
  shape.forEach((n, axis) => {
    if (axes.includes(axis)) {
      positions.push(view.length);
      view.push(n);
    } else if (axis > 0 && !axes.includes(axis - 1)) {
      view[view.length - 1] *= n; // continues a run of untouched axes
    } else {
      view.push(n);
    }
  });
  return { shape: view, positions };
}

/**
 * Constant padding: an unpadded axis folds into the axis before it, whose padding scales by the
 * folded size ([B,T,H,W,C] padded on T,H,W → [B,T,H,W·C] padded by p·C on the last axis).
 */
export function mergePadAxes(
  shape: readonly number[],
  paddings: ReadonlyArray<readonly [number, number]>,
): { shape: number[]; paddings: Array<[number, number]> } {
  const merged: { shape: number[]; paddings: Array<[number, number]> } = {
    shape: [],
    paddings: [],
  };
  shape.forEach((n, axis) => {
    const [before, after] = paddings[axis];
    const last = merged.shape.length - 1;
    if (before === 0 && after === 0 && last >= 0) {
      merged.shape[last] *= n;
      merged.paddings[last] = [merged.paddings[last][0] * n, merged.paddings[last][1] * n];
    } else {
      merged.shape.push(n);
      merged.paddings.push([before, after]);
    }
  });
  return merged;
}

export interface SliceAxis {
  /** Input size. */
  size: number;
  begin: number;
  stride: number;
  /** Output size. */
  out: number;
}

/** Strided slice: a fully kept axis folds into the axis before it when that one has stride 1. */
export function mergeSliceAxes(axes: readonly SliceAxis[]): SliceAxis[] {
  const merged: SliceAxis[] = [];
  for (const axis of axes) {
    const full = axis.begin === 0 && axis.stride === 1 && axis.out === axis.size;
    const last = merged[merged.length - 1];
    if (full && last !== undefined && last.stride === 1) {
      merged[merged.length - 1] = {
        size: last.size * axis.size,
        begin: last.begin * axis.size,
        stride: 1,
        out: last.out * axis.size,
      };
    } else {
      merged.push({ ...axis });
    }
  }
  return merged;
}

/** Tile: an axis repeated once folds into the axis before it (the whole block repeats). */
export function mergeTileAxes(
  shape: readonly number[],
  reps: readonly number[],
): { shape: number[]; reps: number[] } {
  const merged: { shape: number[]; reps: number[] } = { shape: [], reps: [] };
  shape.forEach((n, axis) => {
    const last = merged.shape.length - 1;
    if (reps[axis] === 1 && last >= 0) {
      merged.shape[last] *= n;
    } else {
      merged.shape.push(n);
      merged.reps.push(reps[axis]);
    }
  });
  return merged;
}

/** Transpose: axes that stay neighbours in the same order merge; size-1 axes are dropped. */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  const groups: number[][] = []; // input axes per output axis, in output order
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] === axis - 1) last.push(axis);
    else groups.push([axis]);
  }
  const byInputOrder = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInputOrder.map((g) => sizeOf(g.map((axis) => shape[axis]))),
    perm: groups.map((g) => byInputOrder.indexOf(g)),
  };
}

// ---------------------------------------------------------------------------------------------
// Kernel plumbing
// ---------------------------------------------------------------------------------------------

/** Kernel configs as they were before `installRank5Workaround`, by kernel name. */
const originals = new Map<string, KernelConfig>();

function originalKernel(name: string): KernelFunc {
  const config = originals.get(name) ?? tf.getKernel(name, BACKEND);
  if (config === undefined) throw new Error(`rank5-workaround: no webgpu kernel ${name}`);
  return config.kernelFunc;
}

/**
 * Tracks the TensorInfos a wrapper creates so that all but the returned one are released with
 * `backend.disposeData` (they never become engine tensors, so tf.tidy cannot see them).
 */
class Scope {
  private readonly temps: TensorInfo[] = [];

  constructor(readonly backend: WebGPUBackend) {}

  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const result = originalKernel(name)({ inputs, backend: this.backend, attrs });
    // Every kernel this module calls returns one tensor.
    const info = Array.isArray(result) ? result[0] : result;
    this.temps.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo {
    return sameShape(x.shape, shape) ? x : this.run(tf.Reshape, { x }, { shape: [...shape] });
  }

  scalar(value: number, dtype: 'float32'): TensorInfo {
    const info = this.backend.makeTensorInfo([], dtype, new Float32Array([value]));
    this.temps.push(info);
    return info;
  }

  /** Returns `x` reshaped to `shape` as the kernel's output and releases everything else. */
  output(x: TensorInfo, shape: readonly number[]): TensorInfo {
    const out =
      this.temps.includes(x) && sameShape(x.shape, shape)
        ? x
        : this.run(tf.Reshape, { x }, { shape: [...shape] });
    this.release(out);
    return out;
  }

  release(keep?: TensorInfo): void {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** A kernel input the kernel's own signature guarantees. */
function input(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`rank5-workaround: missing kernel input '${name}'`);
  return info;
}

function withScope(backend: unknown, body: (s: Scope) => TensorInfo): TensorInfo {
  // Registered for 'webgpu' only, so the engine always hands us the WebGPU backend.
  const s = new Scope(backend as WebGPUBackend);
  try {
    return body(s);
  } catch (error) {
    s.release();
    throw error;
  }
}

/**
 * Applies a separable per-axis op stage by stage on rank ≤4 views. `stage` receives the view, the
 * axes it acts on and their positions in the view, and returns the op's result on that view.
 */
function staged(
  s: Scope,
  x: TensorInfo,
  active: readonly boolean[],
  stage: (view: TensorInfo, axes: number[], positions: number[]) => TensorInfo,
): TensorInfo {
  let current = x;
  for (const axes of planStages(active)) {
    const view = stageView(current.shape, axes);
    const result = stage(s.reshape(current, view.shape), axes, view.positions);
    const shape = [...current.shape];
    axes.forEach((axis, k) => {
      shape[axis] = result.shape[view.positions[k]];
    });
    current = s.reshape(result, shape);
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Building blocks shared by several wrappers
// ---------------------------------------------------------------------------------------------

function tileLowRank(s: Scope, x: TensorInfo, reps: readonly number[]): TensorInfo {
  const merged = mergeTileAxes(x.shape, reps);
  return staged(
    s,
    s.reshape(x, merged.shape),
    merged.reps.map((r) => r !== 1),
    (view, axes, positions) => {
      const viewReps = view.shape.map(() => 1);
      axes.forEach((axis, k) => {
        viewReps[positions[k]] = merged.reps[axis];
      });
      return s.run(tf.Tile, { x: view }, { reps: viewReps });
    },
  );
}

/** Materialises a broadcast (only for the rare alternating patterns `collapseBroadcast` rejects). */
function broadcastTo(s: Scope, x: TensorInfo, shape: readonly number[]): TensorInfo {
  const aligned = s.reshape(x, rightAlign(x.shape, shape.length));
  return tileLowRank(
    s,
    aligned,
    shape.map((n, i) => n / aligned.shape[i]),
  );
}

/**
 * The dtype of the GPU buffer behind `x`. Casting int32/bool to float32 only relabels the tensor
 * (tfjs keeps the i32 buffer), and the buffer's dtype is what tfjs declares in the shader.
 */
function storedDtype(backend: unknown, x: TensorInfo): DataType {
  return (backend as WebGPUBackend).tensorMap.get(x.dataId)?.dtype ?? x.dtype;
}

/** Whether the Transpose program would fail on `x` (bug 2): anything not stored as float32. */
const transposeBreaks = (backend: unknown, x: TensorInfo): boolean =>
  x.shape.length > 2 && isPlain(x.dtype) && storedDtype(backend, x) !== 'float32';

/**
 * Transpose that works for every dtype at every rank. int32/bool data move as an f32 copy: exact up
 * to 2^24, like all int32 arithmetic on tfjs-webgpu (its programs compute in f32).
 */
function transposeAnyDtype(s: Scope, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const outShape = perm.map((axis) => x.shape[axis]);
  const c = collapseTranspose(x.shape, perm);
  const view = s.reshape(x, c.shape);
  let result: TensorInfo;
  if (c.perm.every((axis, i) => axis === i)) {
    result = view;
  } else if (c.perm.length <= 2 || storedDtype(s.backend, view) === 'float32') {
    // Rank 2 uses a separate program that handles every dtype.
    result = s.run(tf.Transpose, { x: view }, { perm: c.perm });
  } else {
    // A real conversion to an f32 buffer: Cast to float32 would only relabel the i32 one.
    const asFloat = s.run(tf.Multiply, { a: view, b: s.scalar(1, 'float32') });
    const moved = s.run(tf.Transpose, { x: asFloat }, { perm: c.perm });
    result = x.dtype === 'float32' ? moved : s.run(tf.Cast, { x: moved }, { dtype: x.dtype });
  }
  return s.reshape(result, outShape);
}

// ---------------------------------------------------------------------------------------------
// Wrappers
// ---------------------------------------------------------------------------------------------

type Wrapper = (original: KernelFunc, name: string) => KernelFunc;

/** Every broadcasting binary kernel tfjs-backend-webgpu builds on `BinaryOpProgram`. */
const BINARY_INPUTS: Record<string, readonly [string, string]> = {
  [tf.Add]: ['a', 'b'],
  [tf.Sub]: ['a', 'b'],
  [tf.Multiply]: ['a', 'b'],
  [tf.RealDiv]: ['a', 'b'],
  [tf.FloorDiv]: ['a', 'b'],
  [tf.Mod]: ['a', 'b'],
  [tf.Pow]: ['a', 'b'],
  [tf.Maximum]: ['a', 'b'],
  [tf.Minimum]: ['a', 'b'],
  [tf.SquaredDifference]: ['a', 'b'],
  [tf.Atan2]: ['a', 'b'],
  [tf.Equal]: ['a', 'b'],
  [tf.NotEqual]: ['a', 'b'],
  [tf.Greater]: ['a', 'b'],
  [tf.GreaterEqual]: ['a', 'b'],
  [tf.Less]: ['a', 'b'],
  [tf.LessEqual]: ['a', 'b'],
  [tf.LogicalAnd]: ['a', 'b'],
  [tf.LogicalOr]: ['a', 'b'],
  [tf.Prelu]: ['x', 'alpha'],
  [tf.EluGrad]: ['dy', 'y'],
};

const binary: Wrapper = (original, name) => (args) => {
  const [nameA, nameB] = BINARY_INPUTS[name];
  const a = input(args.inputs, nameA);
  const b = input(args.inputs, nameB);
  if (
    Math.max(a.shape.length, b.shape.length) <= MAX_RANK ||
    !isPlain(a.dtype) ||
    !isPlain(b.dtype)
  ) {
    return original(args);
  }
  return withScope(args.backend, (s) => {
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    let plan = collapseBroadcast(a.shape, b.shape);
    let [aIn, bIn] = [a, b];
    if (plan === null) {
      aIn = broadcastTo(s, a, outShape);
      bIn = broadcastTo(s, b, outShape);
      const n = sizeOf(outShape);
      plan = { a: [n], b: [n], out: [n] };
    }
    const inputs = { [nameA]: s.reshape(aIn, plan.a), [nameB]: s.reshape(bIn, plan.b) };
    return s.output(s.run(name, inputs, args.attrs), outShape);
  });
};

const padV2: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (x.shape.length <= MAX_RANK || sizeOf(x.shape) === 0) return original(args);
  const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
  return withScope(args.backend, (s) => {
    const outShape = x.shape.map((n, i) => paddings[i][0] + n + paddings[i][1]);
    const merged = mergePadAxes(x.shape, paddings);
    const y = staged(
      s,
      s.reshape(x, merged.shape),
      merged.paddings.map(([before, after]) => before !== 0 || after !== 0),
      (view, axes, positions) => {
        const viewPaddings = view.shape.map((): [number, number] => [0, 0]);
        axes.forEach((axis, k) => {
          viewPaddings[positions[k]] = merged.paddings[axis];
        });
        return s.run(tf.PadV2, { x: view }, { paddings: viewPaddings, constantValue });
      },
    );
    return s.output(y, outShape);
  });
};

/** Mirror padding is separable per axis but, unlike constant padding, cannot fold axes together. */
const mirrorPad: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (x.shape.length <= MAX_RANK) return original(args);
  const { paddings, mode } = args.attrs as unknown as MirrorPadAttrs;
  return withScope(args.backend, (s) => {
    const outShape = x.shape.map((n, i) => paddings[i][0] + n + paddings[i][1]);
    const y = staged(
      s,
      x,
      paddings.map(([before, after]) => before !== 0 || after !== 0),
      (view, axes, positions) => {
        const viewPaddings = view.shape.map((): [number, number] => [0, 0]);
        axes.forEach((axis, k) => {
          viewPaddings[positions[k]] = paddings[axis];
        });
        return s.run(tf.MirrorPad, { x: view }, { paddings: viewPaddings, mode });
      },
    );
    return s.output(y, outShape);
  });
};

const stridedSlice: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (x.shape.length <= MAX_RANK) return original(args);
  const a = args.attrs as unknown as StridedSliceAttrs;
  const info = tf.slice_util.sliceInfo(
    x.shape,
    a.begin,
    a.end,
    a.strides,
    a.beginMask,
    a.endMask,
    a.ellipsisMask,
    a.newAxisMask,
    a.shrinkAxisMask,
  );
  // These paths reshape or use the Slice program, which handles rank 5/6; empty outputs never
  // compile a shader.
  if (info.isIdentity || info.sliceDim0 || info.isSimpleSlice || sizeOf(info.finalShape) === 0) {
    return original(args);
  }
  return withScope(args.backend, (s) => {
    const outSizes = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
    const axes = mergeSliceAxes(
      x.shape.map((size, i) => ({
        size,
        begin: info.begin[i],
        stride: info.strides[i],
        out: outSizes[i],
      })),
    );
    const y = staged(
      s,
      s.reshape(
        x,
        axes.map((axis) => axis.size),
      ),
      axes.map((axis) => !(axis.begin === 0 && axis.stride === 1 && axis.out === axis.size)),
      (view, stageAxes, positions) => {
        const begin = view.shape.map(() => 0);
        const end = [...view.shape];
        const strides = view.shape.map(() => 1);
        let endMask = 0;
        stageAxes.forEach((axis, k) => {
          const { begin: b, stride, out } = axes[axis];
          const p = positions[k];
          begin[p] = b;
          strides[p] = stride;
          // One past the last element taken; -1 (before index 0) can only be said with the mask.
          end[p] = b + (out - 1) * stride + Math.sign(stride);
          if (end[p] < 0) endMask |= 1 << p;
        });
        return s.run(
          tf.StridedSlice,
          { x: view },
          {
            begin,
            end,
            strides,
            beginMask: 0,
            endMask,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
      },
    );
    return s.output(y, info.finalShape);
  });
};

/** Rank ≥5 Tile would read the tensor back synchronously and tile it on the CPU. */
const tile: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (x.shape.length <= MAX_RANK || !isPlain(x.dtype)) return original(args);
  const { reps } = args.attrs as unknown as TileAttrs;
  return withScope(args.backend, (s) =>
    s.output(
      tileLowRank(s, x, reps),
      x.shape.map((n, i) => n * reps[i]),
    ),
  );
};

const reverse: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (x.shape.length <= MAX_RANK) return original(args);
  const { dims } = args.attrs as unknown as ReverseAttrs;
  const reversed = tf.util.parseAxisParam(dims, x.shape);
  return withScope(args.backend, (s) => {
    // Neighbouring axes that are both reversed (or both kept) merge into one.
    const shape: number[] = [];
    const flags: boolean[] = [];
    x.shape.forEach((n, axis) => {
      const flag = reversed.includes(axis);
      if (flags.length > 0 && flags[flags.length - 1] === flag) shape[shape.length - 1] *= n;
      else {
        shape.push(n);
        flags.push(flag);
      }
    });
    const y = staged(s, s.reshape(x, shape), flags, (view, _axes, positions) =>
      s.run(tf.Reverse, { x: view }, { dims: positions }),
    );
    return s.output(y, x.shape);
  });
};

/** Where: the condition is either t's shape (flatten everything) or rank 1 (one per row). */
const select: Wrapper = (original) => (args) => {
  const condition = input(args.inputs, 'condition');
  const t = input(args.inputs, 't');
  const e = input(args.inputs, 'e');
  if (t.shape.length <= MAX_RANK) return original(args);
  return withScope(args.backend, (s) => {
    const n = sizeOf(t.shape);
    const rows = condition.shape.length === t.shape.length ? n : condition.shape[0];
    const view = rows === n ? [n] : [rows, n / rows];
    const result = s.run(tf.Select, {
      condition: s.reshape(condition, rows === n ? [n] : [rows]),
      t: s.reshape(t, view),
      e: s.reshape(e, view),
    });
    return s.output(result, t.shape);
  });
};

/** Cumsum/Cumprod: rank ≥5 throws, and int/bool scans off the last axis transpose (bug 2). */
const cumulative: Wrapper = (original, name) => (args) => {
  const x = input(args.inputs, 'x');
  const { axis, exclusive, reverse: rev } = args.attrs as unknown as CumsumAttrs;
  const rank = x.shape.length;
  const last = axis === rank - 1 || axis === -1;
  if (rank <= MAX_RANK && (last || !transposeBreaks(args.backend, x))) return original(args);
  return withScope(args.backend, (s) => {
    const ax = axis < 0 ? axis + rank : axis;
    const before = sizeOf(x.shape.slice(0, ax));
    const n = x.shape[ax];
    const after = sizeOf(x.shape.slice(ax + 1));
    const attrs = { axis: 1, exclusive, reverse: rev };
    let y: TensorInfo;
    if (after === 1) {
      y = s.run(name, { x: s.reshape(x, [before, n]) }, attrs);
    } else if (!transposeBreaks(s.backend, x)) {
      y = s.run(name, { x: s.reshape(x, [before, n, after]) }, attrs);
    } else {
      const moved = transposeAnyDtype(s, s.reshape(x, [before, n, after]), [0, 2, 1]);
      const scanned = s.run(name, { x: s.reshape(moved, [before * after, n]) }, attrs);
      y = transposeAnyDtype(s, s.reshape(scanned, [before, after, n]), [0, 2, 1]);
    }
    return s.output(y, x.shape);
  });
};

const transpose: Wrapper = (original) => (args) => {
  const x = input(args.inputs, 'x');
  if (!transposeBreaks(args.backend, x)) return original(args);
  const { perm } = args.attrs as unknown as TransposeAttrs;
  return withScope(args.backend, (s) => {
    const y = transposeAnyDtype(s, x, perm);
    return s.output(
      y,
      perm.map((axis) => x.shape[axis]),
    );
  });
};

/** The attribute that holds the reduced axes, per reduction kernel. */
const REDUCE_AXIS_ATTR: Record<string, string> = {
  [tf.Sum]: 'axis',
  [tf.Prod]: 'axis',
  [tf.Mean]: 'axis',
  [tf.Max]: 'reductionIndices',
  [tf.Min]: 'axis',
  [tf.Any]: 'axis',
  [tf.All]: 'axis',
  [tf.ArgMax]: 'axis',
  [tf.ArgMin]: 'axis',
};

/** int/bool reductions over outer axes transpose internally (bug 2): move those axes in first. */
const reduction: Wrapper = (original, name) => (args) => {
  const x = input(args.inputs, 'x');
  const rank = x.shape.length;
  if (!transposeBreaks(args.backend, x)) return original(args);
  const axisAttr = REDUCE_AXIS_ATTR[name];
  // Attribute values are untyped in the registry; these are number | number[] for every kernel.
  const axes = tf.util.parseAxisParam(args.attrs?.[axisAttr] as number | number[], x.shape);
  const perm = tf.backend_util.getAxesPermutation(axes, rank);
  if (perm === null) return original(args);
  const keepDims = args.attrs?.keepDims === true;
  return withScope(args.backend, (s) => {
    const inner = tf.backend_util.getInnerMostAxes(axes.length, rank);
    const moved = transposeAnyDtype(s, x, perm);
    const reduced = s.run(name, { x: moved }, { ...args.attrs, [axisAttr]: inner });
    const outShape = keepDims
      ? x.shape.map((n, i) => (axes.includes(i) ? 1 : n))
      : x.shape.filter((_, i) => !axes.includes(i));
    return s.output(reduced, outShape);
  });
};

const WRAPPERS: Record<string, Wrapper> = {
  ...Object.fromEntries(Object.keys(BINARY_INPUTS).map((name) => [name, binary])),
  ...Object.fromEntries(Object.keys(REDUCE_AXIS_ATTR).map((name) => [name, reduction])),
  [tf.PadV2]: padV2,
  [tf.MirrorPad]: mirrorPad,
  [tf.StridedSlice]: stridedSlice,
  [tf.Tile]: tile,
  [tf.Reverse]: reverse,
  [tf.Select]: select,
  [tf.Cumsum]: cumulative,
  [tf.Cumprod]: cumulative,
  [tf.Transpose]: transpose,
};

/**
 * Re-registers the affected webgpu kernels with rank-reducing wrappers. Idempotent; call it after
 * '@tensorflow/tfjs-backend-webgpu' is imported (its kernels must be registered). Returns the names
 * of the wrapped kernels.
 */
export function installRank5Workaround(): string[] {
  if (originals.size === 0) {
    for (const [name, wrap] of Object.entries(WRAPPERS)) {
      const config = tf.getKernel(name, BACKEND);
      if (config === undefined) continue; // not implemented on webgpu: nothing to fix
      originals.set(name, config);
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel({ ...config, kernelFunc: wrap(config.kernelFunc, name) });
    }
  }
  return [...originals.keys()];
}

/** Restores the original kernels (for the regression test that shows the bug is still there). */
export function uninstallRank5Workaround(): void {
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(config);
  }
  originals.clear();
}

export function isRank5WorkaroundInstalled(): boolean {
  return originals.size > 0;
}
