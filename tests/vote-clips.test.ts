/**
 * The classroom vote's clips (src/app/compare/vote-clips.ts): a run's own output against the real
 * clip of the same frames, or against another run's output, from the samples the workers send.
 */
import { describe, expect, it } from 'vitest';
import type { FramePanel, SampleView } from '../src/core/models/types';
import { HELD_OUT_GROUP } from '../src/protocol/sample-groups';
import { votePairs, voteMatchups } from '../src/app/compare/vote-clips';
import type { RunState } from '../src/app/state/store';

function panel(label: string, t = 4): FramePanel {
  return { label, frames: new Float32Array(t), t, height: 1, width: 1, channels: 1, timeOffset: 0 };
}

function run(id: string, views: SampleView[]): RunState {
  return { id, label: id, samples: { step: 1, views } } as unknown as RunState;
}

const heldOut = (n: number): SampleView[] =>
  Array.from({ length: n }, (_, i) => ({
    group: HELD_OUT_GROUP,
    panels: [panel(`held-out ${i}`)],
  }));

// An unconditional VGAN: generated clips only; the real ones are the held-out clips.
const vgan = run('vgan', [
  ...heldOut(3),
  { panels: [panel('Generated')] },
  { panels: [panel('Generated')] },
  { group: 'fixed-noise', panels: [panel('z1')] },
]);
// An LSTM: input, ground-truth future and predicted future per example.
const lstm = run('lstm', [
  ...heldOut(3),
  ...[0, 1, 2].map(() => ({
    panels: [panel('Input'), panel('Ground truth'), panel('Prediction')],
  })),
]);

describe('vote clips', () => {
  it('pairs a generating model with held-out clips, one pair per example', () => {
    const pairs = votePairs({ kind: 'real', run: 'vgan' }, [vgan, lstm]);
    expect(pairs.map((p) => [p.a.label, p.b.label])).toEqual([
      ['Generated', 'held-out 0'],
      ['Generated', 'held-out 1'],
    ]);
  });

  it('pairs a predicting model with the ground truth of the same frames', () => {
    const pairs = votePairs({ kind: 'real', run: 'lstm' }, [vgan, lstm]);
    expect(pairs).toHaveLength(3);
    expect(pairs.every((p) => p.a.label === 'Prediction' && p.b.label === 'Ground truth')).toBe(
      true,
    );
  });

  it('pairs two models on the examples both have, and nothing before samples', () => {
    const pairs = votePairs({ kind: 'models', a: 'vgan', b: 'lstm' }, [vgan, lstm]);
    expect(pairs.map((p) => [p.a.label, p.b.label])).toEqual([
      ['Generated', 'Prediction'],
      ['Generated', 'Prediction'],
    ]);
    const fresh = run('fresh', []);
    expect(votePairs({ kind: 'real', run: 'fresh' }, [fresh])).toEqual([]);
    expect(votePairs({ kind: 'real', run: 'gone' }, [vgan])).toEqual([]);
  });

  it('offers each run against real clips, then every two runs', () => {
    expect(voteMatchups([vgan, lstm, run('c', [])])).toEqual([
      { kind: 'real', run: 'vgan' },
      { kind: 'real', run: 'lstm' },
      { kind: 'real', run: 'c' },
      { kind: 'models', a: 'vgan', b: 'lstm' },
      { kind: 'models', a: 'vgan', b: 'c' },
      { kind: 'models', a: 'lstm', b: 'c' },
    ]);
  });
});
