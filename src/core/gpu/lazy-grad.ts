/**
 * `tf.customGrad` with one gradient function per input, each run only when backprop needs that
 * input's gradient. `tf.customGrad` computes every input's gradient eagerly: a GAN's generator
 * step backpropagates through the discriminator, whose batch-norm scale/shift and bias gradients
 * (a dispatch or two each) it would then throw away. tfjs's own kernels already work this way:
 * the tape prunes the inputs that do not lead to the variables asked for and calls only the
 * gradient functions of the others.
 */
import * as tf from '@tensorflow/tfjs';

export interface LazyGradResult {
  value: tf.Tensor;
  /**
   * Called once per backprop through the op; what it computes itself is shared by the functions it
   * returns (and freed with the rest of the backward pass). Returns one function per input, in
   * input order, giving that input's gradient; only the needed ones are called.
   */
  backward: (dy: tf.Tensor, saved: tf.Tensor[]) => (() => tf.Tensor)[];
}

/** What `runKernelFunc` of tfjs's engine takes for a custom gradient (the entry `customGrad` uses). */
interface CustomGradInvocation {
  forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor;
  backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<number, () => tf.Tensor>;
  inputs: Record<number, tf.Tensor>;
}

type Engine = { runKernelFunc(invocation: CustomGradInvocation): tf.Tensor };

/** Like `tf.customGrad(f)`, with `f` returning per-input gradient functions (see above). */
export function lazyCustomGrad(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => LazyGradResult,
): (...inputs: tf.Tensor[]) => tf.Tensor {
  return (...inputs) => {
    let result: LazyGradResult | null = null;
    // The engine entry tf.customGrad itself uses; customGrad wraps ready-made gradients instead.
    return (tf.engine() as unknown as Engine).runKernelFunc({
      forwardFunc: (_, save) => {
        result = f(inputs, save);
        return result.value;
      },
      backwardsFunc: (dy, saved) => {
        const gradients = (result as LazyGradResult).backward(dy, saved);
        return Object.fromEntries(gradients.map((gradient, i) => [i, gradient]));
      },
      inputs: Object.fromEntries(inputs.map((input, i) => [i, input])),
    });
  };
}
