/**
 * One imported dataset: what it holds (frames, size, duration, source file), a thumbnail strip of
 * the video as filmed, and a preview of its clips as a model sees them (training and held-out,
 * at a chosen size and colour), with .npy export and removal.
 */
import { useMemo, useState } from 'react';
import { DEFAULT_HELD_OUT_FRACTION, trySplitClips } from '../../core/data/clips';
import { resizeFrameSet } from '../../core/data/frames';
import type { NpyLayout } from '../../core/data/npy';
import type { FrameSet } from '../../core/data/types';
import { datasetRegistry } from '../data/instance';
import type { DatasetInfo } from '../state/datasets';
import { parseInteger } from './DataOptions';
import { FileLabels } from './FileLabels';
import { FrameRow } from './FrameRow';
import { NumberField } from './Field';
import { SegmentedControl } from './SegmentedControl';
import { formatBytes } from './format';

const THUMBNAILS = 8;

const BADGES: Record<DatasetInfo['kind'], string> = {
  video: 'video',
  webcam: 'webcam',
  npy: '.npy array',
};

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** `count` frames of `set` starting at `start` as a small frame set (for previews). */
function framesAt(set: FrameSet, starts: number[]): FrameSet {
  const frameBytes = set.width * set.height * set.channels;
  const data = new Uint8Array(starts.length * frameBytes);
  starts.forEach((f, i) =>
    data.set(set.data.subarray(f * frameBytes, (f + 1) * frameBytes), i * frameBytes),
  );
  return {
    ...set,
    data,
    frames: starts.length,
    segments: [{ name: '', start: 0, length: starts.length }],
  };
}

type PreviewSize = 'stored' | 32 | 64;
type PreviewColour = 'stored' | 1 | 3;

export function DatasetCard({ info }: { info: DatasetInfo }) {
  const stored = datasetRegistry.get(info.id);
  const [clipText, setClipText] = useState(String(info.clipLength));
  const [size, setSize] = useState<PreviewSize>('stored');
  const [colour, setColour] = useState<PreviewColour>('stored');
  const [layout, setLayout] = useState<NpyLayout>('TNHW');
  const [exportError, setExportError] = useState<string | null>(null);
  const clip = parseInteger(clipText, 'Clip length', 1, 1000);
  const clipLength = clip.error ? info.clipLength : clip.value;
  const split = useMemo(
    () =>
      stored
        ? trySplitClips(stored.frames.segments, {
            length: clipLength,
            stride: clipLength,
            heldOutFraction: DEFAULT_HELD_OUT_FRACTION,
          })
        : null,
    [stored, clipLength],
  );
  const preview = useMemo(() => {
    if (!stored || !split) return null;
    const frames = stored.frames;
    const width = size === 'stored' ? frames.width : size;
    const height = size === 'stored' ? frames.height : size;
    const channels = colour === 'stored' ? frames.channels : colour;
    const clipFrames = (start: number) => Array.from({ length: clipLength }, (_, i) => start + i);
    const rows = [
      { label: `Training clip 1 of ${split.train.length}`, start: split.train[0] },
      { label: `Held-out clip 1 of ${split.heldOut.length}`, start: split.heldOut[0] },
    ];
    return rows.map((row) => ({
      ...row,
      frames: resizeFrameSet(
        framesAt(frames, clipFrames(row.start)),
        width,
        height,
        channels,
        info.crop,
      ),
    }));
  }, [stored, split, size, colour, clipLength, info.crop]);

  if (!stored) return null;
  const thumbnails = stored.thumbnails;
  const strip: { count: number; width: number; height: number; data: Uint8Array; channels: 1 | 3 } =
    thumbnails
      ? { ...thumbnails, channels: 3 }
      : (() => {
          // .npy: the first frame of evenly spaced sequences.
          const count = Math.min(THUMBNAILS, info.segments);
          const starts = Array.from(
            { length: count },
            (_, i) =>
              stored.frames.segments[Math.round((i * (info.segments - 1)) / Math.max(1, count - 1))]
                .start,
          );
          const set = framesAt(stored.frames, starts);
          return {
            count,
            width: set.width,
            height: set.height,
            data: set.data,
            channels: set.channels,
          };
        })();
  const colourName = info.channels === 3 ? 'RGB' : 'gray';
  const exportNpy = async () => {
    setExportError(null);
    try {
      const lengths = new Set(stored.frames.segments.map((s) => s.length));
      const blob = await datasetRegistry.exportNpy({
        datasetId: info.id,
        layout,
        ...(lengths.size === 1 && info.kind === 'npy' ? {} : { length: clipLength }),
      });
      downloadBlob(blob, `${info.name.replace(/\.[^.]+$/, '')}-${layout}.npy`);
    } catch (error) {
      setExportError(error instanceof Error ? error.message : String(error));
    }
  };

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
      {info.kind === 'npy' ? null : <FileLabels info={info} />}

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
        <button type="button" onClick={() => void exportNpy()}>
          Export .npy
        </button>
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
