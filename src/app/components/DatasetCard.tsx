/**
 * One imported dataset: what it holds (frames, size, duration, source file), a thumbnail strip of
 * the video as filmed, and a preview of its clips as a model sees them (training and held-out,
 * at a chosen size and colour), with .npy export and removal.
 */
import { useState } from 'react';
import type { NpyLayout } from '../../core/data/npy';
import { exportDatasetLabels, exportDatasetNpy, useDatasetPreview } from '../data/dataset-preview';
import type { PreviewColour, PreviewSize } from '../data/dataset-preview';
import { datasetRegistry } from '../data/instance';
import type { DatasetInfo } from '../state/datasets';
import { parseInteger } from './DataOptions';
import { FileLabels } from './FileLabels';
import { FrameRow } from './FrameRow';
import { NumberField } from './Field';
import { SegmentedControl } from './SegmentedControl';
import { formatBytes } from './format';

const BADGES: Record<DatasetInfo['kind'], string> = {
  video: 'video',
  webcam: 'webcam',
  npy: '.npy array',
};

export function DatasetCard({ info }: { info: DatasetInfo }) {
  const [clipText, setClipText] = useState(String(info.clipLength));
  const [size, setSize] = useState<PreviewSize>('stored');
  const [colour, setColour] = useState<PreviewColour>('stored');
  const [layout, setLayout] = useState<NpyLayout>('TNHW');
  const [exportError, setExportError] = useState<string | null>(null);
  const clip = parseInteger(clipText, 'Clip length', 1, 1000);
  const clipLength = clip.error ? info.clipLength : clip.value;
  const dataset = useDatasetPreview(info, clipLength, size, colour);
  if (!dataset) return null; // removed
  const { split, preview, strip } = dataset;
  const colourName = info.channels === 3 ? 'RGB' : 'gray';
  const exporting = async (write: () => Promise<void> | void) => {
    setExportError(null);
    try {
      await write();
    } catch (error) {
      setExportError(error instanceof Error ? error.message : String(error));
    }
  };
  const labelled = [...info.labels, ...(info.sequenceLabels ?? [])].some((label) => label !== '');

  return (
    <article className="card dataset-card" aria-label={`Dataset ${info.name}`}>
      <div className="card-header">
        <h3>
          {info.name}
          {info.files.length > 1 ? (
            <span className="muted"> + {info.files.length - 1} more</span>
          ) : null}
        </h3>
        <span className="badge">{BADGES[info.kind]}</span>
        <code className="muted small">{info.id}</code>
      </div>
      <dl className="dataset-facts">
        <div>
          <dt>Frames</dt>
          <dd>{info.frames.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Stored as</dt>
          <dd>
            {info.width}×{info.height} {colourName}
            {info.kind !== 'npy' ? `, ${info.crop === 'center' ? 'centre crop' : 'fit'}` : ''}
          </dd>
        </div>
        <div>
          <dt>{info.kind === 'npy' ? 'Sequences' : 'Duration'}</dt>
          <dd>
            {info.kind === 'npy'
              ? `${info.segments.toLocaleString('en-US')} × ${info.frames / info.segments} frames`
              : `${(info.durationSeconds ?? 0).toFixed(1)} s at ${info.fps} fps`}
          </dd>
        </div>
        {info.source ? (
          <div>
            <dt>Source</dt>
            <dd>
              {info.source.codec}, {info.source.displayWidth}×{info.source.displayHeight}
              {info.source.rotation ? `, rotated ${info.source.rotation}°` : ''}
              {info.source.variableFrameRate
                ? `, variable frame rate (≈${Math.round(info.source.sourceFps)} fps)`
                : `, ${Math.round(info.source.sourceFps * 100) / 100} fps`}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Clips of {clipLength}</dt>
          <dd>
            {split
              ? `${split.train.length} training, ${split.heldOut.length} held out`
              : `too short for a training and a held-out clip`}
          </dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd>{formatBytes(info.bytes)}</dd>
        </div>
      </dl>
      <FileLabels info={info} />

      <div className="dataset-strip">
        <h4>{info.kind === 'npy' ? 'First frames of some sequences' : 'The video, as filmed'}</h4>
        <FrameRow
          data={strip.data}
          count={strip.count}
          width={strip.width}
          height={strip.height}
          channels={strip.channels}
          label={`${strip.count} thumbnails of ${info.name}`}
          scale={info.kind === 'npy' ? 1 : 1.5}
        />
      </div>

      <div className="dataset-preview">
        <h4>Clips as a model sees them</h4>
        <div className="toolbar">
          <NumberField
            label="Clip length"
            value={clipText}
            error={clip.error}
            onChange={setClipText}
            min={1}
            integer
          />
          <SegmentedControl<PreviewSize>
            label="Size"
            value={size}
            options={[
              { value: 'stored' as const, label: `${info.width}×${info.height}` },
              // A square size equal to the stored one would only repeat the first option.
              ...([32, 64] as const)
                .filter((side) => info.width !== side || info.height !== side)
                .map((side) => ({ value: side, label: `${side}×${side}` })),
            ]}
            onChange={setSize}
          />
          <SegmentedControl<PreviewColour>
            label="Colour"
            value={colour}
            options={[
              { value: 'stored', label: info.channels === 3 ? 'RGB' : 'Gray' },
              { value: info.channels === 3 ? 1 : 3, label: info.channels === 3 ? 'Gray' : 'RGB' },
            ]}
            onChange={setColour}
          />
        </div>
        {preview ? (
          preview.map((row) => (
            <div key={row.label} className="clip-row">
              <span className="clip-label">
                {row.label}
                <span className="muted small">
                  {' '}
                  frames {row.start}–{row.start + clipLength - 1}
                </span>
              </span>
              <FrameRow
                data={row.frames.data}
                count={row.frames.frames}
                width={row.frames.width}
                height={row.frames.height}
                channels={row.frames.channels}
                label={`${row.label}: ${clipLength} frames`}
                scale={row.frames.width <= 32 ? 1.5 : 1}
              />
            </div>
          ))
        ) : (
          <p className="inline-warning">
            Too short for clips of {clipLength} frames: a model needs one training and one held-out
            clip ({2 * clipLength} frames).
          </p>
        )}
        <p className="muted small">
          A run cuts clips of its model’s length (held-out clips never share a frame with training
          clips), resizes them to the model’s frame size and colour, and scales pixels to the
          model’s range: [0, 1] for the LSTM, [−1, 1] for the VGAN.
        </p>
      </div>

      <div className="toolbar">
        <label className="field-inline field-label">
          <span>.npy layout</span>
          <select value={layout} onChange={(event) => setLayout(event.target.value as NpyLayout)}>
            <option value="TNHW">[T, N, H, W]</option>
            <option value="NTHW">[N, T, H, W]</option>
          </select>
        </label>
        <button
          type="button"
          onClick={() => void exporting(() => exportDatasetNpy(info, layout, clipLength))}
        >
          Export .npy
        </button>
        {labelled ? (
          <button
            type="button"
            title="One label per exported sequence; pick it with the .npy to import both"
            onClick={() => void exporting(() => exportDatasetLabels(info, layout, clipLength))}
          >
            Export labels
          </button>
        ) : null}
        <button
          type="button"
          className="button-danger"
          onClick={() => datasetRegistry.remove(info.id)}
        >
          Remove dataset
        </button>
      </div>
      {exportError ? (
        <p className="field-error" role="alert">
          {exportError}
        </p>
      ) : null}
    </article>
  );
}
