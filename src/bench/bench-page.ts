/** bench.html: runs a benchmark task in a fresh worker; `window.runBenchmark(task)` for the CLI. */
import type { BenchTask } from './run-plan';

declare global {
  interface Window {
    runBenchmark(task: BenchTask): Promise<unknown>;
  }
}

const log = document.getElementById('log');

window.runBenchmark = (task) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../workers/bench.worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = (event) => {
      const message = event.data as
        | { type: 'progress'; line: string }
        | { type: 'done'; result: unknown }
        | { type: 'failed'; message: string };
      if (message.type === 'progress') {
        console.log(message.line);
        if (log) log.textContent += `${message.line}\n`;
      } else if (message.type === 'done') {
        worker.terminate();
        resolve(message.result);
      } else {
        worker.terminate();
        reject(new Error(message.message));
      }
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(task);
  });
