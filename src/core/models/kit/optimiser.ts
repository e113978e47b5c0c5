/**
 * The one optimiser module of the models: Adam (Kingma & Ba, ICLR 2015) in the two forms the
 * papers' code uses, and the reference SGD with momentum of Srivastava et al.'s `util.py`, each
 * with the options a model asks for — an element-wise clip of the update, L2 weight decay, a
 * global-norm clip of the whole gradient and zeroing of non-finite gradient elements.
 *
 * Adam, g the gradient (after the options below), t the step, β1 changeable between steps:
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
 *   'kingma' (the LSTM):  w ← w − clip(lr · m̂ / (√v̂ + ε)),  m̂ = m / (1 − Πβ1),  v̂ = v / (1 − β2ᵗ)
 *   'torch' (Torch's optim.adam: the VGAN, the rCNN):  w ← w − clip(lr·√(1 − β2ᵗ)/(1 − Πβ1) · m / (√v + ε))
 * SGD (`util.py` Param.Update): u ← clip(μ·u − lr·g); w ← w + u — the momentum buffer keeps the
 * clipped update.
 * Options, in the order they apply: g ← 0 where non-finite (`maskNonFinite`; a batch whose loss
 * overflows leaves the weights finite), g ← g·min(1, clipNorm/‖g‖) with ‖g‖ the L2 norm over all
 * parameters (`clipNorm` > 0), g ← g + λ·w for the parameters with `decay` (`weightDecay` > 0);
 * clip(u) clamps each element of the update to ±`updateClip` (> 0).
 *
 * On WebGPU and the CPU backend, Adam runs each parameter's update as two fused kernels
 * (gpu/kernels/adam.ts), and on WebGPU the global-norm clip factor takes one dispatch per 7
 * parameters (gpu/kernels/global-norm.ts, unless non-finite elements are masked), where those
 * optimisations are installed; elsewhere the same arithmetic is composed from tfjs ops.
 * `commit: false` computes every update without assigning anything (a warm-up compiles the
 * kernels and changes no state).
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../checkpoint/errors';
import { adamKernelReady, adamUpdate, packMoments } from '../../gpu/kernels/adam';
import { globalNormClipFactor, globalNormKernelReady } from '../../gpu/kernels/global-norm';
import { metaNumber } from '../state';
import type { Parameter } from './params';

export interface OptimiserOptions {
  method: 'adam' | 'sgd';
  /** Adam's form (see above); default 'torch'. */
  form?: 'kingma' | 'torch';
  /** Adam's β2 (default 0.999) and ε (default 1e-8). */
  beta2?: number;
  epsilon?: number;
  /**
   * What checkpoints count: 'powers' — Πβ1 and β2ᵗ (`beta1Power`, `beta2Power`), for a β1 that may
   * change while training; 'steps' — t (`steps`), for a fixed β1. Default 'powers'.
   */
  counter?: 'powers' | 'steps';
  /** Non-finite gradient elements count as 0. */
  maskNonFinite?: boolean;
}

/** The settings of one step (they may change between steps). */
export interface StepSettings {
  learningRate: number;
  /** Adam's β1; SGD's momentum μ. */
  beta1: number;
  /** Element-wise clip of the update; 0 or absent = off. */
  updateClip?: number;
  /** L2 weight decay λ of the parameters with `decay`; 0 or absent = none. */
  weightDecay?: number;
  /** Global-norm clip of the gradient; 0 or absent = off. */
  clipNorm?: number;
}

/** The step counters a checkpoint holds (see `OptimiserOptions.counter`). */
export type OptimiserCounters = Record<string, number>;

export class Optimiser {
  /**
   * Slot variables by slot name (Adam: m, v; SGD: velocity), one per parameter; null while Adam's
   * moments are packed.
   */
  private slots: Record<string, tf.Variable[]> | null;
  /**
   * Adam's m and v per parameter packed as the fused kernel takes them (`packMoments`), made from
   * the slots by its first step. The moments are held in one form at a time, so they cost their
   * size once: a checkpoint (`slotEntries`) unpacks them into the slots, and the next fused step
   * packs them again.
   */
  private packedMoments: tf.Variable[] | null = null;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly counter: 'powers' | 'steps';
  private beta1Power = 1; // Πβ1 over the steps taken
  private beta2Power = 1; // β2ᵗ
  private steps = 0;

  constructor(
    readonly params: readonly Parameter[],
    private readonly options: OptimiserOptions,
  ) {
    const zeros = () =>
      params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    this.slots = options.method === 'adam' ? { m: zeros(), v: zeros() } : { velocity: zeros() };
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.counter = options.counter ?? 'powers';
  }

  /** The variables it trains, in parameter order. */
  get variables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  /**
   * One update of every parameter from `grads` (by variable name, as `tf.variableGrads` returns
   * them), which it disposes — each as soon as its parameter is done, so the peak memory stays
   * near one parameter's temporaries.
   */
  apply(grads: tf.NamedTensorMap, s: StepSettings, commit: boolean): void {
    const raw = this.params.map((p) => grads[p.variable.name]);
    const mask = this.options.maskNonFinite ?? false;
    const finite = (g: tf.Tensor) => (mask ? tf.where(tf.isFinite(g), g, tf.zerosLike(g)) : g);
    const clipNorm = s.clipNorm ?? 0;
    const scale = clipNorm > 0 ? this.clipFactor(raw, finite, clipNorm) : null;
    const next = this.nextCounters(s.beta1);
    const fused = this.options.method === 'adam' && adamKernelReady();
    const packed = fused ? this.packMoments() : null;
    const slots = fused ? null : this.unpackMoments();
    try {
      this.params.forEach((param, i) => {
        tf.tidy(() => {
          if (packed) this.fusedAdam(packed[i], param, raw[i], scale, next, s, commit);
          else if (slots) this.composed(slots, i, param, raw[i], finite, scale, next, s, commit);
        });
        raw[i].dispose();
      });
    } finally {
      scale?.dispose();
    }
    if (commit) {
      this.beta1Power = next.beta1Power;
      this.beta2Power = next.beta2Power;
      this.steps = next.steps;
    }
  }

  /**
   * Slot variables as checkpoint entries: `optimizer.<slot>.<parameter name>`. Checkpoints read and
   * restore m and v one by one, so packed moments are unpacked into the slots first, and the next
   * fused step packs the slots again (taking what a restore assigned to them meanwhile).
   */
  slotEntries(): [string, tf.Variable][] {
    return this.entries(this.unpackMoments());
  }

  /**
   * The optimiser's tensors as they are held now, without unpacking: the slot entries, or while
   * Adam's moments are packed `optimizer.moments.<parameter name>` [2, ...shape] (m then v).
   */
  currentEntries(): [string, tf.Variable][] {
    if (this.slots) return this.entries(this.slots);
    return (this.packedMoments ?? []).map(
      (moments, i) =>
        [`optimizer.moments.${this.params[i].name}`, moments] as [string, tf.Variable],
    );
  }

  /** The step counters for a checkpoint (SGD has none). */
  counters(): OptimiserCounters {
    if (this.options.method === 'sgd') return {};
    if (this.counter === 'steps') return { steps: this.steps };
    return { beta1Power: this.beta1Power, beta2Power: this.beta2Power };
  }

  /** Saved counters, checked (a CheckpointError names the bad field); pass them to `setCounters`. */
  checkCounters(saved: Record<string, unknown>): OptimiserCounters {
    if (this.options.method === 'sgd') return {};
    if (this.counter === 'steps') {
      const steps = metaNumber(saved, 'steps', 0);
      if (!Number.isInteger(steps)) {
        throw new CheckpointError('bad-state', 'Model state field "steps" must be an integer');
      }
      return { steps };
    }
    return {
      beta1Power: metaNumber(saved, 'beta1Power', 0, 1),
      beta2Power: metaNumber(saved, 'beta2Power', 0, 1),
    };
  }

  setCounters(values: OptimiserCounters): void {
    if (this.counter === 'steps') {
      this.steps = values.steps ?? 0;
      return;
    }
    this.beta1Power = values.beta1Power ?? 1;
    this.beta2Power = values.beta2Power ?? 1;
  }

  dispose(): void {
    if (this.slots) tf.dispose(Object.values(this.slots).flat());
    if (this.packedMoments) tf.dispose(this.packedMoments);
  }

  private entries(slots: Record<string, tf.Variable[]>): [string, tf.Variable][] {
    return this.params.flatMap((p, i) =>
      Object.entries(slots).map(
        ([slot, variables]) =>
          [`optimizer.${slot}.${p.name}`, variables[i]] as [string, tf.Variable],
      ),
    );
  }

  /** Packs Adam's m and v slots for the fused kernel (once), freeing the slots parameter by parameter. */
  private packMoments(): tf.Variable[] {
    if (this.packedMoments) return this.packedMoments;
    const { m, v } = this.slots as Record<string, tf.Variable[]>;
    this.packedMoments = m.map((mi, i) => {
      const moments = tf.tidy(() => tf.variable(packMoments(mi, v[i]), false));
      tf.dispose([mi, v[i]]);
      return moments;
    });
    this.slots = null;
    return this.packedMoments;
  }

  /** The slots, unpacking packed moments into them (and freeing those) first. */
  private unpackMoments(): Record<string, tf.Variable[]> {
    if (this.slots) return this.slots;
    const m: tf.Variable[] = [];
    const v: tf.Variable[] = [];
    for (const moments of this.packedMoments as tf.Variable[]) {
      const [mi, vi] = tf.tidy(() =>
        tf.unstack(moments).map((moment) => tf.variable(moment, false)),
      );
      moments.dispose();
      m.push(mi);
      v.push(vi);
    }
    this.packedMoments = null;
    this.slots = { m, v };
    return this.slots;
  }

  private nextCounters(beta1: number): { beta1Power: number; beta2Power: number; steps: number } {
    const steps = this.steps + 1;
    if (this.counter === 'steps') {
      return { beta1Power: beta1 ** steps, beta2Power: this.beta2 ** steps, steps };
    }
    return { beta1Power: this.beta1Power * beta1, beta2Power: this.beta2Power * this.beta2, steps };
  }

  /** min(1, clipNorm / ‖g‖), ‖g‖ the L2 norm of every (finite) gradient element: a scalar. */
  private clipFactor(
    raw: tf.Tensor[],
    finite: (g: tf.Tensor) => tf.Tensor,
    clipNorm: number,
  ): tf.Scalar {
    return tf.tidy(() => {
      if (!this.options.maskNonFinite && globalNormKernelReady()) {
        return globalNormClipFactor(raw, clipNorm); // optimisation webgpu-global-norm-clip
      }
      const norm = tf.sqrt(tf.addN(raw.map((g) => finite(g).square().sum()))); // ‖g‖
      return tf.minimum(1, tf.div(clipNorm, norm.add(1e-12))) as tf.Scalar;
    });
  }

  /** Adam's step size and the factor under its root, per form. */
  private adamScales(powers: { beta1Power: number; beta2Power: number }, lr: number) {
    const correction1 = Math.max(1 - powers.beta1Power, 1e-12);
    const correction2 = 1 - powers.beta2Power;
    return this.options.form === 'kingma'
      ? { stepSize: lr / correction1, vScale: 1 / correction2 }
      : { stepSize: (lr * Math.sqrt(correction2)) / correction1, vScale: 1 };
  }

  /** Optimisation webgpu-fused-adam: masking, scale, decay and the update in one kernel each. */
  private fusedAdam(
    moments: tf.Variable,
    param: Parameter,
    grad: tf.Tensor,
    scale: tf.Scalar | null,
    powers: { beta1Power: number; beta2Power: number },
    s: StepSettings,
    commit: boolean,
  ): void {
    const next = adamUpdate(param.variable, grad, moments, {
      beta1: s.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      ...this.adamScales(powers, s.learningRate),
      decay: param.decay ? (s.weightDecay ?? 0) : 0,
      clip: s.updateClip ?? 0,
      maskNonFinite: this.options.maskNonFinite ?? false,
      ...(scale ? { gradientScale: scale } : {}),
    });
    if (commit) {
      moments.assign(next.moments);
      param.variable.assign(next.w);
    }
  }

  /** The same updates composed from tfjs ops. */
  private composed(
    slots: Record<string, tf.Variable[]>,
    i: number,
    param: Parameter,
    raw: tf.Tensor,
    finite: (g: tf.Tensor) => tf.Tensor,
    scale: tf.Scalar | null,
    powers: { beta1Power: number; beta2Power: number },
    s: StepSettings,
    commit: boolean,
  ): void {
    const w = param.variable;
    let g = finite(raw);
    if (scale) g = g.mul(scale);
    const decay = s.weightDecay ?? 0;
    if (param.decay && decay > 0) g = g.add(w.mul(decay));
    const clip = s.updateClip ?? 0;
    const clipped = (u: tf.Tensor) => (clip > 0 ? tf.clipByValue(u, -clip, clip) : u);
    if (this.options.method === 'sgd') {
      const velocity = slots.velocity[i];
      const update = clipped(velocity.mul(s.beta1).sub(g.mul(s.learningRate)));
      if (commit) {
        velocity.assign(update);
        w.assign(w.add(update));
      }
      return;
    }
    const { m, v } = slots;
    const mNext = m[i].mul(s.beta1).add(g.mul(1 - s.beta1));
    const vNext = v[i].mul(this.beta2).add(g.square().mul(1 - this.beta2));
    let update: tf.Tensor;
    if (this.options.form === 'kingma') {
      const mHat = mNext.div(Math.max(1 - powers.beta1Power, 1e-12));
      const vHat = vNext.div(1 - powers.beta2Power);
      update = mHat.div(vHat.sqrt().add(this.epsilon)).mul(s.learningRate);
    } else {
      const { stepSize } = this.adamScales(powers, s.learningRate);
      update = mNext.div(vNext.sqrt().add(this.epsilon)).mul(stepSize);
    }
    if (commit) {
      m[i].assign(mNext);
      v[i].assign(vNext);
      w.assign(w.sub(clipped(update)));
    }
  }
}
