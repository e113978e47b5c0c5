/**
 * Adam (β1 0.9, β2 0.999, ε 1e-8) with an optional global-norm gradient clip, shared by the models
 * that train every weight with it (the rCNN, the ConvLSTM). On WebGPU each weight's update is one
 * fused kernel (gpu/kernels/adam) and the clip factor one per 7 weights (gpu/kernels/global-norm);
 * elsewhere it is written in tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import { adamKernelReady, adamUpdate } from '../../gpu/kernels/adam';
import { globalNormClipFactor, globalNormKernelReady } from '../../gpu/kernels/global-norm';

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/**
 * Adam (β1 0.9, β2 0.999, ε 1e-8) after rescaling the whole gradient to a global L2 norm of at
 * most `clipNorm` (0 = off). `commit: false` computes the update without assigning (warm-up).
 */
export class ClippedAdam {
  private readonly first: tf.Variable[];
  private readonly second: tf.Variable[];
  private steps = 0;

  constructor(readonly variables: readonly tf.Variable[]) {
    const zeros = () => variables.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    this.first = zeros();
    this.second = zeros();
  }

  apply(grads: tf.NamedTensorMap, learningRate: number, clipNorm: number, commit: boolean): void {
    const t = this.steps + 1;
    const stepSize = (learningRate * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
    tf.tidy(() => {
      const gradients = this.variables.map((v) => grads[v.name]);
      let scale: tf.Scalar | null = null;
      if (clipNorm > 0 && globalNormKernelReady()) {
        scale = globalNormClipFactor(gradients, clipNorm); // optimisation webgpu-global-norm-clip
      } else if (clipNorm > 0) {
        const norm = tf.sqrt(tf.addN(gradients.map((g) => g.square().sum())));
        scale = tf.minimum(1, tf.div(clipNorm, norm.add(1e-12))) as tf.Scalar;
      }
      const fused = adamKernelReady(); // optimisation webgpu-fused-adam
      this.variables.forEach((variable, i) => {
        if (fused) {
          const next = adamUpdate(variable, gradients[i], this.first[i], this.second[i], {
            beta1: ADAM_BETA1,
            beta2: ADAM_BETA2,
            epsilon: ADAM_EPSILON,
            stepSize,
            ...(scale ? { gradientScale: scale } : {}),
          });
          if (commit) {
            this.first[i].assign(next.m);
            this.second[i].assign(next.v);
            variable.assign(next.w);
          }
          return;
        }
        const g = scale ? gradients[i].mul(scale) : gradients[i];
        const m = this.first[i].mul(ADAM_BETA1).add(g.mul(1 - ADAM_BETA1));
        const v = this.second[i].mul(ADAM_BETA2).add(g.square().mul(1 - ADAM_BETA2));
        const next = variable.sub(m.div(v.sqrt().add(ADAM_EPSILON)).mul(stepSize));
        if (commit) {
          this.first[i].assign(m);
          this.second[i].assign(v);
          variable.assign(next);
        }
      });
    });
    if (commit) this.steps = t;
  }

  /** Moment slots by kind, in the order of `variables`. */
  slots(): { m: readonly tf.Variable[]; v: readonly tf.Variable[] } {
    return { m: this.first, v: this.second };
  }

  get stepCount(): number {
    return this.steps;
  }

  set stepCount(steps: number) {
    this.steps = steps;
  }

  dispose(): void {
    tf.dispose([...this.first, ...this.second]);
  }
}
