/**
 * The pure parts of the compare and classroom views: overlaid chart rows, the evaluation log,
 * playback geometry, and the classroom guide every catalog model must have.
 */
import { describe, expect, it } from 'vitest';
import {
  dataLabel,
  evaluationSeries,
  progressSeries,
  runColor,
} from '../src/app/compare/compare-data';
import { EvaluationLog } from '../src/app/compare/evaluation-log';
import { classroomSpecs } from '../src/app/compare/experiment-actions';
import { playbackExamples, playbackLength, playbackPanels } from '../src/app/compare/playback';
import { MetricHistory, chartRows } from '../src/app/runs/metric-history';
import type { PlaygroundState, RunState } from '../src/app/state/store';
import { MODELS, MODEL_KINDS } from '../src/core/models/registry';
import type { FramePanel } from '../src/core/models/types';
import { parseRunSpec } from '../src/protocol/run-spec';
import { HELD_OUT_GROUP } from '../src/protocol/sample-groups';

function history(points: [number, number, number][], name = 'loss'): MetricHistory {
  const h = new MetricHistory();
  h.append(points.map(([step, wallMs, value]) => ({ step, wallMs, values: { [name]: value } })));
  return h;
}

const panel = (label: string, t: number, timeOffset: number): FramePanel => ({
  label,
  frames: new Float32Array(t * 4),
  t,
  height: 2,
  width: 2,
  channels: 1,
  timeOffset,
});

function runWith(views: RunState['samples'], id = 'run-1'): RunState {
  return { id, samples: views } as RunState;
}

describe('overlaid charts', () => {
  it('merges runs into rows keyed by step or by seconds, skipping non-finite values', () => {
    const a = history([
      [1, 100, 2],
      [2, 200, 1],
    ]);
    const b = history([
      [2, 500, 3],
      [3, 900, Number.NaN],
    ]);
    const series = [
      { id: 'run-1', series: a.get('loss') },
      { id: 'run-2', series: b.get('loss') },
      { id: 'run-3', series: undefined },
    ];
    expect(chartRows(series, 'step', false)).toEqual([
      { x: 1, values: { 'run-1': 2 } },
      { x: 2, values: { 'run-1': 1, 'run-2': 3 } },
    ]);
    expect(chartRows(series, 'time', false).map((row) => row.x)).toEqual([0.1, 0.2, 0.5]);
    expect(chartRows(series, 'step', false, { maxPoints: 600 })).toHaveLength(2);
  });

  it('downsamples long series to a bounded number of points', () => {
    const long = history(Array.from({ length: 5000 }, (_, i) => [i + 1, i, Math.sin(i / 50)]));
    expect(
      chartRows([{ id: 'run-1', series: long.get('loss') }], 'step', false, { maxPoints: 300 }),
    ).toHaveLength(300);
  });

  it('gives every run a progress curve (steps over time) and held-out curves by step', () => {
    const h = history([
      [1, 100, 5],
      [2, 250, 4],
      [3, 400, 3],
    ]);
    expect(progressSeries(h)).toEqual({
      steps: [1, 2, 3],
      wallMs: [100, 250, 400],
      values: [1, 2, 3],
    });
    const evals = evaluationSeries(
      [
        { step: 2, scalars: { 'future/mse': 40 } },
        { step: 3, scalars: { other: 1 } },
      ],
      'future/mse',
      h.get('loss'),
    );
    expect(evals).toEqual({ steps: [2], wallMs: [250], values: [40] });
  });

  it('names any data source, with its seed', () => {
    expect(dataLabel({ source: 'moving-mnist', seed: 7 })).toBe('Moving MNIST, data seed 7');
    expect(dataLabel(undefined)).toBe('Moving MNIST');
    expect(dataLabel({ source: 'video', seed: 1 } as never)).toBe('video, data seed 1');
  });

  it('keeps a run’s colour when other runs are removed', () => {
    expect(runColor('run-2')).toBe(runColor('run-8'));
    expect(runColor('run-1')).not.toBe(runColor('run-2'));
  });
});

describe('evaluation log', () => {
  it('records each new evaluation from the store, replacing a re-evaluation at the same step', () => {
    const log = new EvaluationLog();
    let listener: ((state: PlaygroundState, previous: PlaygroundState) => void) | null = null;
    log.attach((l) => {
      listener = l;
      return () => undefined;
    });
    const state = (scalars: Record<string, number> | null, step = 0) =>
      ({
        runs: scalars
          ? { 'run-1': { evaluation: { step, result: { scalars, perFrame: {} } } } }
          : {},
      }) as unknown as PlaygroundState;
    const s1 = state({ mse: 3 }, 10);
    listener!(s1, state(null));
    const s2 = state({ mse: 2 }, 20);
    listener!(s2, s1);
    listener!(s2, s2); // nothing new
    listener!(state({ mse: 1 }, 20), s2);
    expect(log.get('run-1')).toEqual([
      { step: 10, scalars: { mse: 3 } },
      { step: 20, scalars: { mse: 1 } },
    ]);
    listener!(state(null), s2); // the run was removed
    expect(log.get('run-1')).toEqual([]);
  });
});

describe('synchronised playback', () => {
  const lstm = runWith({
    step: 5,
    views: [
      { panels: [panel('Input', 10, 0), panel('Prediction', 10, 10)] },
      { panels: [panel('Input', 10, 0), panel('Prediction', 10, 10)] },
      { group: 'fixed-noise', panels: [panel('z1', 40, 0)] },
      { group: HELD_OUT_GROUP, panels: [panel('Held-out clip', 20, 0)] },
      { group: HELD_OUT_GROUP, panels: [panel('Held-out clip', 20, 0)] },
    ],
  });
  const vgan = runWith(
    {
      step: 3,
      views: [
        { panels: [panel('Generated', 8, 0)] },
        { group: HELD_OUT_GROUP, panels: [panel('Held-out clip', 8, 0)] },
      ],
    },
    'run-2',
  );

  it('shows the held-out clip first, then the run’s own panels for the example', () => {
    expect(playbackPanels(lstm, 1).map((p) => p.label)).toEqual([
      'Held-out clip',
      'Input',
      'Prediction',
    ]);
    expect(playbackPanels(vgan, 2).map((p) => p.label)).toEqual(['Held-out clip', 'Generated']);
    expect(playbackPanels(runWith(null), 0)).toEqual([]);
  });

  it('runs one time axis as long as the longest clip, over the examples every run has', () => {
    expect(playbackLength([lstm, vgan])).toBe(20); // the fixed-noise group is not played
    expect(playbackExamples([lstm, vgan])).toBe(1);
    expect(playbackExamples([lstm])).toBe(2);
    expect(playbackExamples([runWith(null)])).toBe(1);
  });
});

describe('classroom guides', () => {
  it('every model in the registry has one, naming its own preset and variant', () => {
    for (const entry of MODELS) {
      const guide = entry.classroom;
      expect(guide, `${entry.kind} has no classroom guide`).toBeDefined();
      expect(entry.presets.map((p) => p.id)).toContain(guide.preset);
      if (guide.variant) expect(entry.variants.map((v) => v.id)).toContain(guide.variant);
      expect(guide.explanation.length).toBeGreaterThan(80);
      expect(guide.watchFor.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('gives valid run specs on one shared data stream', () => {
    const specs = classroomSpecs();
    expect(specs.map((spec) => spec.model)).toEqual(MODEL_KINDS);
    for (const spec of specs) expect(() => parseRunSpec(spec)).not.toThrow();
    expect(new Set(specs.map((spec) => JSON.stringify(spec.data))).size).toBe(1);
  });
});
