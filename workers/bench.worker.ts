/// <reference lib="webworker" />
/** Benchmark worker: runs the requested model × preset × backend cells and posts the rows. */
import { runBenchmarkPlan } from '../src/bench/run-plan';
import type { BenchPlan } from '../src/bench/run-plan';
import { browserEnvironment } from '../src/runtime/browser-environment';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<BenchPlan>) => {
  const environment = browserEnvironment(
    new URL(import.meta.env.BASE_URL, scope.location.href).href,
  );
  try {
    const result = await runBenchmarkPlan(event.data, environment, (line) =>
      scope.postMessage({ type: 'progress', line }),
    );
    scope.postMessage({ type: 'done', result });
  } catch (error) {
    scope.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
