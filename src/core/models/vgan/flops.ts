/** FLOPs of one VGAN training step (the convention: `ModelSpec.trainStepFlops`). */
import type { VganConfig } from './config';
import { vganGeometry } from './config';

/** Multiply-adds of one network's forward pass, split by which backward products tfjs runs. */
interface NetworkMacs {
  /** All products of the forward pass. */
  forward: number;
  /** Products whose input is data (noise, a real video, a still): no input gradient. */
  dataInput: number;
}

/**
 * Generator: the projection of z (a matmul) or the image encoder's 2D convolutions and expansion,
 * the 3D transposed convolutions (each input voxel scatters to 4×4×4 taps: voxels·64·Cin·Cout),
 * the video (+ mask) head; two-stream and image-to-video add the 2D background stream.
 */
function vganGeneratorMacs(config: VganConfig): NetworkMacs {
  const { levels, firstFrames: t0, generatorWidths: g } = vganGeometry(config);
  const { batchSize: b, channels: c, zDim: z } = config;
  const conditional = config.variant === 'image-to-video';
  const twoStream = config.variant !== 'one-stream';
  let forward = 0;
  let dataInput = 0;
  if (conditional) {
    // Encoder: 2D k4 s2 convolutions S → 4 px, widths g reversed (outputs · 16 taps · Cin · Cout).
    let inputs = c;
    let side = config.frameSize;
    for (let i = 0; i < levels; i++) {
      side /= 2;
      const width = g[levels - 1 - i];
      const macs = b * side * side * 16 * inputs * width;
      forward += macs;
      if (i === 0) dataInput += macs; // reads the still image
      inputs = width;
    }
    forward += b * 16 * g[0] * t0 * g[0]; // expansion [B·16, g0]·[g0, T0·g0]
  } else {
    const project = b * z * t0 * 16 * g[0]; // [B, Z]·[Z, T0·16·g0]
    forward += project;
    dataInput += project;
    if (twoStream) {
      const bgProject = b * z * 16 * g[0]; // [B, Z]·[Z, 16·g0]
      forward += bgProject;
      dataInput += bgProject;
    }
  }
  // 3D stream: level i − 1 → i on an input of [T0·2^(i−1), 4·2^(i−1), 4·2^(i−1)] voxels.
  const voxels = (i: number) => t0 * 2 ** i * (4 * 2 ** i) ** 2;
  for (let i = 1; i < levels; i++) forward += b * voxels(i - 1) * 64 * g[i - 1] * g[i];
  forward += b * voxels(levels - 1) * 64 * g[levels - 1] * (twoStream ? c + 1 : c); // heads
  if (twoStream) {
    // 2D stream: pixels · 16 taps · Cin · Cout, from 4×4.
    const pixels = (i: number) => (4 * 2 ** i) ** 2;
    for (let i = 1; i < levels; i++) forward += b * pixels(i - 1) * 16 * g[i - 1] * g[i];
    forward += b * pixels(levels - 1) * 16 * g[levels - 1] * c;
  }
  return { forward, dataInput };
}

/**
 * Discriminator: 3D k4 s2 convolutions (output voxels · 64 taps · Cin · Cout) down to
 * [T0, 4, 4, d_{L−1}], then the logit as a matmul [B, T0·16·d_{L−1}]·[·, 1].
 */
function vganDiscriminatorMacs(config: VganConfig): NetworkMacs {
  const { levels, firstFrames: t0, discriminatorWidths: d } = vganGeometry(config);
  const b = config.batchSize;
  let forward = 0;
  let dataInput = 0;
  let inputs = config.channels;
  for (let i = 0; i < levels; i++) {
    const out = (config.frames / 2 ** (i + 1)) * (config.frameSize / 2 ** (i + 1)) ** 2;
    const macs = b * out * 64 * inputs * d[i];
    forward += macs;
    if (i === 0) dataInput += macs;
    inputs = d[i];
  }
  forward += b * t0 * 16 * d[levels - 1];
  return { forward, dataInput };
}

/**
 * One iteration as `VideoGan.trainStep` runs it. D step: G forward without gradient, D forward on
 * a real and a generated batch, D's weight gradients and its input gradients (but not into the
 * videos themselves). G step: G and D forward on a fresh generated batch, D's input gradients only
 * (D's weights are not trained in it), G's weight gradients and input gradients (not into z or
 * the still image; transposed convolutions compute theirs regardless).
 */
export function vganTrainStepFlops(config: VganConfig): number {
  const g = vganGeneratorMacs(config);
  const d = vganDiscriminatorMacs(config);
  const dStep = g.forward + 2 * (d.forward + d.forward + (d.forward - d.dataInput));
  const gStep = g.forward + d.forward + d.forward + g.forward + (g.forward - g.dataInput);
  return 2 * (dStep + gStep); // 2 FLOPs per multiply-add
}
