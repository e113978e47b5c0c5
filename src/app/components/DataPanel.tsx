/**
 * The Data view: import videos or .npy arrays (drop or pick files; size, crop, colour, frame
 * rate), follow each import's progress and cancel it, read each failure (file and reason), see
 * every dataset, and export datasets or a generated Moving MNIST set as .npy.
 */
import { useId, useRef, useState } from 'react';
import type { DragEvent } from 'react';
import type { NpyLayout } from '../../core/data/npy';
import { MAX_SEED } from '../../core/seed';
import { datasetRegistry } from '../data/instance';
import { DEFAULT_IMPORT_DRAFTS, checkImportDrafts, importFiles } from '../data/import-drafts';
import type { ImportDrafts } from '../data/import-drafts';
import { downloadBlob } from '../export/export-client';
import { useDatasets } from '../state/datasets';
import type { ImportJob } from '../state/datasets';
import { parseInteger } from './DataOptions';
import { DatasetCard } from './DatasetCard';
import { Field, NumberField } from './Field';
import { SegmentedControl } from './SegmentedControl';
import { WebcamCapture } from './WebcamCapture';

const VIDEO_ACCEPT = 'video/*,.mp4,.m4v,.mov,.webm,.mkv,.npy,.txt,.csv';

export function DataPanel() {
  const order = useDatasets((state) => state.order);
  const datasets = useDatasets((state) => state.datasets);
  const jobs = useDatasets((state) => state.jobs);
  const failures = useDatasets((state) => state.failures);
  const dismiss = useDatasets((state) => state.dismissFailure);
  const headingId = useId();
  return (
    <section className="data-view" aria-labelledby={headingId}>
      <header className="data-view-header">
        <h2 id={headingId}>Data</h2>
        <p className="lead">
          Train any model on your own videos (MP4, MOV, WebM, MKV) or on <code>.npy</code> arrays
          such as the Moving MNIST test set. Files are decoded in this browser and never leave your
          device.
        </p>
      </header>
      <ImportCard />
      <WebcamCapture />
      {jobs.length > 0 ? (
        <ul className="job-list" aria-label="Imports in progress">
          {jobs.map((job) => (
            <ImportProgress key={job.id} job={job} />
          ))}
        </ul>
      ) : null}
      {failures.map((failure) => (
        <div key={failure.id} className="alert alert-error" role="alert">
          <p className="alert-title">Import failed</p>
          <p>{failure.message}</p>
          <button type="button" className="button-quiet" onClick={() => dismiss(failure.id)}>
            Dismiss
          </button>
        </div>
      ))}
      <section className="dataset-list" aria-label="Datasets">
        {order.length === 0 ? (
          <p className="empty-state">
            No datasets yet. Import a video above; it appears here with its frames, clips and a
            preview of what a model sees. Then pick it under “Data” in the New run form.
          </p>
        ) : (
          order.map((id) => <DatasetCard key={id} info={datasets[id]} />)
        )}
      </section>
      <MovingMnistExport />
    </section>
  );
}

function ImportCard() {
  const [drafts, setDrafts] = useState<ImportDrafts>(DEFAULT_IMPORT_DRAFTS);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const { errors } = checkImportDrafts(drafts);
  const valid = Object.keys(errors).length === 0;
  const set = <K extends keyof ImportDrafts>(key: K, value: ImportDrafts[K]) =>
    setDrafts({ ...drafts, [key]: value });
  const start = (files: FileList | null) => {
    if (!files || files.length === 0 || !valid) return;
    void importFiles([...files], drafts);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    start(event.dataTransfer.files);
  };
  return (
    <div className="card import-card">
      <div
        className={`drop-zone${dragging ? ' is-dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="drop-zone-title">Drop videos or .npy files here</p>
        <p className="muted small">
          H.264, VP8, VP9 and AV1 decode in this browser; several videos can form one dataset. A
          .npy array’s sequences take their labels from a file selected with it, one per sequence,
          named like <code>clips.labels.txt</code> or <code>labels.npy</code>.
        </p>
        <button
          type="button"
          className="button-primary"
          disabled={!valid}
          onClick={() => input.current?.click()}
        >
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          className="visually-hidden"
          aria-label="Video or .npy files"
          accept={VIDEO_ACCEPT}
          multiple
          onChange={(event) => {
            start(event.target.files);
            event.target.value = '';
          }}
        />
      </div>
      <div className="import-options">
        <h3 className="small-heading">Videos become frames of</h3>
        <div className="field-grid import-grid">
          <NumberField
            label="Width (px)"
            value={drafts.width}
            error={errors.width}
            onChange={(text) => set('width', text)}
            min={4}
            max={1024}
            integer
          />
          <NumberField
            label="Height (px)"
            value={drafts.height}
            error={errors.height}
            onChange={(text) => set('height', text)}
            min={4}
            max={1024}
            integer
          />
          <NumberField
            label="Frame rate (fps)"
            value={drafts.fps}
            error={errors.fps}
            help="Empty: the video’s own rate."
            onChange={(text) => set('fps', text)}
            min={0}
            max={240}
          />
          <NumberField
            label="First seconds only"
            value={drafts.maxSeconds}
            error={errors.maxSeconds}
            help="Empty: the whole video."
            onChange={(text) => set('maxSeconds', text)}
            min={0}
          />
        </div>
        <div className="toolbar">
          <SegmentedControl
            label="Other shapes"
            value={drafts.crop}
            options={[
              { value: 'center', label: 'Crop the centre' },
              { value: 'fit', label: 'Fit, with bars' },
            ]}
            onChange={(crop) => set('crop', crop)}
          />
          <SegmentedControl
            label="Colour"
            value={drafts.color}
            options={[
              { value: 'rgb', label: 'RGB' },
              { value: 'gray', label: 'Gray' },
            ]}
            onChange={(color) => set('color', color)}
          />
        </div>
        <details className="form-section">
          <summary>More options</summary>
          <div className="field-grid import-grid">
            <NumberField
              label="Clip length (frames)"
              value={drafts.clipLength}
              error={errors.clipLength}
              help="For the clip count and preview; runs use their model’s own length."
              onChange={(text) => set('clipLength', text)}
              min={1}
              integer
            />
            <Field label="Combine videos into one dataset" inline>
              {(ids) => (
                <input
                  {...ids}
                  type="checkbox"
                  checked={drafts.combine}
                  onChange={(event) => set('combine', event.target.checked)}
                />
              )}
            </Field>
            <Field label=".npy layout" help="mnist_test_seq.npy is [T, N, H, W].">
              {(ids) => (
                <select
                  {...ids}
                  value={drafts.layout}
                  onChange={(event) => set('layout', event.target.value as NpyLayout)}
                >
                  <option value="TNHW">[T, N, H, W] frames first</option>
                  <option value="NTHW">[N, T, H, W] sequences first</option>
                </select>
              )}
            </Field>
            <NumberField
              label=".npy sequences to read"
              value={drafts.npyCount}
              error={errors.npyCount}
              help="Empty: all (a slice keeps big files small)."
              onChange={(text) => set('npyCount', text)}
              min={1}
              integer
            />
          </div>
          <p className="muted small">
            Combined, files dropped together form one dataset; clips never cross from one file into
            the next.
          </p>
        </details>
      </div>
    </div>
  );
}

function formatSeconds(seconds: number): string {
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

function ImportProgress({ job }: { job: ImportJob }) {
  const percent = job.total > 0 ? Math.round((100 * job.done) / job.total) : 0;
  const left = job.secondsLeft === null ? '' : ` · about ${formatSeconds(job.secondsLeft)} left`;
  return (
    <li className="card job">
      <div className="progress">
        <div className="progress-text">
          <span>
            <strong>{job.name}</strong> · {job.total > 0 ? job.message : 'Opening the file'}
            {left}
          </span>
          <span>{job.total > 0 ? `${percent}%` : null}</span>
        </div>
        <div
          className={`progress-track${job.total > 0 ? '' : ' is-indeterminate'}`}
          role="progressbar"
          aria-label={`Importing ${job.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          <div
            className="progress-fill"
            style={{ width: job.total > 0 ? `${percent}%` : undefined }}
          />
        </div>
      </div>
      <button type="button" onClick={() => datasetRegistry.cancel(job.id)}>
        Cancel import of {job.name}
      </button>
    </li>
  );
}

function MovingMnistExport() {
  const [count, setCount] = useState('100');
  const [seed, setSeed] = useState('0');
  const [layout, setLayout] = useState<NpyLayout>('TNHW');
  const [state, setState] = useState<'idle' | 'working' | string>('idle');
  const countCheck = parseInteger(count, 'Sequences', 1, 100_000);
  const seedCheck = parseInteger(seed, 'Seed', 0, MAX_SEED);
  const generate = async () => {
    setState('working');
    try {
      const blob = await datasetRegistry.exportNpy({
        source: 'moving-mnist',
        count: countCheck.value,
        seed: seedCheck.value,
        layout,
      });
      downloadBlob(blob, `moving-mnist-${countCheck.value}-seed${seedCheck.value}.npy`);
      setState('idle');
    } catch (error) {
      setState(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <details className="card form-section mnist-export">
      <summary>Export a Moving MNIST set as .npy</summary>
      <p className="muted small">
        Srivastava et al.’s generator (2 digits, 20 frames of 64×64) with MNIST test digits, in the
        layout of mnist_test_seq.npy or sequences first. Generated in a worker.
      </p>
      <div className="field-grid import-grid">
        <NumberField
          label="Sequences"
          value={count}
          error={countCheck.error}
          onChange={setCount}
          min={1}
          integer
        />
        <NumberField
          label="Seed"
          value={seed}
          error={seedCheck.error}
          onChange={setSeed}
          min={0}
          integer
        />
        <Field label="Layout">
          {(ids) => (
            <select
              {...ids}
              value={layout}
              onChange={(e) => setLayout(e.target.value as NpyLayout)}
            >
              <option value="TNHW">[T, N, H, W]</option>
              <option value="NTHW">[N, T, H, W]</option>
            </select>
          )}
        </Field>
      </div>
      <div className="button-row">
        <button
          type="button"
          disabled={state === 'working' || !!countCheck.error || !!seedCheck.error}
          onClick={() => void generate()}
        >
          {state === 'working' ? 'Generating…' : 'Generate and download'}
        </button>
      </div>
      {state !== 'idle' && state !== 'working' ? (
        <p className="field-error" role="alert">
          {state}
        </p>
      ) : null}
    </details>
  );
}
