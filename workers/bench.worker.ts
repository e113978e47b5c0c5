/// <reference lib="webworker" />
/** Benchmark worker: runs one benchmark task (see src/bench/run-plan.ts) and posts its result. */
import { runBenchmarkPlan, runMemoryCheck } from '../src/bench/run-plan';
import type { BenchTask } from '../src/bench/run-plan';
import { browserEnvironment } from '../src/runtime/browser-environment';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<BenchTask>) => {
  const environment = browserEnvironment(
    new URL(import.meta.env.BASE_URL, scope.location.href).href,
  );
  const log = (line: string) => scope.postMessage({ type: 'progress', line });
  try {
    const task = event.data;
    const result =
      task.task === 'cells'
        ? await runBenchmarkPlan(task.plan, environment, log)
        : await runMemoryCheck(task.plan, environment);
    scope.postMessage({ type: 'done', result });
  } catch (error) {
    scope.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
