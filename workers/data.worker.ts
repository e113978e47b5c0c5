/// <reference lib="webworker" />
/** The data worker: decodes videos, reads and writes .npy arrays, generates Moving MNIST sets. */
import { browserEnvironment } from '../src/runtime/browser-environment';
import { drawBitmap } from '../src/runtime/canvas-frames';
import { DataHandler } from '../src/runtime/data-handler';
import { openWithMediabunny } from '../src/runtime/mediabunny-source';
import { isImmediateCommand } from '../src/protocol/data-messages';
import type { DataCommandMessage, DataEvent } from '../src/protocol/data-messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const environment = browserEnvironment(new URL(import.meta.env.BASE_URL, scope.location.href).href);
const handler = new DataHandler(
  (event: DataEvent, transfer: Transferable[] = []) => scope.postMessage(event, transfer),
  {
    openVideo: openWithMediabunny,
    drawCameraFrame: drawBitmap,
    loadMnist: () => environment.loadMnist(() => {}),
    now: () => performance.now(),
  },
);

// Work runs one request at a time, in order; a cancel and a webcam recording's messages take
// effect at once, beside it.
let queue = Promise.resolve();
scope.onmessage = (event: MessageEvent<DataCommandMessage>) => {
  const message = event.data;
  if (message.type === 'cancel') handler.cancel(message.target);
  else if (isImmediateCommand(message)) void handler.handle(message);
  else queue = queue.then(() => handler.handle(message));
};
