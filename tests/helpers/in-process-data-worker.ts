/**
 * The app's dataset registry over the real data-worker handler, in this process: imports of .npy
 * arrays (and their labels) go through the code the app runs. Videos cannot be decoded here.
 */
import { DataClient } from '../../src/app/data/data-client';
import { DatasetRegistry } from '../../src/app/data/dataset-registry';
import type { DataCommandMessage, DataEvent } from '../../src/protocol/data-messages';
import { DataHandler } from '../../src/runtime/data-handler';
import { fakeDigits } from './fake-run';

/** The data worker's handler behind `postMessage`, as DataClient expects. */
class InProcessDataWorker {
  onmessage: ((event: MessageEvent<DataEvent>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  private readonly handler = new DataHandler(
    (event) => setTimeout(() => this.onmessage?.({ data: event } as MessageEvent<DataEvent>)),
    {
      openVideo: async () => {
        throw new Error('no videos here');
      },
      loadMnist: async () => fakeDigits(),
      now: () => performance.now(),
    },
  );

  postMessage(message: DataCommandMessage): void {
    if (message.type === 'cancel') this.handler.cancel(message.target);
    else void this.handler.handle(message);
  }

  terminate(): void {}
}

export function inProcessDatasetRegistry(): DatasetRegistry {
  return new DatasetRegistry(new DataClient(() => new InProcessDataWorker() as unknown as Worker));
}
