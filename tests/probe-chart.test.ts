/** The few-label chart's x axis and which probes the run view charts. */
import { describe, expect, it } from 'vitest';
import { latestProbes } from '../src/app/components/ProbePanel';
import { linearMap, probeTicks } from '../src/app/components/probe-chart';
import type { ProbeReport } from '../src/protocol/probe';

describe('probeTicks', () => {
  it('puts counts on a log axis and all at the clips per class it stands for', () => {
    const ticks = probeTicks([1, 5, 10, 50, 'all'], 1000);
    expect(ticks.map((t) => t.label)).toEqual(['1', '5', '10', '50', 'all (~100)']);
    expect(ticks[0].at).toBe(0);
    expect(ticks[2].at).toBeCloseTo(1, 12);
    expect(ticks[4].at).toBeCloseTo(2, 12); // log10(1000 / 10 classes)
  });

  it('puts all at the clips per label for file labels', () => {
    const ticks = probeTicks([1, 'all'], 12, 3); // three labels, four training clips each
    expect(ticks[1].label).toBe('all (~4)');
    expect(ticks[1].at).toBeCloseTo(Math.log10(4), 12);
  });

  it('keeps all clear of the largest count when there are few clips', () => {
    const ticks = probeTicks([1, 5, 'all'], 60); // 'all' ~6 per class, next to 5
    expect(ticks[2].label).toBe('all (~6)');
    expect(ticks[2].at).toBeCloseTo(Math.log10(5) + 0.3, 12);
    expect(ticks[2].at).toBeGreaterThan(ticks[1].at);
  });
});

describe('linearMap', () => {
  it('maps the ends onto the ends, and a single value to the middle', () => {
    const y = linearMap(0, 1, 100, 20);
    expect([y(0), y(0.5), y(1)]).toEqual([100, 60, 20]);
    expect(linearMap(2, 2, 0, 10)(2)).toBe(5);
  });
});

describe('latestProbes', () => {
  const report = (mode: ProbeReport['mode'], task: ProbeReport['task'], step: number) =>
    ({ mode, task, step }) as ProbeReport;

  it('keeps the newest probe of each mode and task, newest first', () => {
    const probes = [
      report('linear', 'first-digit', 1),
      report('fine-tune', 'first-digit', 2),
      report('linear', 'first-digit', 3),
      report('linear', 'digits-present', 4),
    ];
    expect(latestProbes(probes).map((p) => p.step)).toEqual([4, 3, 2]);
  });
});
