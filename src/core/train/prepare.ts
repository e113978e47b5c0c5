/**
 * A model's data-dependent preparation (the rCNN's patch dictionary) on batches of its training
 * stream, shared by the run worker and the CLI. The stream rewinds afterwards, so training starts
 * at the stream's first batch, as it does for every other model on the same data spec and seed.
 */
import type { BatchSource } from '../data/batch-source';
import type { PrepareProgress, VideoModel } from '../models/types';

export async function prepareModel(
  model: VideoModel,
  stream: BatchSource,
  onProgress: (progress: PrepareProgress) => void,
  signal: AbortSignal,
): Promise<void> {
  if (!model.prepare) return;
  const start = stream.getState();
  await model.prepare(stream, onProgress, signal);
  stream.setState(start);
}
