/**
 * The bookkeeping every model shares, so that a model file holds its paper's math: the parameter
 * store its weights come from, its optimisers and its live hyperparameters, and from them the
 * `VideoModel` methods that only report or restore them — hyperparameters, parameter count,
 * the state the trainer checks, checkpoint variables (weights, then every optimiser's slots) and the order of saving and
 * restoring a state, named parameters for tests, disposal and the check that a disposed model is
 * not used.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  assignStateTensors,
  checkStateTensors,
  restoreHyperparameters,
  snapshotTensors,
} from '../state';
import type { TensorSlot } from '../state';
import type { Hyperparameters, ModelState, StateTensor } from '../types';
import type { LiveSettings } from './live-settings';
import type { Optimiser } from './optimiser';
import { ParameterStore, checkpointEntries } from './params';

export abstract class TrainableModel<K extends string> {
  /** Every weight, created by the model's networks in a fixed order from the model's seed. */
  protected readonly store: ParameterStore;
  /** The optimisers, set by the model's constructor; each trains a group of the store. */
  protected abstract readonly optimisers: readonly Optimiser[];
  /** The live hyperparameters, set by the model's constructor. */
  protected abstract readonly settings: LiveSettings<K>;
  private disposed = false;

  /** `name`: the model's name in errors ('LSTM', 'VGAN', …). */
  constructor(
    seed: number,
    private readonly name: string,
  ) {
    this.store = new ParameterStore(seed);
  }

  getHyperparameters(): Hyperparameters {
    return this.settings.get();
  }

  /** Validates every value against the config schema first; throws a ConfigError naming the key. */
  setHyperparameters(values: Hyperparameters): void {
    this.settings.set(values);
  }

  parameterCount(): number {
    return this.store.size();
  }

  /**
   * The tensors training changes, as held now: every weight under its name, then each
   * optimiser's current entries (packed Adam moments stay packed; see `Optimiser.currentEntries`).
   */
  stateVariables(): [string, tf.Variable][] {
    return [
      ...this.store.params.map((p) => [p.name, p.variable] as [string, tf.Variable]),
      ...this.optimisers.flatMap((o) => o.currentEntries()),
    ];
  }

  /** The checkpoint's variables: every weight under its name, then `optimizer.<slot>.<name>`. */
  private checkpointVariables(): [string, tf.Variable][] {
    return checkpointEntries(this.store, this.optimisers);
  }

  /**
   * A state (see `VideoModel.exportState`): the checkpoint variables and `tensors` (the model's
   * own, e.g. fixed codes), read back now; `meta` with the live hyperparameters added.
   */
  protected saveState(
    meta: Record<string, unknown>,
    tensors: ReadonlyArray<readonly [string, tf.Tensor]> = [],
    plain: Record<string, StateTensor> = {},
  ): Promise<ModelState> {
    this.assertLive();
    const all = { ...meta, hyperparameters: this.getHyperparameters() };
    return snapshotTensors([...this.checkpointVariables(), ...tensors]).then((read) => ({
      tensors: { ...read, ...plain },
      meta: all,
    }));
  }

  /**
   * Restores a state all or nothing: the tensors are checked against the checkpoint variables and
   * `slots` (the model's own), then `check` validates the model's meta (throwing a
   * CheckpointError) and returns what applies it; the live hyperparameters are the last check.
   * Only then is anything assigned: the model's own state, then the variables.
   */
  protected restoreState(
    state: ModelState,
    slots: ReadonlyArray<readonly [string, TensorSlot]>,
    check: () => () => void,
  ): void {
    this.assertLive();
    const entries = this.checkpointVariables();
    checkStateTensors(state, [...entries, ...slots], this.name);
    const apply = check();
    restoreHyperparameters(this, state.meta);
    apply();
    assignStateTensors(state, entries);
  }

  /** Parameters by name (e.g. `encoder.0.w`), for tests. */
  namedParameters(): Map<string, tf.Variable> {
    return this.store.named();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.dispose();
    this.optimisers.forEach((optimiser) => optimiser.dispose());
    this.disposeOwn();
  }

  /** Frees what the model holds besides weights and optimiser slots (none by default). */
  protected disposeOwn(): void {}

  protected assertLive(): void {
    if (this.disposed) throw new Error(`This ${this.name} model has been disposed`);
  }
}
