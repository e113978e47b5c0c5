/**
 * The app's side of the data worker: one module worker, started on first use, commands answered
 * by promises, progress delivered to a callback. A crashed worker fails its requests and is
 * replaced on the next one.
 */
import { commandTransferables } from '../../protocol/data-messages';
import type {
  DataCommand,
  DataCommandMessage,
  DataEvent,
  DataResult,
} from '../../protocol/data-messages';

/** Commands the worker does not answer: a recording's frames and its stop. */
export type DataNotice = Extract<DataCommand, { type: 'record-frame' | 'record-stop' }>;

export type DataProgress = Extract<DataEvent, { type: 'progress' }>;

export class DataRequestError extends Error {
  constructor(
    message: string,
    readonly cancelled: boolean,
  ) {
    super(message);
    this.name = 'DataRequestError';
  }
}

interface Pending {
  resolve(result: DataResult): void;
  reject(error: Error): void;
  onProgress?(progress: DataProgress): void;
}

export class DataClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;

  constructor(private readonly createWorker: () => Worker) {}

  /** Sends a command; `requestId` identifies it for `cancel`. */
  request(
    command: Exclude<DataCommand, { type: 'cancel' } | DataNotice>,
    onProgress?: (progress: DataProgress) => void,
  ): { requestId: number; result: Promise<DataResult> } {
    const requestId = this.nextRequestId++;
    const result = new Promise<DataResult>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, onProgress });
    });
    const message: DataCommandMessage = { ...command, requestId };
    this.ensureWorker().postMessage(message);
    return { requestId, result };
  }

  /** Sends a command that is not answered, transferring a camera frame rather than copying it. */
  notify(command: DataNotice): void {
    if (!this.pending.has(command.target) || !this.worker) {
      if (command.type === 'record-frame') command.frame.close();
      return;
    }
    const message: DataCommandMessage = { ...command, requestId: 0 };
    this.worker.postMessage(message, commandTransferables(command));
  }

  cancel(requestId: number): void {
    if (!this.pending.has(requestId) || !this.worker) return;
    const message: DataCommandMessage = { type: 'cancel', target: requestId, requestId: 0 };
    this.worker.postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<DataEvent>) => this.onEvent(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      const message = `The data worker crashed: ${event.message || 'unknown error'}`;
      for (const pending of this.pending.values())
        pending.reject(new DataRequestError(message, false));
      this.pending.clear();
      worker.terminate();
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }

  private onEvent(event: DataEvent): void {
    const pending = this.pending.get(event.requestId);
    if (!pending) return;
    switch (event.type) {
      case 'progress':
        pending.onProgress?.(event);
        return;
      case 'result':
        this.pending.delete(event.requestId);
        pending.resolve(event.result);
        return;
      case 'failed':
        this.pending.delete(event.requestId);
        pending.reject(new DataRequestError(event.message, event.cancelled));
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`Unknown data event ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
