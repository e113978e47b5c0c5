/// <reference lib="webworker" />
/**
 * Benchmark worker holding one bare training loop (the app-overhead baseline): `open` prepares
 * it, each `train` runs a segment of steps and posts their end times.
 */
import { openBareLoopOn } from '../src/bench/run-plan';
import type { BareLoopRequest } from '../src/bench/run-plan';
import type { BareLoop } from '../src/core/train/benchmark';
import { browserEnvironment } from '../src/runtime/browser-environment';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let loop: BareLoop | null = null;

scope.onmessage = async (event: MessageEvent<BareLoopRequest>) => {
  const request = event.data;
  try {
    if (request.type === 'open') {
      const base = new URL(import.meta.env.BASE_URL, scope.location.href).href;
      loop = await openBareLoopOn(request.plan, browserEnvironment(base));
      scope.postMessage({ type: 'done', result: null });
    } else {
      if (!loop) throw new Error('the bare loop is not open');
      scope.postMessage({ type: 'done', result: await loop.train(request.steps) });
    }
  } catch (error) {
    scope.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
