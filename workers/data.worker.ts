/// <reference lib="webworker" />
/** The data worker: decodes videos, reads and writes .npy arrays, generates Moving MNIST sets. */
import { browserEnvironment } from '../src/runtime/browser-environment';
import { DataHandler } from '../src/runtime/data-handler';
import { openWithMediabunny } from '../src/runtime/mediabunny-source';
import type { DataCommandMessage, DataEvent } from '../src/protocol/data-messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const environment = browserEnvironment(new URL(import.meta.env.BASE_URL, scope.location.href).href);
const handler = new DataHandler(
  (event: DataEvent, transfer: Transferable[] = []) => scope.postMessage(event, transfer),
  {
    openVideo: openWithMediabunny,
    loadMnist: () => environment.loadMnist(() => {}),
    now: () => performance.now(),
  },
);

// Work runs one request at a time, in order; a cancel takes effect at once, between frames.
let queue = Promise.resolve();
scope.onmessage = (event: MessageEvent<DataCommandMessage>) => {
  const message = event.data;
  if (message.type === 'cancel') handler.cancel(message.target);
  else queue = queue.then(() => handler.handle(message));
};
