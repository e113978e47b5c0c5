/**
 * What the run's features are worth with few labels, as the papers measure it: a probe of the run
 * as it is now (src/core/probe, in the run's worker while it keeps training) against the same
 * network from random initialisation, charted per kind of probe (the latest of each).
 */
import { useId, useState } from 'react';
import type { LabelTask } from '../../core/data/labels';
import type { ProbeMode, ProbeReport, ProbeRequest } from '../../protocol/probe';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { describeCommandError } from './errors';
import { ProbeChart } from './ProbeChart';
import { SegmentedControl } from './SegmentedControl';

type ProbeSize = 'quick' | 'full';

/** What the probe controls choose. */
export interface ProbeOptions {
  mode: ProbeMode;
  task: LabelTask;
  size: ProbeSize;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = {
  mode: 'linear',
  task: 'first-digit',
  size: 'quick',
};

/** What the button asks for: a quick look, or the papers' label counts on more clips. */
export const PROBE_SIZES: Record<ProbeSize, { label: string; request: ProbeRequest }> = {
  quick: {
    label: 'Quick (300 clips)',
    request: { labelsPerClass: [1, 5, 10, 'all'], trainClips: 300, testClips: 200, seeds: 2 },
  },
  full: {
    label: 'Full (1000 clips)',
    request: { labelsPerClass: [1, 5, 10, 50, 'all'], trainClips: 1000, testClips: 500, seeds: 3 },
  },
};

export function probeRequest({ mode, task, size }: ProbeOptions): ProbeRequest {
  return { ...PROBE_SIZES[size].request, mode, task };
}

/** Mode, task and size of the next probe. */
export function ProbeOptionsBar({
  value,
  onChange,
}: {
  value: ProbeOptions;
  onChange(value: ProbeOptions): void;
}) {
  return (
    <div className="toolbar">
      <SegmentedControl
        label="Mode"
        value={value.mode}
        options={[
          { value: 'linear', label: 'Linear probe' },
          { value: 'fine-tune', label: 'Fine-tune' },
        ]}
        onChange={(mode) => onChange({ ...value, mode })}
      />
      <SegmentedControl
        label="Task"
        value={value.task}
        options={[
          { value: 'first-digit', label: 'First digit' },
          { value: 'digits-present', label: 'Digits present' },
        ]}
        onChange={(task) => onChange({ ...value, task })}
      />
      <SegmentedControl
        label="Size"
        value={value.size}
        options={(Object.keys(PROBE_SIZES) as ProbeSize[]).map((size) => ({
          value: size,
          label: PROBE_SIZES[size].label,
        }))}
        onChange={(size) => onChange({ ...value, size })}
      />
    </div>
  );
}

/** Whether a run's clips carry digit labels (Moving MNIST; imported videos have none). */
export function isProbeable(run: RunState): boolean {
  return (run.spec.data?.source ?? 'moving-mnist') === 'moving-mnist';
}

/** The latest probe of each kind (mode and task), newest first. */
export function latestProbes(probes: readonly ProbeReport[]): ProbeReport[] {
  const seen = new Set<string>();
  const out: ProbeReport[] = [];
  for (const report of [...probes].reverse()) {
    const kind = `${report.mode}/${report.task}`;
    if (seen.has(kind)) continue;
    seen.add(kind);
    out.push(report);
  }
  return out;
}

export function ProbePanel({ run }: { run: RunState }) {
  const headingId = useId();
  const [options, setOptions] = useState<ProbeOptions>(DEFAULT_PROBE_OPTIONS);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!isProbeable(run)) return null;
  const start = () => {
    setRunning(true);
    setError(null);
    runManager
      .probe(run.id, probeRequest(options))
      .catch((e: unknown) => setError(describeCommandError(e)))
      .finally(() => setRunning(false));
  };
  const progress = run.progress?.phase === 'probe' ? run.progress : null;
  const reports = latestProbes(run.probes);
  return (
    <section className="card probe-panel" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>What it learned: few-label probes</h3>
      </div>
      <p className="muted small">
        As the papers judge their models: classify Moving MNIST clips by their digits with a handful
        of labelled clips per class, on the run’s features as they are now (a linear probe, or
        fine-tuning the whole network), against the same network from random initialisation.
        Training keeps going meanwhile.
      </p>
      <ProbeOptionsBar value={options} onChange={setOptions} />
      <button type="button" onClick={start} disabled={running}>
        {running ? 'Probing…' : 'Run probe'}
      </button>
      {progress ? (
        <div className="probe-progress">
          <progress max={1} value={progress.fraction} aria-label="Probe progress" />
          <span className="muted small">{progress.message}</span>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="field-error">
          {error}
        </p>
      ) : null}
      {reports.length > 0 ? (
        <div className="probe-charts">
          {reports.map((report) => (
            <ProbeChart key={`${report.mode}/${report.task}`} report={report} />
          ))}
        </div>
      ) : null}
    </section>
  );
}
