/** FLOPs of one ConvLSTM training step (the convention: `ModelSpec.trainStepFlops`). */
import { gridSize, layerChannels } from './config';
import type { ConvLstmConfig } from './config';

/**
 * Per time step and layer one gate convolution of [B, G, G, I + U] with a [k, k, I + U, 4U] kernel
 * (I = p² patch channels for the encoder's first layer, 0 for the forecaster's, the layer below's U
 * above), per forecast step the 1×1 readout [B, G, G, ΣU] → p². Backward: every weight gradient
 * and every input gradient, twice the forward, but for the encoder's first layer at its first
 * step, whose input (frames and a zero state) depends on no weight, so tfjs skips its gradient.
 */
export function convLstmTrainStepFlops(config: ConvLstmConfig): number {
  const channels = layerChannels(config);
  const positions = config.batchSize * gridSize(config) ** 2; // B·G²
  const taps = config.kernelSize ** 2;
  const depth = config.patchSize ** 2;
  const gateMacs = (inputs: number, l: number) =>
    positions * taps * ((l === 0 ? inputs : channels[l - 1]) + channels[l]) * 4 * channels[l];
  const stackMacs = (inputs: number) =>
    channels.reduce((sum, _u, l) => sum + gateMacs(inputs, l), 0);
  const readoutMacs = positions * channels.reduce((a, b) => a + b, 0) * depth;
  const forward =
    config.inputFrames * stackMacs(depth) + config.futureFrames * (stackMacs(0) + readoutMacs);
  const skippedInputGradient = gateMacs(depth, 0);
  return 2 * (3 * forward - skippedInputGradient);
}
