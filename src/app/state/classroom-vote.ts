/**
 * The classroom vote of the presentation view, kept outside its component so that a vote in
 * progress and its results survive switching views (the presentation view unmounts meanwhile).
 */
import { create } from 'zustand';
import type { VoteChoice } from '../../core/eval/human-study';
import type { VoteMatchup, VotePair } from '../compare/vote-clips';

/** A vote in progress: the frozen pairs, whose turn it is and the votes cast. */
export interface Vote {
  matchup: VoteMatchup;
  names: [string, string]; // what A and B are
  pairs: VotePair[];
  seed: number;
  round: number; // the voter (0, 1, …)
  position: number; // the pair on screen in this round
  votes: VoteChoice[];
}

interface ClassroomVoteState {
  choice: number; // index into the matchups offered
  seedText: string;
  vote: Vote | null;
  showResults: boolean;
  update(patch: Partial<Omit<ClassroomVoteState, 'update' | 'reset'>>): void;
  reset(): void;
}

const INITIAL = { choice: 0, seedText: '1', vote: null, showResults: false };

export const useClassroomVote = create<ClassroomVoteState>((set) => ({
  ...INITIAL,
  update: (patch) => set(patch),
  reset: () => set(INITIAL),
}));
