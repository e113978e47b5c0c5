/**
 * A run's training stream and held-out set from its data spec: a seeded Moving MNIST stream, or
 * clips of an imported dataset sent along with the `init` command. Model-agnostic: everything the
 * data needs from the model is in its DataRequirements.
 */
import type * as tf from '@tensorflow/tfjs';
import { DataError } from './data-error';
import type { MnistDigits } from './mnist';
import type { DataSpec, DatasetPayload } from './types';
import { prepareVideoData } from './video-clips';
import {
  DEFAULT_DATA_SEED,
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from './video-stream';
import type { BatchSource } from './batch-source';
import type { DataRequirements } from '../models/types';

export interface RunData {
  stream: BatchSource;
  evalSet: tf.Tensor5D;
}

/** Whether the spec trains on Moving MNIST (and so needs the MNIST digits loaded). */
export function needsMnist(spec: DataSpec | undefined): boolean {
  return (spec?.source ?? 'moving-mnist') === 'moving-mnist';
}

export function buildRunData(
  spec: DataSpec | undefined,
  digits: MnistDigits | null,
  dataset: DatasetPayload | undefined,
  needs: DataRequirements,
  evalCount: number,
): RunData {
  const dataSpec = spec ?? { source: 'moving-mnist' as const };
  switch (dataSpec.source) {
    case 'moving-mnist': {
      if (!digits) throw new Error('Moving MNIST needs the MNIST digits');
      const options = movingMnistOptionsFor(dataSpec, needs);
      const seed = dataSpec.seed ?? DEFAULT_DATA_SEED;
      return {
        stream: new MovingMnistStream(digits, options, needs, seed),
        evalSet: bytesToTensor(evaluationVideos(digits, options, evalCount), needs),
      };
    }
    case 'video': {
      if (!dataset || dataset.id !== dataSpec.datasetId) {
        throw new DataError(
          `Dataset "${dataSpec.datasetId}" was not sent to the run; import it first (see listDatasets()).`,
        );
      }
      const video = prepareVideoData(
        dataset.frames,
        dataset.crop,
        dataSpec,
        needs,
        evalCount,
        dataSpec.seed ?? DEFAULT_DATA_SEED,
        `Dataset "${dataset.name}"`,
        dataset.fps ?? undefined,
      );
      return { stream: video.stream, evalSet: video.evalSet };
    }
    default: {
      const unreachable: never = dataSpec;
      throw new Error(`Unknown data source ${JSON.stringify(unreachable)}`);
    }
  }
}
