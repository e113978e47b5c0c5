/** The shipped example checkpoints, loaded once per component that lists them. */
import { useEffect, useState } from 'react';
import { describeCommandError } from '../components/errors';
import { loadExampleList } from './examples';
import type { ExampleCheckpoint } from './examples';

export function useExampleCheckpoints(): {
  examples: ExampleCheckpoint[] | null;
  error: string | null;
} {
  const [examples, setExamples] = useState<ExampleCheckpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    loadExampleList()
      .then((list) => live && setExamples(list))
      .catch((failure: unknown) => live && setError(describeCommandError(failure)));
    return () => {
      live = false;
    };
  }, []);
  return { examples, error };
}
