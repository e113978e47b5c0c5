/** Chart redraws granted one at a time, round-robin, at most one per slot (chart-scheduler.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SLOT_MS, pendingRedraws, requestRedraw } from '../src/app/components/chart-scheduler';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('chart redraw scheduler', () => {
  it('grants one redraw per slot, in request order, each once', async () => {
    const granted: string[] = [];
    const chart = (name: string) => () => granted.push(`${name}@${performance.now()}`);
    const a = chart('a');
    const b = chart('b');
    const c = chart('c');
    requestRedraw(a);
    requestRedraw(b);
    requestRedraw(a); // already waiting: keeps its place, granted once
    requestRedraw(c);
    expect(pendingRedraws()).toBe(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(SLOT_MS - 1);
    expect(granted).toHaveLength(1); // the next slot has not begun
    await vi.advanceTimersByTimeAsync(3 * SLOT_MS);
    const start = Number(granted[0].split('@')[1]);
    expect(granted).toEqual([`a@${start}`, `b@${start + SLOT_MS}`, `c@${start + 2 * SLOT_MS}`]);
    expect(pendingRedraws()).toBe(0);
  });

  it('waits a slot after the last redraw and drops a cancelled request', async () => {
    const granted: string[] = [];
    await vi.advanceTimersByTimeAsync(10 * SLOT_MS);
    requestRedraw(() => {
      granted.push('first');
      const cancel = requestRedraw(() => granted.push('cancelled'));
      requestRedraw(() => granted.push('kept'));
      cancel();
    });
    await vi.advanceTimersByTimeAsync(SLOT_MS / 2);
    expect(granted).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(SLOT_MS);
    expect(granted).toEqual(['first', 'kept']);
  });
});
