/**
 * `window.playground`: the automation API. Every method does exactly what the matching UI control
 * does, through the same RunManager, so tests and console users see the real app.
 */
import type { Hyperparameters } from '../core/models/types';
import type { FeatureViewsReport, StressReport, StressTestOptions } from '../protocol/messages';
import type { NpyImportOptions, VideoImportOptions } from '../protocol/data-messages';
import type { DatasetRegistry, ExportRequest, ImportSummary } from './data/dataset-registry';
import type { RunManager, RunSnapshot } from './runs/run-manager';
import type { DatasetInfo } from './state/datasets';
import type { ProbeReport, ProbeRequest } from '../protocol/probe';
import { experimentApi } from './compare/api';
import type { ExperimentApi } from './compare/api';

import { checkpointActions } from './checkpoints/actions';
import type { CheckpointApi } from './checkpoints/actions';

export interface PlaygroundApi extends ExperimentApi, CheckpointApi {
  ready: Promise<void>;
  /** Resolves once the run is ready; with `{ start: true }` it is then training (Create & start). */
  createRun(spec: unknown, options?: { start?: boolean }): Promise<string>;
  start(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  step(id: string, n?: number): Promise<void>;
  stop(id: string): Promise<void>;
  evaluate(id: string): Promise<void>;
  /**
   * Stress tests (Srivastava et al.) of a future predictor trained on Moving MNIST: one digit
   * fewer and one more than in training, and a rollout past the trained horizon (default 3×),
   * each beside the in-domain score and the copy-last-frame and optical-flow baselines.
   */
  stressTest(id: string, options?: StressTestOptions): Promise<StressReport>;
  dispose(id: string): Promise<void>;
  setHyperparameters(id: string, values: Hyperparameters): Promise<void>;
  /** Which held-out sequences the samples show (up to 3; the first is the main example). */
  chooseExamples(id: string, indices: number[]): Promise<void>;
  cancel(id: string): Promise<void>;
  getRun(id: string): RunSnapshot;
  listRuns(): string[];
  waitForStep(id: string, step: number, timeoutMs?: number): Promise<RunSnapshot>;
  /**
   * Probes the run's features against random initialisation: scores at each number of labelled
   * clips per class, pretrained and random (and for a linear probe, the clips' mean frame), with
   * the chance level. A running run keeps training.
   */
  probe(id: string, request?: ProbeRequest): Promise<ProbeReport>;
  /**
   * Feature views of the run's model as it is now: its weights as pictures and the units that
   * respond most to a held-out clip (`clip`: index in the held-out set, default the main example).
   */
  featureViews(id: string, options?: { clip?: number }): Promise<FeatureViewsReport>;
  /** Decodes a video into a new dataset (or appends it to `options.appendTo`). */
  importVideo(file: Blob, options?: VideoImportOptions): Promise<ImportSummary>;
  /** Reads a uint8 .npy array ([T, N, H, W] by default, or [N, T, H, W]) into a dataset. */
  importNpy(file: Blob, options?: NpyImportOptions): Promise<ImportSummary>;
  listDatasets(): DatasetInfo[];
  /** Sets the class of a dataset's file `file` (its index in `files`; '' = unlabelled). */
  setLabel(datasetId: string, file: number, label: string): DatasetInfo;
  removeDataset(id: string): void;
  /** A .npy file of a dataset, or of a Moving MNIST set generated in the data worker. */
  exportNpy(request: ExportRequest): Promise<Blob>;
  /**
   * The labels of the sequences exportNpy writes for the same dataset and length, one per line
   * (blank = unlabelled), for importNpy's `labels`; null when the dataset has none.
   */
  exportLabels(request: { datasetId: string; length?: number }): Blob | null;
}

declare global {
  interface Window {
    playground: PlaygroundApi;
  }
}

export function installAutomationApi(
  manager: RunManager,
  ready: Promise<void>,
  datasets: DatasetRegistry,
): PlaygroundApi {
  const api: PlaygroundApi = {
    ready,
    createRun: (spec, options) => manager.createRun(spec, options),
    start: (id) => manager.start(id),
    pause: (id) => manager.pause(id),
    step: (id, n) => manager.step(id, n),
    stop: (id) => manager.stop(id),
    evaluate: (id) => manager.evaluate(id),
    stressTest: (id, options) => manager.stressTest(id, options),
    dispose: (id) => manager.dispose(id),
    setHyperparameters: (id, values) => manager.setHyperparameters(id, values),
    chooseExamples: (id, indices) => manager.chooseExamples(id, indices),
    cancel: (id) => manager.cancel(id),
    getRun: (id) => manager.getRun(id),
    listRuns: () => manager.listRuns(),
    waitForStep: (id, step, timeoutMs) => manager.waitForStep(id, step, timeoutMs),
    probe: (id, request) => manager.probe(id, request),
    featureViews: (id, options) => manager.featureViews(id, options),
    importVideo: (file, options) => datasets.importVideo(file, options),
    importNpy: (file, options) => datasets.importNpy(file, options),
    listDatasets: () => datasets.list(),
    setLabel: (datasetId, file, label) => datasets.setLabel(datasetId, file, label),
    removeDataset: (id) => datasets.remove(id),
    exportNpy: (request) => datasets.exportNpy(request),
    exportLabels: (request) => datasets.exportLabels(request),
    ...experimentApi(manager),
    ...checkpointActions(manager),
  };
  window.playground = api;
  return api;
}
