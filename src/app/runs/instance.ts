/** The app's single RunManager: one module worker per run. */
import { datasetRegistry } from '../data/instance';
import { RunManager } from './run-manager';

export const runManager = new RunManager(
  () =>
    new Worker(new URL('../../../workers/run.worker.ts', import.meta.url), {
      type: 'module',
      name: 'run',
    }),
  datasetRegistry,
);
