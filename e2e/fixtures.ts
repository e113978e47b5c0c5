/**
 * Playwright fixtures: a page on the built app with worker logs forwarded, and a typed handle on
 * `window.playground` so tests drive exactly what the UI drives.
 */
import { test as base, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { PlaygroundApi } from '../src/app/automation';
import type { RunSnapshot } from '../src/app/runs/run-manager';

export class PlaygroundPage {
  readonly logs: string[] = [];

  constructor(readonly page: Page) {
    page.on('console', (message) => this.logs.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => this.logs.push(`pageerror: ${error.message}`));
  }

  async open(path = '/'): Promise<void> {
    await this.page.goto(path);
    await this.page.waitForFunction(() => 'playground' in window);
    await this.page.evaluate(() => window.playground.ready);
  }

  createRun(spec: unknown, options?: { start?: boolean }): Promise<string> {
    return this.page.evaluate(({ s, o }) => window.playground.createRun(s, o), {
      s: spec,
      o: options,
    });
  }

  call<K extends 'start' | 'pause' | 'stop' | 'dispose' | 'evaluate'>(
    method: K,
    id: string,
  ): Promise<void> {
    return this.page.evaluate(([m, runId]) => window.playground[m as K](runId), [method, id]);
  }

  step(id: string, n: number): Promise<void> {
    return this.page.evaluate(([runId, count]) => window.playground.step(runId, count), [
      id,
      n,
    ] as const);
  }

  getRun(id: string): Promise<RunSnapshot> {
    return this.page.evaluate((runId) => window.playground.getRun(runId), id);
  }

  waitForStep(id: string, step: number, timeoutMs: number): Promise<RunSnapshot> {
    return this.page.evaluate(([runId, s, t]) => window.playground.waitForStep(runId, s, t), [
      id,
      step,
      timeoutMs,
    ] as const);
  }

  /** Records main-thread long tasks from now on (PerformanceObserver 'longtask'). */
  async watchLongTasks(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
    });
  }

  longTasks(): Promise<number[]> {
    return this.page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  }
}

export const test = base.extend<{ playground: PlaygroundPage }>({
  playground: async ({ page }, use, testInfo) => {
    const playground = new PlaygroundPage(page);
    await use(playground);
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('console', { body: playground.logs.join('\n') });
    }
  },
});

export { expect };
export type { PlaygroundApi };

/** Mean of the first and last `n` values of a metric series. */
export function headAndTail(series: [number, number][], n: number): { head: number; tail: number } {
  const mean = (points: [number, number][]) =>
    points.reduce((sum, [, value]) => sum + value, 0) / points.length;
  return { head: mean(series.slice(0, n)), tail: mean(series.slice(-n)) };
}
