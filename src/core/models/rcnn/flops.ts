/** FLOPs of one video language model training step (the convention: `ModelSpec.trainStepFlops`). */
import type { RcnnConfig } from './config';
import { patchGridSize } from './config';

/**
 * rCNN over L = B·G·G patch locations: quantizing every patch of the batch (distances to the K
 * centroids as one [B·T·G·G, D]·[D, K] product, no gradient), then on T − 1 input frames the
 * k×k input convolutions ((T−1)·L · k²·Cin·C each; the first reads the embedding, a trained
 * variable, so every one gets an input gradient), the 1×1 recurrence [L, C]·[C, C] at T − 2 steps
 * (the first has no state), and the output [(T−1)·L, C]·[C, K]; each trained product 3×.
 */
export function rcnnTrainStepFlops(config: RcnnConfig): number {
  const grid = patchGridSize(config);
  const locations = config.batchSize * grid * grid;
  const { dictionarySize: k, embeddingDim: e, hiddenChannels: c, kernelSize: s } = config;
  const quantize = config.batchSize * config.frames * grid * grid * k * config.patchSize ** 2;
  const inputFrames = config.frames - 1;
  let trained = 0;
  for (let layer = 0; layer < config.convLayers; layer++) {
    trained += inputFrames * locations * s * s * (layer === 0 ? e : c) * c;
  }
  trained += (config.frames - 2) * locations * c * c;
  trained += inputFrames * locations * c * k;
  return 2 * (quantize + 3 * trained); // 2 FLOPs per multiply-add
}
