/// <reference lib="webworker" />
/** One training run per worker: wires messages to the RunHandler and forwards uncaught errors. */
import { browserEnvironment } from '../src/runtime/browser-environment';
import { commandQueue } from '../src/runtime/command-queue';
import { RunHandler } from '../src/runtime/run-handler';
import type { CommandMessage, WorkerEvent } from '../src/protocol/messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent, transfer: Transferable[] = []) =>
  scope.postMessage(event, transfer);
const handler = new RunHandler(
  post,
  browserEnvironment(new URL(import.meta.env.BASE_URL, scope.location.href).href),
);

// One at a time, in order, but a cancel or a long probe does not hold the others back.
const enqueue = commandQueue(handler);
scope.onmessage = (event: MessageEvent<CommandMessage>) => enqueue(event.data);
scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'log', level: 'error', message: String(event.reason) });
});
