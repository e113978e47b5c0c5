/**
 * What the run's features are worth with few labels, as the papers measure it: a probe of the run
 * as it is now (src/core/probe, in the run's worker while it keeps training) against the same
 * network from random initialisation, charted per kind of probe (the latest of each). A Moving
 * MNIST run is probed on its clips' digits; a run on an imported or webcam dataset on the labels
 * the user gave the dataset's files.
 */
import { useId, useState } from 'react';
import type { LabelTask } from '../../core/data/labels';
import type { ProbeMode, ProbeReport, ProbeRequest } from '../../protocol/probe';
import { runManager } from '../runs/instance';
import { labelCounts, useDatasets } from '../state/datasets';
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

/** A user's dataset has a few clips per label: every count up to all of them, averaged over 3 draws. */
const FILE_LABELS_REQUEST: ProbeRequest = { labelsPerClass: [1, 5, 10, 'all'], seeds: 3 };

/** Whether the run's clips are labelled by the labels given to its dataset's files. */
export function probesFileLabels(run: RunState): boolean {
  return run.spec.data?.source === 'video';
}

/** The request for `run`: file labels for a run on a user's dataset, the chosen task otherwise. */
export function probeRequest({ mode, task, size }: ProbeOptions, run: RunState): ProbeRequest {
  if (probesFileLabels(run)) return { ...FILE_LABELS_REQUEST, mode, task: 'file-labels' };
  return { ...PROBE_SIZES[size].request, mode, task };
}

/**
 * Mode, task and size of the next probe; with `fileLabels` (a run on a user's dataset) the task
 * is the labels given to the files, shown as text since there is nothing to choose, and its few
 * clips need no size.
 */
export function ProbeOptionsBar({
  value,
  onChange,
  fileLabels = false,
}: {
  value: ProbeOptions;
  onChange(value: ProbeOptions): void;
  fileLabels?: boolean;
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
      {fileLabels ? (
        <p className="small">
          <span className="muted">Task:</span> the labels you gave the files
        </p>
      ) : (
        <>
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
        </>
      )}
    </div>
  );
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
  const fileLabels = probesFileLabels(run);
  const start = () => {
    setRunning(true);
    setError(null);
    runManager
      .probe(run.id, probeRequest(options, run))
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
      {fileLabels ? (
        <FileLabelsNote run={run} />
      ) : (
        <p className="muted small">
          As the papers judge their models: classify Moving MNIST clips by their digits with a
          handful of labelled clips per class, on the run’s features as they are now (a linear
          probe, or fine-tuning the whole network), against the same network from random
          initialisation. A linear probe also reads each clip’s mean frame: features that do not
          beat the pixels have learned little about the digits. Training keeps going meanwhile.
        </p>
      )}
      <ProbeOptionsBar value={options} onChange={setOptions} fileLabels={fileLabels} />
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

/** What a probe on file labels does, and the labels the run's dataset has now. */
function FileLabelsNote({ run }: { run: RunState }) {
  const data = run.spec.data;
  const datasetId = data?.source === 'video' ? data.datasetId : '';
  const info = useDatasets((state) => state.datasets[datasetId]);
  const { unit, counts } = info
    ? labelCounts(info)
    : { unit: 'file', counts: new Map<string, number>() };
  const summary = [...counts]
    .filter(([label]) => label !== '')
    .map(([label, n]) => `${label} (${n.toLocaleString('en-US')} ${unit}${n === 1 ? '' : 's'})`);
  return (
    <p className="muted small">
      Classify this dataset’s clips by the labels you gave its files in the Data view, with a
      handful of labelled clips per label, on the run’s features as they are now (a linear probe, or
      fine-tuning the whole network), against the same network from random initialisation. Clips of
      unlabelled files are left out; a third of each label’s clips is kept to test, so every label
      needs two clips. A linear probe also reads each clip’s mean frame, the pixels themselves.
      Training keeps going meanwhile.{' '}
      {summary.length > 0 ? `Labels now: ${summary.join(', ')}.` : 'No file has a label yet.'}
    </p>
  );
}
