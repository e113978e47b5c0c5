/**
 * The parameter store every model draws its weights from: each weight is created once, under the
 * name it has in checkpoints (`encoder.0.w`, `g.fg.up1.w`, `conv0.b`, …), in a fixed order, each
 * random one from its own seed (the store's seed plus the number of weights created before it).
 * The store is what a checkpoint's weights are derived from (`checkpointEntries`): a model never
 * lists its weights a second time.
 */
import * as tf from '@tensorflow/tfjs';

/** A trainable weight and the facts the optimiser and checkpoints need. */
export interface Parameter {
  /** The weight's name in checkpoints and tests. */
  readonly name: string;
  readonly variable: tf.Variable;
  /** Whether L2 weight decay applies (where an optimiser has one). */
  readonly decay: boolean;
  /** Which optimiser trains it (e.g. a GAN's 'generator'); '' where one optimiser trains all. */
  readonly group: string;
}

export interface ParameterOptions {
  /** Default: true for random weights, false for zeros (biases). */
  decay?: boolean;
  group?: string;
}

export class ParameterStore {
  private readonly list: Parameter[] = [];

  constructor(private readonly seed: number) {}

  /** Every parameter, in the order of creation. */
  get params(): readonly Parameter[] {
    return this.list;
  }

  /** Weights ~ U(−scale, scale). */
  uniform(name: string, shape: number[], scale: number, options: ParameterOptions = {}) {
    const init = tf.randomUniform(shape, -scale, scale, 'float32', this.nextSeed());
    return this.add(name, init, { decay: true, ...options });
  }

  /** Weights ~ N(mean, std²). */
  normal(name: string, shape: number[], mean: number, std: number, options: ParameterOptions = {}) {
    const init = tf.randomNormal(shape, mean, std, 'float32', this.nextSeed());
    return this.add(name, init, { decay: true, ...options });
  }

  zeros(name: string, shape: number[], options: ParameterOptions = {}): tf.Variable {
    return this.add(name, tf.zeros(shape), { decay: false, ...options });
  }

  /** The parameters of one group (all of them for `undefined`). */
  select(group?: string): Parameter[] {
    return this.list.filter((p) => group === undefined || p.group === group);
  }

  /** The variables of one group (all of them for `undefined`), in the order of creation. */
  variables(group?: string): tf.Variable[] {
    return this.select(group).map((p) => p.variable);
  }

  /** Parameters by name, for tests. */
  named(): Map<string, tf.Variable> {
    return new Map(this.list.map((p) => [p.name, p.variable]));
  }

  /** Number of trainable values. */
  size(): number {
    return this.list.reduce((total, p) => total + p.variable.size, 0);
  }

  dispose(): void {
    tf.dispose(this.list.map((p) => p.variable));
  }

  private nextSeed(): number {
    return this.seed + this.list.length;
  }

  private add(name: string, init: tf.Tensor, options: ParameterOptions): tf.Variable {
    if (this.list.some((p) => p.name === name)) throw new Error(`Duplicate parameter ${name}`);
    const variable = tf.variable(init, true); // unnamed: tfjs makes the name unique per model
    init.dispose();
    this.list.push({ name, variable, decay: options.decay ?? false, group: options.group ?? '' });
    return variable;
  }
}

/** A checkpoint's variables: every weight under its name, then each optimiser's slots. */
export function checkpointEntries(
  store: ParameterStore,
  optimisers: readonly { slotEntries(): [string, tf.Variable][] }[],
): [string, tf.Variable][] {
  return [
    ...store.params.map((p) => [p.name, p.variable] as [string, tf.Variable]),
    ...optimisers.flatMap((o) => o.slotEntries()),
  ];
}
