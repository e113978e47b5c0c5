/** The app's single dataset registry and its data worker. */
import { DataClient } from './data-client';
import { DatasetRegistry } from './dataset-registry';

export const datasetRegistry = new DatasetRegistry(
  new DataClient(
    () =>
      new Worker(new URL('../../../workers/data.worker.ts', import.meta.url), {
        type: 'module',
        name: 'data',
      }),
  ),
);
