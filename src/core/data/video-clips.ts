/**
 * Training and evaluation data from an imported dataset (a user's videos or a .npy array): the
 * frames are resized to the model's frame size and channel count, cut into the model's clip
 * length, split into training and held-out clips, and scaled to the model's range.
 *
 * Training clips are drawn in a seeded shuffled order, reshuffled after every pass, so runs with
 * the same dataset, stride and data seed train on identical batches in the same order.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataRequirements } from '../models/types';
import { DEFAULT_HELD_OUT_FRACTION, splitClips } from './clips';
import type { ClipSplit } from './clips';
import { resizeFrameSet } from './frames';
import { toFloatFrames } from './moving-mnist';
import { SeededRandom, isRandomState } from './random';
import type { CropMode, FrameSet, VideoDataSpec } from './types';
import type { BatchSource, StreamState } from './batch-source';

/** uint8 clips [N, T, H, W, C] starting at `starts`, gathered from `set`. */
export function gatherClips(set: FrameSet, starts: readonly number[], length: number): Uint8Array {
  const frameBytes = set.width * set.height * set.channels;
  const clipBytes = length * frameBytes;
  const out = new Uint8Array(starts.length * clipBytes);
  starts.forEach((start, i) => {
    out.set(set.data.subarray(start * frameBytes, start * frameBytes + clipBytes), i * clipBytes);
  });
  return out;
}

/** Clips as a float tensor [N, T, H, W, C] in the model's range (the set matches the model). */
export function clipsToTensor(
  set: FrameSet,
  starts: readonly number[],
  needs: DataRequirements,
): tf.Tensor5D {
  const bytes = gatherClips(set, starts, needs.frames);
  const values = toFloatFrames(
    { data: bytes, n: starts.length, t: needs.frames, height: set.height, width: set.width },
    needs.range,
  );
  return tf.tensor5d(values, [starts.length, needs.frames, set.height, set.width, set.channels]);
}

export class VideoClipStream implements BatchSource {
  private readonly rng: SeededRandom;
  private order: Int32Array;
  private position = 0;

  constructor(
    private readonly set: FrameSet,
    private readonly starts: readonly number[],
    private readonly needs: DataRequirements,
    seed: number,
  ) {
    if (starts.length === 0) throw new RangeError('VideoClipStream needs at least one clip');
    this.rng = new SeededRandom(seed);
    this.order = this.rng.shuffle(Int32Array.from(starts.keys()));
  }

  /** The next `count` clip starts in the shuffled order, reshuffling after each pass. */
  nextStarts(count: number): number[] {
    const picked: number[] = [];
    while (picked.length < count) {
      if (this.position === this.order.length) {
        this.order = this.rng.shuffle(this.order);
        this.position = 0;
      }
      picked.push(this.starts[this.order[this.position++]]);
    }
    return picked;
  }

  nextBatch(): tf.Tensor5D {
    return clipsToTensor(this.set, this.nextStarts(this.needs.batchSize), this.needs);
  }

  /** The shuffled clip order (`clip_order`), the position in it and the shuffling stream. */
  getState(): StreamState {
    return {
      arrays: { clip_order: this.order.slice() },
      meta: { position: this.position, rng: this.rng.getState() },
    };
  }

  setState(state: StreamState): void {
    const order = state.arrays.clip_order;
    const count = this.starts.length;
    const extra = Object.keys(state.arrays).filter((name) => name !== 'clip_order');
    if (extra.length > 0) throw new RangeError(`unknown data arrays: ${extra.join(', ')}`);
    if (!(order instanceof Int32Array) || order.length !== count) {
      throw new RangeError(
        `the clip order must hold ${count} indices, one per training clip (got ${order?.length ?? 'none'})`,
      );
    }
    const seen = new Uint8Array(count);
    for (const index of order) {
      if (!(index >= 0 && index < count) || seen[index]) {
        throw new RangeError(`the clip order is not a permutation of 0…${count - 1}`);
      }
      seen[index] = 1;
    }
    const { position, rng } = state.meta;
    if (!(
      Number.isInteger(position) &&
      (position as number) >= 0 &&
      (position as number) <= count
    )) {
      throw new RangeError(`the clip position must be an integer in [0, ${count}]`);
    }
    if (!isRandomState(rng))
      throw new RangeError('the clip shuffling stream is not four uint32 words');
    this.order = order.slice();
    this.position = position as number;
    this.rng.setState(rng);
  }
}

export interface VideoData {
  stream: VideoClipStream;
  /** The first held-out clips, at most the requested count, [N, T, H, W, C]. */
  evalSet: tf.Tensor5D;
  split: ClipSplit;
  frames: FrameSet;
}

/**
 * Builds a run's training stream and held-out set from a dataset. `what` names the dataset in
 * errors (e.g. `Dataset "clip.mp4"`); throws a DataError when it is too short for the model.
 */
export function prepareVideoData(
  dataset: FrameSet,
  crop: CropMode,
  spec: VideoDataSpec,
  needs: DataRequirements,
  evalCount: number,
  seed: number,
  what: string,
  fps?: number,
): VideoData {
  const split = splitClips(
    dataset.segments,
    {
      length: needs.frames,
      stride: spec.clipStride ?? needs.frames,
      heldOutFraction: spec.heldOutFraction ?? DEFAULT_HELD_OUT_FRACTION,
    },
    what,
    fps,
  );
  const frames = resizeFrameSet(dataset, needs.width, needs.height, needs.channels, crop);
  const evalStarts = split.heldOut.slice(0, Math.max(1, evalCount));
  return {
    stream: new VideoClipStream(frames, split.train, needs, seed),
    evalSet: clipsToTensor(frames, evalStarts, needs),
    split,
    frames,
  };
}
