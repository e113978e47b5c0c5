/**
 * Which backend and adapter a run trains on, with warnings for software adapters and fallbacks,
 * and the timings behind the choice when the run picked the fastest backend itself.
 */
import type { BackendChoice, BackendReport } from '../../protocol/messages';
import { BACKEND_LABELS, formatMs } from './format';

interface BackendBadgeProps {
  backend: BackendReport | null;
  /** The run failed before it reported a backend. */
  failed?: boolean;
}

export function BackendBadge({ backend, failed = false }: BackendBadgeProps) {
  if (!backend) {
    return (
      <div className="backend-badge" data-testid="backend-badge">
        <span className="badge badge-pending">
          {failed ? 'Backend not reported' : 'Selecting backend…'}
        </span>
      </div>
    );
  }
  const name = BACKEND_LABELS[backend.backend];
  const adapter = backend.adapter;
  const details = adapter
    ? [adapter.description, adapter.vendor, adapter.architecture]
        .filter((part, i, parts) => part && parts.indexOf(part) === i)
        .join(' · ')
    : null;
  return (
    <div className="backend-badge" data-testid="backend-badge">
      <span className={`badge badge-backend badge-${backend.backend}`}>{name}</span>
      {details ? <span className="adapter-description">{details}</span> : null}
      {backend.choice ? <BackendChoiceNote choice={backend.choice} /> : null}
      {adapter?.isSoftware ? (
        <p className="inline-warning">
          <span aria-hidden="true">⚠ </span>
          Software {name} adapter ({adapter.description || 'CPU emulation'}): expect slow training
        </p>
      ) : null}
      {backend.fallbacks.length > 0 ? (
        <p className="inline-note">
          {backend.fallbacks
            .map(
              (fallback) => `${BACKEND_LABELS[fallback.backend]} unavailable: ${fallback.reason}`,
            )
            .join('; ')}
          , using {name}
        </p>
      ) : null}
    </div>
  );
}

function BackendChoiceNote({ choice }: { choice: BackendChoice }) {
  const picked = BACKEND_LABELS[choice.picked];
  const startedOn = choice.startedOn ? BACKEND_LABELS[choice.startedOn] : null;
  let outcome;
  if (choice.pending && choice.trials.length === 0) {
    outcome = <>Training on {startedOn} meanwhile.</>;
  } else if (choice.pending) {
    outcome = (
      <>
        It starts on {startedOn}, which compiles no kernels, and moves to <strong>{picked}</strong>{' '}
        after its first step.
      </>
    );
  } else {
    const timed = choice.trials.filter((trial) => trial.msPerStep !== null);
    const fastest = timed.reduce<(typeof timed)[number] | null>(
      (best, trial) => (best === null || trial.msPerStep! < best.msPerStep! ? trial : best),
      null,
    );
    const nearTie = fastest !== null && fastest.backend !== choice.picked;
    outcome = (
      <>
        Using <strong>{picked}</strong>
        {nearTie
          ? `: ${BACKEND_LABELS[fastest.backend]} measured a little faster, too little to switch`
          : ', the fastest'}
        {choice.switchedAtStep !== undefined
          ? `, since step ${choice.switchedAtStep} (it trained on ${startedOn} before)`
          : ''}{' '}
        (the Backend field of a new run overrides this).
      </>
    );
  }
  return (
    <div className="inline-note backend-choice" data-testid="backend-choice">
      <p>
        {choice.reason}. {outcome}
      </p>
      {choice.trials.length > 0 ? (
        <ul className="backend-trials" aria-label="Measured time per training step">
          {choice.trials.map((trial) => (
            <li key={trial.backend} className={trial.backend === choice.picked ? 'picked' : ''}>
              {BACKEND_LABELS[trial.backend]}:{' '}
              {trial.msPerStep === null
                ? 'could not train'
                : `${formatMs(trial.msPerStep)} per step`}
              {trial.note ? <span className="muted"> ({trial.note})</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
