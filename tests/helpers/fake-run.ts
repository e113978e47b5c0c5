/** Drives a RunHandler in Node the way a worker would, recording every event it posts. */
import type { MnistDigits, MnistImages, MnistLabels } from '../../src/core/data/mnist';
import type { CommandMessage, MetricPoint, WorkerEvent } from '../../src/protocol/messages';
import type { Command } from '../../src/protocol/messages';
import { RunHandler } from '../../src/runtime/run-handler';
import type { RunEnvironment } from '../../src/runtime/run-handler';

/** Random 28×28 "digits": enough for runtime tests that do not care about the pictures. */
export function fakeDigits(count = 32): MnistDigits {
  const images = (): MnistImages => {
    const pixels = new Uint8Array(count * 28 * 28);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) % 7 === 0 ? 255 : 0;
    return { count, rows: 28, cols: 28, pixels };
  };
  return { train: images(), test: images() };
}

export interface FakeRunOptions {
  /**
   * Deliver events as `postMessage` does: a structured clone that takes ownership of the
   * transferred buffers (the worker's copies are detached). Off: events are recorded as posted.
   */
  transfer?: boolean;
  /** The digits' classes, for probes (without them the environment has none). */
  labels?: { train: MnistLabels; test: MnistLabels };
}

export class FakeRun {
  readonly events: WorkerEvent[] = [];
  /** The transfer list posted with each recorded event (empty when none). */
  readonly transfers = new Map<WorkerEvent, Transferable[]>();
  readonly handler: RunHandler;
  private requestId = 0;

  constructor(digits: MnistDigits = fakeDigits(), options: FakeRunOptions = {}) {
    const environment: RunEnvironment = {
      loadMnist: async () => digits,
      now: () => performance.now(),
      ...(options.labels ? { loadMnistLabels: async () => options.labels! } : {}),
    };
    const post = (event: WorkerEvent, transfer: Transferable[] = []) => {
      const delivered =
        options.transfer && transfer.length > 0 ? structuredClone(event, { transfer }) : event;
      this.transfers.set(delivered, transfer);
      this.events.push(delivered);
    };
    this.handler = new RunHandler(post, environment);
  }

  /** Sends a command and returns the worker's reply to it. */
  async send(command: Command): Promise<WorkerEvent & { type: 'reply' }> {
    const requestId = ++this.requestId;
    await this.handler.handle({ ...command, requestId } as CommandMessage);
    const reply = this.events.find(
      (event): event is WorkerEvent & { type: 'reply' } =>
        event.type === 'reply' && event.requestId === requestId,
    );
    if (!reply) throw new Error(`no reply to ${command.type}`);
    return reply;
  }

  of<T extends WorkerEvent['type']>(type: T): Extract<WorkerEvent, { type: T }>[] {
    return this.events.filter(
      (event): event is Extract<WorkerEvent, { type: T }> => event.type === type,
    );
  }

  lastStatus(): string | undefined {
    return this.of('status').at(-1)?.status;
  }

  /** Every metric point reported so far, in step order. */
  points(): MetricPoint[] {
    return this.of('metrics').flatMap((event) => event.points);
  }

  /** Trains `n` steps and waits until the run is paused again. */
  async train(n: number): Promise<void> {
    const before = this.points().length;
    const reply = await this.send({ type: 'step', n });
    if (!reply.ok) throw new Error(reply.error.message);
    await this.until(() => this.points().length === before + n && this.lastStatus() === 'paused');
  }

  /** The run's checkpoint, as the worker writes it. */
  async exportCheckpoint(): Promise<Uint8Array> {
    const reply = await this.send({ type: 'export-checkpoint' });
    if (!reply.ok) throw new Error(reply.error.message);
    if (reply.value?.type !== 'checkpoint') throw new Error('the reply holds no checkpoint');
    return new Uint8Array(reply.value.bytes);
  }

  /** Waits until the handler reports `status` (the training loop runs between macrotasks). */
  async until(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the run');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
