/**
 * The patch dictionary of the video language model: k-means centroids of std-normalised gray
 * patches, built from the training stream before training, and the two maps it defines —
 * frames → a 2D array of centroid indices per frame (quantize) and codes → frames (decode).
 *
 * Besides the dictionary the model uses (K centroids), `buildDictionaries` fits the smaller sizes
 * of the PSNR curve (K/4, K/16, …) on the same patches, and scores each on frames it did not fit:
 * the quantization error side of the paper's trade-off ("the fewer the number of centroids, the
 * easier it will be to predict the codes").
 *
 * Shapes: M frames, H = W frame side, G grid side, D = P² values per patch, K centroids.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../../data/batch-source';
import type { PrepareProgress } from '../types';
import { psnrPerImage } from '../../train/video-metrics';
import type { RcnnConfig, StdScope } from './config';
import { sweepDictionarySizes } from './config';
import { assignToCentroids, fitKmeans } from './kmeans';
import type { KmeansProgress } from './kmeans';
import { divideByStd, frameStds, restoreScale } from './patches';
import type { PatchCodec } from './patches';

/** One point of the PSNR-vs-size curve. */
export interface SweepPoint {
  size: number; // K
  psnr: number; // dB, held-out frames quantized and decoded, in pixel space [0, 1]
  meanDistance: number; // mean squared distance of the fitting patches (normalised units)
}

/** Frames as codes: centroid indices [M, G, G] int32 and the std each frame was divided by [M]. */
export interface EncodedFrames {
  codes: tf.Tensor3D;
  std: tf.Tensor1D;
}

export class PatchDictionary {
  readonly size: number;
  private readonly norms: tf.Tensor1D; // [K] squared norms of the centroids

  /** Takes ownership of `centroids` [K, D]; `counts` [K] are the fitting patches per centroid. */
  constructor(
    readonly codec: PatchCodec,
    readonly centroids: tf.Tensor2D,
    readonly counts: Float32Array,
    readonly stdScope: StdScope,
    /** Mean squared distance per k-means update (convergence curve). */
    readonly history: number[] = [],
  ) {
    this.size = centroids.shape[0];
    this.norms = tf.tidy(() => centroids.square().sum(1) as tf.Tensor1D);
  }

  /** Frames [M, H, W, 1] of clips of `clipFrames` frames (clip-major) → codes and stds. */
  encode(frames: tf.Tensor4D, clipFrames: number): EncodedFrames {
    return tf.tidy(() => {
      const std = frameStds(frames, clipFrames, this.stdScope); // [M]
      const patches = this.codec.extract(divideByStd(frames, std)); // [M, G, G, D]
      const [m, g, , d] = patches.shape;
      const index = assignToCentroids(patches.reshape([m * g * g, d]), this.centroids, this.norms);
      return { codes: index.reshape([m, g, g]) as tf.Tensor3D, std };
    });
  }

  /** Codes [M, G, G] → frames [M, H, W, 1] in normalised units (overlaps averaged). */
  decodeNormalised(codes: tf.Tensor3D): tf.Tensor4D {
    return tf.tidy(() => {
      const [m, g] = codes.shape;
      const patches = tf.gather(this.centroids, codes.reshape([-1])); // [M·G·G, D]
      return this.codec.assemble(patches.reshape([m, g, g, this.codec.geometry.dims]));
    });
  }

  /** Codes [M, G, G] and stds [M] → frames [M, H, W, 1] in [0, 1]. */
  decode(codes: tf.Tensor3D, std: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => restoreScale(this.decodeNormalised(codes), std));
  }

  /** Frames [M, H, W, 1] → their quantized reconstruction [M, H, W, 1] in [0, 1]. */
  quantize(frames: tf.Tensor4D, clipFrames: number): tf.Tensor4D {
    return tf.tidy(() => {
      const { codes, std } = this.encode(frames, clipFrames);
      return this.decode(codes, std);
    });
  }

  dispose(): void {
    this.centroids.dispose();
    this.norms.dispose();
  }
}

/** What `buildDictionaries` returns: the model's dictionary first, then the smaller ones. */
export interface DictionarySet {
  dictionaries: PatchDictionary[];
  sweep: SweepPoint[];
}

/** Frames [B, T, H, W, 1] → std-normalised patches [B·T·G·G, D]. */
function patchRows(codec: PatchCodec, videos: tf.Tensor5D, scope: StdScope): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, t, h, w] = videos.shape;
    const frames = videos.reshape([b * t, h, w, 1]) as tf.Tensor4D;
    const patches = codec.extract(divideByStd(frames, frameStds(frames, t, scope)));
    return patches.reshape([-1, codec.geometry.dims]) as tf.Tensor2D;
  });
}

/** Mean PSNR (dB) of frames [M, H, W, 1] against their reconstruction by `dictionary`. */
async function quantizationPsnr(
  dictionary: PatchDictionary,
  frames: tf.Tensor4D,
  clipFrames: number,
): Promise<number> {
  const psnr = tf.tidy(() => psnrPerImage(dictionary.quantize(frames, clipFrames), frames).mean());
  try {
    return (await psnr.data())[0];
  } finally {
    psnr.dispose();
  }
}

/**
 * Draws `config.kmeansPatches` patches from the first training batches of `source`, fits the
 * dictionary of K centroids and the smaller ones of the PSNR curve (each seeded from `seed`), and
 * scores every size on one further batch. Reports progress with phase 'dictionary'; throws the
 * abort reason when `signal` is aborted, leaving no tensor behind.
 */
export async function buildDictionaries(
  codec: PatchCodec,
  source: BatchSource,
  config: RcnnConfig,
  seed: number,
  onProgress: (progress: PrepareProgress) => void,
  signal: AbortSignal,
): Promise<DictionarySet> {
  const report = (fraction: number, message: string) =>
    onProgress({ phase: 'dictionary', fraction: Math.min(0.999, fraction), message });
  const sizes = sweepDictionarySizes(config);
  const drawShare = 0.05; // of the progress bar: drawing patches; the rest: k-means, ∝ K
  const totalSize = sizes.reduce((a, b) => a + b, 0);

  const dictionaries: PatchDictionary[] = [];
  let points: tf.Tensor2D | null = null;
  let heldOut: tf.Tensor4D | null = null;
  try {
    // Patches from the training stream's first batches.
    const parts: tf.Tensor2D[] = [];
    let drawn = 0;
    try {
      while (drawn < config.kmeansPatches) {
        const batch = source.nextBatch();
        try {
          const rows = patchRows(codec, batch, config.stdScope);
          parts.push(rows);
          drawn += rows.shape[0];
        } finally {
          batch.dispose();
        }
        const kept = Math.min(drawn, config.kmeansPatches); // the last batch is cut to size
        report(
          (drawShare * kept) / config.kmeansPatches,
          `Patch dictionary: drawing patches (${kept.toLocaleString('en-US')} of ${config.kmeansPatches.toLocaleString('en-US')})`,
        );
        await new Promise((resolve) => setTimeout(resolve, 0));
        signal.throwIfAborted();
      }
      const all = parts.length === 1 ? parts[0] : tf.concat(parts);
      points = all.slice([0, 0], [config.kmeansPatches, codec.geometry.dims]) as tf.Tensor2D;
      if (all !== parts[0]) all.dispose();
    } finally {
      tf.dispose(parts);
    }
    // Frames that no dictionary is fitted on, for the PSNR of each size.
    const validation = source.nextBatch();
    const [b, t, h, w] = validation.shape;
    heldOut = validation.reshape([b * t, h, w, 1]) as tf.Tensor4D;
    const clipFrames = t;
    validation.dispose();

    const sweep: SweepPoint[] = [];
    let before = 0;
    for (const [i, size] of sizes.entries()) {
      const start = drawShare + ((1 - drawShare) * before) / totalSize;
      const span = ((1 - drawShare) * size) / totalSize;
      const initShare = config.kmeansInit === 'kmeans++' ? 0.3 : 0;
      const onKmeans = (p: KmeansProgress) => {
        const label = `Patch dictionary: k-means, K = ${size.toLocaleString('en-US')}`;
        if (p.stage === 'init') {
          const seeding =
            config.kmeansInit === 'kmeans++'
              ? `k-means++ seeding (${p.done} of ${p.total} centroids)`
              : `seeding with ${p.total} random patches`;
          report(start + span * initShare * (p.done / p.total), `${label}: ${seeding}`);
        } else if (p.stage === 'update') {
          const distance =
            p.meanDistance === undefined
              ? ''
              : ` · mean squared distance ${p.meanDistance.toPrecision(3)}`;
          report(
            start + span * (initShare + (1 - initShare) * (p.done / p.total)),
            `${label}: update ${p.done} of ${p.total}${distance}`,
          );
        } else {
          report(start + span, `${label}: assigning every patch`);
        }
      };
      const fit = await fitKmeans(
        points,
        {
          k: size,
          init: config.kmeansInit,
          iterations: config.kmeansIterations,
          batchSize: config.kmeansBatchSize,
          seed: seed + i,
        },
        { onProgress: onKmeans, signal },
      );
      const dictionary = new PatchDictionary(
        codec,
        fit.centroids,
        fit.counts,
        config.stdScope,
        fit.history,
      );
      dictionaries.push(dictionary);
      sweep.push({
        size,
        psnr: await quantizationPsnr(dictionary, heldOut, clipFrames),
        meanDistance: fit.meanDistance,
      });
      before += size;
    }
    onProgress({ phase: 'dictionary', fraction: 1, message: 'Dictionary ready' });
    return { dictionaries, sweep };
  } catch (error) {
    for (const dictionary of dictionaries) dictionary.dispose();
    throw error;
  } finally {
    points?.dispose();
    heldOut?.dispose();
  }
}
