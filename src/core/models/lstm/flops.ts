/** FLOPs of one LSTM encoder-decoder training step (the convention: `ModelSpec.trainStepFlops`). */
import type { LstmConfig } from './config';

/**
 * Per time step and layer one fused gate product [4U, I + U]·[I + U, B] (I = the layer's input:
 * the frame's P pixels for the encoder and conditional decoders, the layer below's U units above
 * layer 0, nothing for an unconditioned decoder's first layer), per decoder step a readout
 * [P, U]·[U, B]. All are fused matMuls (custom gradient): forward, input and weight gradient, 3×.
 */
export function lstmTrainStepFlops(config: LstmConfig): number {
  const pixels = config.frameSize * config.frameSize;
  const { hiddenUnits: u, layers, batchSize: b } = config;
  const stackMacs = (inputs: number) => {
    let macs = 0;
    for (let layer = 0; layer < layers; layer++) {
      macs += 4 * u * ((layer === 0 ? inputs : u) + u) * b;
    }
    return macs;
  };
  const readoutMacs = pixels * u * b;
  let forward = config.inputFrames * stackMacs(pixels); // encoder
  if (config.reconstruct) {
    const inputs = config.conditionalReconstruction ? pixels : 0;
    forward += config.inputFrames * (stackMacs(inputs) + readoutMacs);
  }
  if (config.predictFuture) {
    const inputs = config.conditionalFuture ? pixels : 0;
    forward += config.futureFrames * (stackMacs(inputs) + readoutMacs);
  }
  return 3 * (2 * forward); // 2 FLOPs per multiply-add
}
