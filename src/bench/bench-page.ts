/** bench.html: runs a BenchPlan in a worker and exposes `window.runBenchmark(plan)` to the CLI. */
import type { BenchPlan, BenchResult } from './run-plan';

declare global {
  interface Window {
    runBenchmark(plan: BenchPlan): Promise<BenchResult>;
  }
}

const log = document.getElementById('log');

window.runBenchmark = (plan) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../workers/bench.worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = (event) => {
      const message = event.data as
        | { type: 'progress'; line: string }
        | { type: 'done'; result: BenchResult }
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
    worker.postMessage(plan);
  });
