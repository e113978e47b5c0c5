/**
 * The few-label probes of the compared runs side by side: one column per run with its latest
 * probe of the chosen kind, and one button that probes every compared run (each in its own
 * worker, training going on).
 */
import { useId, useState } from 'react';
import { runColor } from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import type { RunState } from '../../state/store';
import { describeCommandError } from '../errors';
import { ProbeChart } from '../ProbeChart';
import {
  DEFAULT_PROBE_OPTIONS,
  ProbeOptionsBar,
  probeRequest,
  probesFileLabels,
} from '../ProbePanel';
import type { ProbeOptions } from '../ProbePanel';

export function CompareProbes({ runs }: { runs: readonly RunState[] }) {
  const headingId = useId();
  const [options, setOptions] = useState<ProbeOptions>(DEFAULT_PROBE_OPTIONS);
  const [running, setRunning] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  if (runs.length === 0) return null;
  const start = () => {
    setRunning(true);
    setErrors([]);
    void Promise.all(
      runs.map((run) =>
        runManager
          .probe(run.id, probeRequest(options, run))
          .then(() => null)
          .catch((e: unknown) => `${run.label}: ${describeCommandError(e)}`),
      ),
    ).then((failures) => {
      setErrors(failures.filter((f): f is string => f !== null));
      setRunning(false);
    });
  };
  const latest = (run: RunState) =>
    [...run.probes]
      .reverse()
      .find(
        (report) =>
          report.mode === options.mode &&
          report.task === (probesFileLabels(run) ? 'file-labels' : options.task),
      );
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Few-label probes</h3>
        <span className="muted small">the latest probe of each run, of the kind chosen</span>
      </div>
      <ProbeOptionsBar
        value={options}
        onChange={setOptions}
        fileLabels={runs.every(probesFileLabels)}
      />
      {runs.some(probesFileLabels) && !runs.every(probesFileLabels) ? (
        <p className="muted small">
          Runs on an imported dataset are probed on the labels given to its files.
        </p>
      ) : null}
      <button type="button" onClick={start} disabled={running}>
        {running ? 'Probing the compared runs…' : 'Probe the compared runs'}
      </button>
      {errors.map((message) => (
        <p key={message} role="alert" className="field-error">
          {message}
        </p>
      ))}
      <div className="probe-charts">
        {runs.map((run) => {
          const report = latest(run);
          return (
            <div key={run.id} className="compare-probe">
              <h4 className="small">
                <span
                  className="run-swatch"
                  style={{ background: runColor(run.id) }}
                  aria-hidden="true"
                />{' '}
                {run.label}
              </h4>
              {report ? (
                <ProbeChart report={report} runLabel={run.label} />
              ) : (
                <p className="muted small">
                  {run.progress?.phase === 'probe' ? run.progress.message : 'Not probed yet.'}
                </p>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}
