/**
 * `window.playground`: the automation API. Every method does exactly what the matching UI control
 * does, through the same RunManager, so tests and console users see the real app.
 */
import type { Hyperparameters } from '../core/models/types';
import type { RunManager, RunSnapshot } from './runs/run-manager';

export interface PlaygroundApi {
  ready: Promise<void>;
  createRun(spec: unknown): Promise<string>;
  start(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  step(id: string, n?: number): Promise<void>;
  stop(id: string): Promise<void>;
  evaluate(id: string): Promise<void>;
  dispose(id: string): Promise<void>;
  setHyperparameters(id: string, values: Hyperparameters): Promise<void>;
  cancel(id: string): Promise<void>;
  getRun(id: string): RunSnapshot;
  listRuns(): string[];
  waitForStep(id: string, step: number, timeoutMs?: number): Promise<RunSnapshot>;
}

declare global {
  interface Window {
    playground: PlaygroundApi;
  }
}

export function installAutomationApi(manager: RunManager, ready: Promise<void>): PlaygroundApi {
  const api: PlaygroundApi = {
    ready,
    createRun: (spec) => manager.createRun(spec),
    start: (id) => manager.start(id),
    pause: (id) => manager.pause(id),
    step: (id, n) => manager.step(id, n),
    stop: (id) => manager.stop(id),
    evaluate: (id) => manager.evaluate(id),
    dispose: (id) => manager.dispose(id),
    setHyperparameters: (id, values) => manager.setHyperparameters(id, values),
    cancel: (id) => manager.cancel(id),
    getRun: (id) => manager.getRun(id),
    listRuns: () => manager.listRuns(),
    waitForStep: (id, step, timeoutMs) => manager.waitForStep(id, step, timeoutMs),
  };
  window.playground = api;
  return api;
}
