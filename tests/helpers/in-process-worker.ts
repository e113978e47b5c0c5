/**
 * A stand-in for a run's Web Worker in Node: the real RunHandler behind `postMessage`, events
 * delivered asynchronously as structured clones (transferring buffers), as a worker delivers them.
 * `crash()` fires `onerror` as a worker whose script died would.
 */
import type { MnistDigits } from '../../src/core/data/mnist';
import type { CommandMessage, WorkerEvent } from '../../src/protocol/messages';
import { RunHandler } from '../../src/runtime/run-handler';
import { fakeDigits } from './fake-run';

export class InProcessWorker {
  onmessage: ((event: MessageEvent<WorkerEvent>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  private readonly handler: RunHandler;
  private queue = Promise.resolve();
  private dead = false;

  constructor(digits: MnistDigits = fakeDigits()) {
    this.handler = new RunHandler(
      (event, transfer = []) => {
        if (this.dead) return;
        const copy = structuredClone(event, { transfer });
        setTimeout(() => {
          if (!this.dead) this.onmessage?.({ data: copy } as MessageEvent<WorkerEvent>);
        });
      },
      { loadMnist: async () => digits, now: () => performance.now() },
    );
  }

  postMessage(message: CommandMessage): void {
    if (this.dead) return;
    this.queue = this.queue.then(() => this.handler.handle(message));
  }

  terminate(): void {
    if (this.dead) return;
    this.dead = true;
    void this.queue.then(() => this.handler.handle({ type: 'dispose', requestId: -1 }));
  }

  /** The worker dies: its loop stops and the app sees an error event. */
  crash(message: string): void {
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
    this.terminate();
  }
}
