import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take half a minute or more on two cores, longest first. Vitest starts the largest
 * files first when it has no timings of its own (a fresh clone, as in CI), and a long file that
 * starts last runs alone at the end: the shipped-examples probe did, for about 110 s of a 466-s run.
 */
const LONGEST_FIRST = [
  'shipped-examples-probe',
  'checkpoint-resume',
  'hardware-paths',
  'convlstm-model',
  'step-work',
  'checkpoint-files',
];
for (const name of LONGEST_FIRST) {
  if (!existsSync(new URL(`tests/${name}.test.ts`, import.meta.url)))
    throw new Error(`LONGEST_FIRST: no tests/${name}.test.ts`);
}

/** Vitest's order, with the files of LONGEST_FIRST moved to the front in that order. */
class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => file.moduleId.endsWith(`/tests/${name}.test.ts`));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return sorted
      .map((file, order) => ({ file, order, rank: rank(file) }))
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .map(({ file }) => file);
  }
}

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps global engine state: one file per process keeps tests independent.
    pool: 'forks',
    // One file per core: most files spend their time in one thread (tfjs's CPU backend), and
    // Vitest's default of cores − 1 runs them one at a time on a two-core machine.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: LongestFirstSequencer },
  },
});
