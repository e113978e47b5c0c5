/**
 * The LSTM encoder-decoder's training loss through whole-sequence layers (optimisation
 * webgpu-lstm-sequence, src/core/gpu/kernels/lstm-sequence.ts): the same model and the same
 * numbers as the step-by-step `forward` in model.ts, in a few dozen dispatches instead of
 * several per layer and step.
 *
 * While training, every decoder input is known before the loop (teacher forcing, or none for an
 * unconditioned decoder), so each layer runs over its whole sequence at once: the encoder, then
 * each decoder from the encoder's final state (every layer's h and c), layer by layer. Sequences
 * are matrices with one column per (step, sequence), step-major — [rows, T·B] — so a decoder's
 * readout over all its steps is one matrix product, and its loss one fused reduction
 * (webgpu-fused-losses). Free-running evaluation feeds each output back, so it keeps the
 * step-by-step path.
 *
 * Shapes: B batch, T frames, P pixels, U hidden units; Tin input frames, Td a decoder's steps.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmSequence } from '../../gpu/kernels/lstm-sequence';
import type { LstmLayerWeights, LstmSequenceResult } from '../../gpu/kernels/lstm-sequence';
import { elementLossSum, scaledBy } from '../../gpu/kernels/losses';
import type { LstmConfig } from './config';

/** One layer's weights, as the model holds them. */
export interface SequenceLayer {
  w: tf.Variable; // [4U, I + U]
  peephole: tf.Variable; // [3U]
  bias: tf.Variable; // [4U]
}

/** A decoder's stack and readout (network.ts `Decoder`). */
export interface SequenceDecoder {
  stack: { layers: readonly SequenceLayer[] };
  conditional: boolean;
  readoutW: tf.Variable; // [P, U]
  readoutB: tf.Variable; // [P]
}

/** Final h and c of every layer of a stack, bottom first. */
interface StackState {
  h: tf.Tensor2D[];
  c: tf.Tensor2D[];
}

const weightsOf = (layer: SequenceLayer): LstmLayerWeights => ({
  w: layer.w as tf.Tensor2D,
  peephole: layer.peephole as tf.Tensor1D,
  bias: layer.bias as tf.Tensor1D,
});

/**
 * A stack over `steps` steps from `initial` (null: zeros): layer 0 reads `inputs` [I, T·B]
 * (or nothing), layer l > 0 the hidden states of layer l − 1. Returns every layer's outputs
 * (each sliced out only when read).
 */
function runStack(
  layers: readonly SequenceLayer[],
  inputs: tf.Tensor2D | null,
  initial: StackState | null,
  steps: number,
  batch: number,
): LstmSequenceResult[] {
  const results: LstmSequenceResult[] = [];
  let below = inputs;
  layers.forEach((layer, l) => {
    const start = initial ? { h: initial.h[l], c: initial.c[l] } : null;
    const result = lstmSequence(weightsOf(layer), below, l > 0, start, steps, batch);
    results.push(result);
    if (l < layers.length - 1) below = result.hidden;
  });
  return results;
}

/** Per-frame and summed losses of each decoder, as LstmEncoderDecoder.lossTerms reports them. */
export function sequenceLossTerms(
  frames: tf.Tensor3D, // [B, T, P]
  config: LstmConfig,
  encoder: readonly SequenceLayer[],
  reconstruction: SequenceDecoder | null,
  future: SequenceDecoder | null,
): Record<string, tf.Scalar> {
  const [b, , p] = frames.shape;
  const { inputFrames: tin, futureFrames: tf_ } = config;
  const columns = tf.transpose(frames, [2, 1, 0]); // [P, T, B]
  const input = columns.slice([0, 0, 0], [p, tin, b]); // [P, Tin, B]
  const encoded = runStack(encoder, input.reshape([p, tin * b]) as tf.Tensor2D, null, tin, b);
  const final: StackState = {
    h: encoded.map((layer) => layer.lastHidden),
    c: encoded.map((layer) => layer.lastCell),
  };

  const loss = config.output === 'sigmoid-bce' ? 'sigmoid-bce' : 'half-squared';
  const terms: Record<string, tf.Scalar> = {};
  const totals: tf.Scalar[] = [];
  const frameLosses: tf.Scalar[] = [];
  /** A decoder over `targets` [P, Td, B], fed the previous target frame when conditional. */
  const decode = (name: string, decoder: SequenceDecoder, targets: tf.Tensor3D) => {
    const steps = targets.shape[1];
    let inputs: tf.Tensor2D | null = null;
    if (decoder.conditional) {
      const first = tf.fill([p, 1, b], 0); // step 0 gets no frame
      const previous = targets.slice([0, 0, 0], [p, steps - 1, b]);
      inputs = tf.concat([first, previous], 1).reshape([p, steps * b]) as tf.Tensor2D;
    }
    const top = runStack(decoder.stack.layers, inputs, final, steps, b).at(-1)?.hidden; // [U, Td·B]
    const logits = tf.fused.matMul({
      a: decoder.readoutW as tf.Tensor2D,
      b: top as tf.Tensor2D,
      bias: decoder.readoutB.reshape([p, 1]),
    }); // [P, Td·B]
    const total = elementLossSum(logits, targets.reshape([p, steps * b]), loss); // Σ over T, P, B
    const frameLoss = scaledBy(total, 1 / (b * steps)); // per frame, the paper's convention
    terms[name] = frameLoss;
    totals.push(total);
    frameLosses.push(frameLoss);
  };
  if (reconstruction) decode('recon_loss', reconstruction, tf.reverse(input, 1)); // last frame first
  if (future) decode('future_loss', future, columns.slice([0, tin, 0], [p, tf_, b]));
  const sum = (values: tf.Scalar[]) =>
    values.length === 1 ? values[0] : (tf.addN(values) as tf.Scalar);
  terms.loss = sum(frameLosses);
  // A tensor of its own, so callers may dispose `objective` and `loss` independently.
  terms.objective = config.lossReduction === 'sum' ? sum(totals).clone() : terms.loss.clone();
  return terms;
}
