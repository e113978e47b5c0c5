/**
 * Thumbnails of the first frames of held-out sequences: choosing one makes it the main example of
 * the frame view (the other shown examples move down). For image-to-video models this is how a
 * user picks the still whose futures are generated.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FramePanel } from '../../core/models/types';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { describeCommandError } from './errors';
import { panelFrameSources, prepareCanvas } from './frame-drawing';
import type { FrameSource } from './frame-drawing';

const THUMB_PX = 40;

/** The indices after choosing `chosen`: it goes first, the list keeps its length. */
export function promoteExample(current: readonly number[], chosen: number): number[] {
  const rest = current.filter((index) => index !== chosen);
  return [chosen, ...rest].slice(0, Math.max(1, current.length));
}

interface ExamplePickerProps {
  run: RunState;
  /** The model animates a still (image-to-video): the picker chooses that still. */
  stillMode: boolean;
  /** Called once the chosen sequence is the main example. */
  onChosen(): void;
}

export function ExamplePicker({ run, stillMode, onChosen }: ExamplePickerProps) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<number | null>(null);
  const stills = run.heldOut?.stills;
  const sources = useMemo(() => (stills ? panelFrameSources(stills) : []), [stills]);
  if (!stills || !run.heldOut) return null;
  const main = run.exampleIndices[0];
  const choose = (index: number) => {
    if (index === main) return;
    setPending(index);
    setError(null);
    runManager
      .chooseExamples(run.id, promoteExample(run.exampleIndices, index))
      .then(onChosen)
      .catch((reason: unknown) => setError(describeCommandError(reason)))
      .finally(() => setPending(null));
  };
  const title = stillMode ? 'Pick a still to animate' : 'Choose a held-out sequence';
  return (
    <div className="example-picker">
      <p className="example-picker-title small">
        {title}{' '}
        <span className="muted">
          (first frames of {stills.t} of the {run.heldOut.count} held-out sequences)
        </span>
      </p>
      <div className="example-picker-thumbs" role="group" aria-label={title}>
        {sources.map((source, index) => (
          <button
            key={index}
            type="button"
            className="example-thumb"
            aria-pressed={index === main}
            aria-busy={pending === index}
            aria-label={`Held-out sequence ${index + 1}`}
            title={`Held-out sequence ${index + 1}`}
            disabled={pending !== null}
            onClick={() => choose(index)}
          >
            <Thumbnail source={source} panel={stills} />
          </button>
        ))}
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function Thumbnail({ source, panel }: { source: FrameSource; panel: FramePanel }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const context = prepareCanvas(canvas, THUMB_PX, THUMB_PX, panel.height > THUMB_PX);
    context?.drawImage(source, 0, 0, THUMB_PX, THUMB_PX);
  }, [source, panel.height]);
  return <canvas ref={ref} aria-hidden="true" />;
}
