/**
 * The clips of a classroom vote (src/core/eval/human-study.ts), taken from the runs' latest
 * samples: the model's output for each held-out example, and the real clip it is judged against.
 * Pure helpers over the samples the workers send.
 */
import type { FramePanel } from '../../core/models/types';
import { HELD_OUT_GROUP } from '../../protocol/sample-groups';
import type { RunState } from '../state/store';

/**
 * The panels that are a model's own output, by the labels the models give them: the VGAN's
 * generated video, the LSTM's and ConvLSTM's predicted future, the rCNN's extrapolated frames.
 */
const MODEL_OUTPUTS = ['Generated', 'Prediction', 'Extrapolated'];

/** Two clips: A is the generated one (or the first model's), B the real one (or the second's). */
export interface VotePair {
  a: FramePanel;
  b: FramePanel;
}

/** What is compared: real clips against one run's, or two runs against each other. */
export type VoteMatchup = { kind: 'real'; run: string } | { kind: 'models'; a: string; b: string };

function mainViews(run: RunState) {
  return (run.samples?.views ?? []).filter((view) => view.group === undefined);
}

/** The run's output for held-out example `example`, or null when it has none yet. */
export function modelClip(run: RunState, example: number): FramePanel | null {
  const view = mainViews(run)[example];
  return view?.panels.find((panel) => MODEL_OUTPUTS.includes(panel.label)) ?? null;
}

/**
 * The real clip a run's output for `example` is judged against: the ground truth of the same
 * frames for a model that predicts (so both clips show the same moment), otherwise the held-out
 * clip itself (an unconditional VGAN generates whole clips).
 */
export function realClip(run: RunState, example: number): FramePanel | null {
  const truth = mainViews(run)[example]?.panels.find((panel) => panel.label === 'Ground truth');
  if (truth) return truth;
  const heldOut = (run.samples?.views ?? []).filter((view) => view.group === HELD_OUT_GROUP);
  return heldOut[example]?.panels[0] ?? null;
}

/** The number of examples every run of the matchup has. */
function examples(runs: RunState[]): number {
  return Math.min(...runs.map((run) => mainViews(run).length));
}

/** The matchup's pairs, one per held-out example both sides have (empty before samples). */
export function votePairs(matchup: VoteMatchup, runs: readonly RunState[]): VotePair[] {
  const byId = (id: string) => runs.find((run) => run.id === id);
  const pairs: VotePair[] = [];
  if (matchup.kind === 'real') {
    const run = byId(matchup.run);
    if (!run) return [];
    for (let i = 0; i < examples([run]); i++) {
      const a = modelClip(run, i);
      const b = realClip(run, i);
      if (a && b) pairs.push({ a, b });
    }
  } else {
    const first = byId(matchup.a);
    const second = byId(matchup.b);
    if (!first || !second) return [];
    for (let i = 0; i < examples([first, second]); i++) {
      const a = modelClip(first, i);
      const b = modelClip(second, i);
      if (a && b) pairs.push({ a, b });
    }
  }
  return pairs;
}

/** Every matchup of the compared runs: each against real clips, then each two against each other. */
export function voteMatchups(runs: readonly RunState[]): VoteMatchup[] {
  const matchups: VoteMatchup[] = runs.map((run) => ({ kind: 'real', run: run.id }));
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      matchups.push({ kind: 'models', a: runs[i].id, b: runs[j].id });
    }
  }
  return matchups;
}
