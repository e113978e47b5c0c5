/// <reference lib="webworker" />
/** One training run per worker: wires messages to the RunHandler and forwards uncaught errors. */
import { browserEnvironment } from '../src/runtime/browser-environment';
import { RunHandler } from '../src/runtime/run-handler';
import type { CommandMessage, WorkerEvent } from '../src/protocol/messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent, transfer: Transferable[] = []) =>
  scope.postMessage(event, transfer);
const handler = new RunHandler(
  post,
  browserEnvironment(new URL(import.meta.env.BASE_URL, scope.location.href).href),
);

// Commands are handled one at a time, in order; the training loop runs between them. A cancel
// must reach the command it cancels, so it skips the queue.
let queue = Promise.resolve();
scope.onmessage = (event: MessageEvent<CommandMessage>) => {
  if (event.data.type === 'cancel') void handler.handle(event.data);
  else queue = queue.then(() => handler.handle(event.data));
};
scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'log', level: 'error', message: String(event.reason) });
});
