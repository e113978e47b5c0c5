/**
 * Direct loops for tfjs CPU kernels that read every element through a TensorBuffer's index
 * arithmetic (optimisations cpu-direct-conv2d-filter-grad and cpu-strided-slice).
 *
 * tfjs-backend-cpu 4.22's Conv2DBackpropFilter calls `TensorBuffer.get` twice per multiply-add:
 * 586 ms for the ConvLSTM tiny preset's gate filter gradient (x [4, 8, 8, 32], dy [4, 8, 8, 64],
 * 3×3), against 8 ms for the loop below, which walks the output positions once and adds each
 * input value times the output gradient's channel row into the filter's row (inner loop over
 * contiguous output channels). Its Slice copies a strided region element by element through the
 * same index arithmetic (2.4 ms for a quarter of the channels of a [4, 8, 8, 64] tensor), and
 * SplitV (every `tf.split`) slices once per part; here each innermost run is one typed-array copy.
 * Calls outside what these loops handle (NCHW data, strings, contiguous slices and splits, which
 * tfjs already returns as views) go to tfjs's kernels.
 *
 * Installed when the module is imported, like cpu-segment-sum.ts, so that tests and tools on
 * `tf.setBackend('cpu')` get them without selecting a backend; switchable like every optimisation.
 */
import * as tf from '@tensorflow/tfjs';
import { setOptimizationEnabled } from '../optimizations';
import type { CpuBackendLike, CpuValues as NumericArray } from './cpu-backend';
import { registerKernelOverride } from './kernel-override';

export const CPU_CONV2D_FILTER_GRAD_OPTIMIZATION = 'cpu-direct-conv2d-filter-grad';
export const CPU_STRIDED_SLICE_OPTIMIZATION = 'cpu-strided-slice';

// --- Conv2DBackpropFilter -----------------------------------------------------------------------

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * dw [kh, kw, C, O] = Σ over b, output y, x of x[b, y·sy + kh − top, x·sx + kw − left, C] ·
 * dy[b, y, x, O], for x [B, H, W, C] and dy [B, OH, OW, O] (NHWC, dilation 1 as in tfjs).
 */
const directFilterGrad =
  (previous: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const attrs = args.attrs as unknown as FilterGradAttrs;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
      return previous(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
    const cpu = args.backend as unknown as CpuBackendLike;
    const xs = cpu.data.get(x.dataId).values as Float32Array;
    const dys = cpu.data.get(dy.dataId).values as Float32Array;
    const dw = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
    for (let b = 0; b < batchSize; b++) {
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          const dyRow = ((b * outHeight + oy) * outWidth + ox) * outChannels;
          for (let kh = 0; kh < filterHeight; kh++) {
            const iy = oy * strideHeight + kh - padInfo.top;
            if (iy < 0 || iy >= inHeight) continue;
            for (let kw = 0; kw < filterWidth; kw++) {
              const ix = ox * strideWidth + kw - padInfo.left;
              if (ix < 0 || ix >= inWidth) continue;
              const xRow = ((b * inHeight + iy) * inWidth + ix) * inChannels;
              const tap = (kh * filterWidth + kw) * inChannels * outChannels;
              for (let c = 0; c < inChannels; c++) {
                const value = xs[xRow + c];
                const wRow = tap + c * outChannels;
                for (let o = 0; o < outChannels; o++) dw[wRow + o] += value * dys[dyRow + o];
              }
            }
          }
        }
      }
    }
    return cpu.makeTensorInfo([...attrs.filterShape], 'float32', dw);
  };

// --- Slice and SplitV ---------------------------------------------------------------------------

/** A copy of x's region [begin, begin + size) of a tensor of `shape`, one run per innermost row. */
function stridedCopy(
  values: NumericArray,
  shape: number[],
  begin: number[],
  size: number[],
): NumericArray {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape); // rank − 1 entries; the last dimension's is 1
  const out = new (values.constructor as new (n: number) => NumericArray)(
    tf.util.sizeFromShape(size),
  );
  const run = size[rank - 1];
  const rows = out.length / Math.max(run, 1);
  const index = new Array<number>(rank - 1).fill(0); // position among the leading dimensions
  for (let row = 0; row < rows; row++) {
    let from = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) from += (begin[d] + index[d]) * strides[d];
    out.set(values.subarray(from, from + run), row * run);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Whether tfjs's own kernel handles the slice as well: a view of contiguous data, or strings. */
function leaveToTfjs(x: tf.TensorInfo, begin: number[], size: number[]): boolean {
  return (
    x.dtype === 'string' ||
    x.dtype === 'complex64' ||
    x.shape.length === 0 ||
    tf.util.sizeFromShape(size) === 0 ||
    tf.slice_util.isSliceContinous(x.shape, begin, size)
  );
}

const directSlice =
  (previous: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
    const [start, extent] = tf.slice_util.parseSliceParams(x, begin, size);
    if (leaveToTfjs(x, start, extent)) return previous(args);
    tf.slice_util.assertParamsValid(x, start, extent);
    const cpu = args.backend as unknown as CpuBackendLike;
    const values = cpu.data.get(x.dataId).values;
    return cpu.makeTensorInfo(extent, x.dtype, stridedCopy(values, x.shape, start, extent));
  };

const directSplit =
  (previous: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const dim = tf.util.parseAxisParam(axis, x.shape)[0];
    const parts = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
    // Every part lies contiguously when the dimensions before the axis are all 1 (a split of a
    // matrix's rows): tfjs returns views of x then, without copying.
    const contiguous = x.shape.slice(0, dim).every((extent) => extent === 1);
    if (contiguous || x.dtype === 'string' || x.dtype === 'complex64') return previous(args);
    const cpu = args.backend as unknown as CpuBackendLike;
    const values = cpu.data.get(x.dataId).values;
    const begin = new Array<number>(x.shape.length).fill(0);
    return parts.map((part) => {
      const size = [...x.shape];
      size[dim] = part;
      const start = [...begin];
      begin[dim] += part;
      const copy =
        part === 0
          ? new (values.constructor as new (n: number) => NumericArray)(0)
          : stridedCopy(values, x.shape, start, size);
      return cpu.makeTensorInfo(size, x.dtype, copy);
    });
  };

registerKernelOverride(
  CPU_CONV2D_FILTER_GRAD_OPTIMIZATION,
  "Conv2DBackpropFilter on the CPU backend as one pass over the output positions with flat indices (tfjs's reads every element through TensorBuffer.get: 70× slower at the ConvLSTM's gate convolution)",
  'cpu',
  { [tf.Conv2DBackpropFilter]: directFilterGrad },
);
registerKernelOverride(
  CPU_STRIDED_SLICE_OPTIMIZATION,
  "Slice and SplitV of non-contiguous regions on the CPU backend as one typed-array copy per innermost row (tfjs's copies element by element through TensorBuffer index arithmetic)",
  'cpu',
  { [tf.Slice]: directSlice, [tf.SplitV]: directSplit },
);
setOptimizationEnabled(CPU_CONV2D_FILTER_GRAD_OPTIMIZATION, true, 'cpu');
setOptimizationEnabled(CPU_STRIDED_SLICE_OPTIMIZATION, true, 'cpu');
