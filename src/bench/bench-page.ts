/**
 * bench.html: `window.runBenchmark(task)` runs a benchmark task in a fresh worker;
 * `window.bareLoops` hold bare training loops, each in its own worker, between segments. Both for
 * scripts/bench.mjs.
 */
import type { BareLoopPlan, BareLoopRequest, BenchTask } from './run-plan';

declare global {
  interface Window {
    runBenchmark(task: BenchTask): Promise<unknown>;
    /** Bare training loops by name, each in its own worker. */
    bareLoops: {
      open(name: string, plan: BareLoopPlan): Promise<void>;
      /** Trains `steps` steps; the end time of each (ms after the segment began). */
      train(name: string, steps: number): Promise<number[]>;
      close(name: string): void;
    };
  }
}

type WorkerReply =
  | { type: 'progress'; line: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; message: string };

const log = document.getElementById('log');

/** Posts `message` and resolves with the worker's next result (logging its progress lines). */
function request<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.type === 'progress') {
        console.log(reply.line);
        if (log) log.textContent += `${reply.line}\n`;
      } else if (reply.type === 'done') resolve(reply.result as T);
      else reject(new Error(reply.message));
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(message);
  });
}

window.runBenchmark = async (task) => {
  const worker = new Worker(new URL('../../workers/bench.worker.ts', import.meta.url), {
    type: 'module',
  });
  try {
    return await request(worker, task);
  } finally {
    worker.terminate();
  }
};

const bareWorkers = new Map<string, Worker>();
window.bareLoops = {
  async open(name, plan) {
    window.bareLoops.close(name);
    const worker = new Worker(new URL('../../workers/bare-loop.worker.ts', import.meta.url), {
      type: 'module',
    });
    bareWorkers.set(name, worker);
    await request<null>(worker, { type: 'open', plan } satisfies BareLoopRequest);
  },
  train(name, steps) {
    const worker = bareWorkers.get(name);
    if (!worker) return Promise.reject(new Error(`bare loop ${name} is not open`));
    return request<number[]>(worker, { type: 'train', steps } satisfies BareLoopRequest);
  },
  close(name) {
    bareWorkers.get(name)?.terminate();
    bareWorkers.delete(name);
  },
};
