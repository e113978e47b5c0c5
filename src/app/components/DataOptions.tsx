/**
 * Data options for a new run: the source (Moving MNIST or an imported dataset), the data seed,
 * and the source's own options (digits, speed, compositing and bounce; or the dataset and stride).
 */
import type { BounceRule, Compositing, DataSpec } from '../../core/data/types';
import { MAX_SEED } from '../../core/seed';
import { useDatasets } from '../state/datasets';
import { Field, NumberField } from './Field';
import { SegmentedControl } from './SegmentedControl';

export interface DataDrafts {
  source: 'moving-mnist' | 'video';
  datasetId: string; // '' = none chosen
  clipStride: string; // '' = the clip length
  seed: string;
  digits: string;
  speed: string;
  compositing: Compositing;
  bounce: BounceRule;
}

// Srivastava et al.'s Moving MNIST: 2 digits, max-composited, reflected at the walls; the data
// stream's default seed is 42 (src/core/data/video-stream.ts, which the UI must not import).
export const DEFAULT_DATA_DRAFTS: DataDrafts = {
  source: 'moving-mnist',
  datasetId: '',
  clipStride: '',
  seed: '42',
  digits: '2',
  speed: '3.6',
  compositing: 'max',
  bounce: 'reflect',
};

export type DataErrors = Partial<Record<keyof DataDrafts, string>>;

/** Parses integer text in [min, max]; returns the value or a message naming `key`. */
export function parseInteger(
  text: string,
  key: string,
  min: number,
  max: number,
): { value: number; error: string | null } {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isInteger(value) || value < min || value > max) {
    return { value, error: `${key} must be an integer between ${min} and ${max}` };
  }
  return { value, error: null };
}

export function checkData(drafts: DataDrafts): {
  spec: DataSpec | null;
  errors: DataErrors;
} {
  const errors: DataErrors = {};
  const seed = parseInteger(drafts.seed, 'data.seed', 0, MAX_SEED);
  if (seed.error) errors.seed = seed.error;
  if (drafts.source === 'video') {
    if (!drafts.datasetId)
      errors.datasetId = 'Choose a dataset (import one in the Data view first)';
    const stride = drafts.clipStride.trim()
      ? parseInteger(drafts.clipStride, 'data.clipStride', 1, 10_000)
      : null;
    if (stride?.error) errors.clipStride = stride.error;
    if (Object.keys(errors).length > 0) return { spec: null, errors };
    return {
      spec: {
        source: 'video',
        datasetId: drafts.datasetId,
        seed: seed.value,
        ...(stride ? { clipStride: stride.value } : {}),
      },
      errors,
    };
  }
  const digits = parseInteger(drafts.digits, 'data.digits', 1, 4);
  if (digits.error) errors.digits = digits.error;
  const speed = Number(drafts.speed.trim());
  if (drafts.speed.trim() === '' || !Number.isFinite(speed) || speed < 0 || speed > 16) {
    errors.speed = 'data.speed must be a number of pixels per frame between 0 and 16';
  }
  if (Object.keys(errors).length > 0) return { spec: null, errors };
  return {
    spec: {
      source: 'moving-mnist',
      seed: seed.value,
      digits: digits.value,
      speed,
      compositing: drafts.compositing,
      bounce: drafts.bounce,
    },
    errors,
  };
}

interface DataOptionsProps {
  drafts: DataDrafts;
  errors: DataErrors;
  onChange(drafts: DataDrafts): void;
}

export function DataOptions({ drafts, errors, onChange }: DataOptionsProps) {
  const set = <K extends keyof DataDrafts>(key: K, value: DataDrafts[K]) =>
    onChange({ ...drafts, [key]: value });
  const datasets = useDatasets((state) => state.datasets);
  const order = useDatasets((state) => state.order);
  const seedField = (
    <NumberField
      label="Data seed"
      error={errors.seed}
      help="Runs with the same data seed see identical training batches."
      value={drafts.seed}
      onChange={(text) => set('seed', text)}
      min={0}
      integer
    />
  );
  const sourceChoice = (
    <SegmentedControl
      label="Source"
      value={drafts.source}
      options={[
        { value: 'moving-mnist', label: 'Moving MNIST' },
        { value: 'video', label: 'Imported dataset' },
      ]}
      onChange={(source) =>
        onChange({
          ...drafts,
          source,
          datasetId: drafts.datasetId || (source === 'video' ? (order[0] ?? '') : ''),
        })
      }
    />
  );
  if (drafts.source === 'video') {
    const chosen = datasets[drafts.datasetId];
    return (
      <div className="field-grid">
        {sourceChoice}
        <Field
          label="Dataset"
          error={errors.datasetId}
          help={
            chosen
              ? `${chosen.frames.toLocaleString('en-US')} frames of ${chosen.width}×${chosen.height}; the run resizes them to the model’s frame size and colour and holds out about 10% (at least one clip) for evaluation.`
              : 'Import videos or .npy arrays in the Data view.'
          }
        >
          {(ids) => (
            <select
              {...ids}
              value={drafts.datasetId}
              onChange={(event) => set('datasetId', event.target.value)}
            >
              <option value="">
                {order.length ? 'Choose a dataset' : 'No dataset imported yet'}
              </option>
              {order.map((id) => (
                <option key={id} value={id}>
                  {datasets[id].name} ({id})
                </option>
              ))}
            </select>
          )}
        </Field>
        {seedField}
        <NumberField
          label="Clip stride (frames)"
          error={errors.clipStride}
          help="Frames between the starts of training clips; empty: the clip length (no overlap)."
          value={drafts.clipStride}
          onChange={(text) => set('clipStride', text)}
          min={1}
          integer
        />
      </div>
    );
  }
  return (
    <div className="field-grid">
      {sourceChoice}
      {seedField}
      <NumberField
        label="Digits per video"
        error={errors.digits}
        value={drafts.digits}
        onChange={(text) => set('digits', text)}
        min={1}
        max={4}
        integer
      />
      <NumberField
        label="Speed (px / frame)"
        error={errors.speed}
        value={drafts.speed}
        onChange={(text) => set('speed', text)}
        min={0}
        max={16}
      />
      <Field label="Overlapping digits" help="Max (Srivastava) or additive, clipped (Lee).">
        {(ids) => (
          <select
            {...ids}
            value={drafts.compositing}
            onChange={(event) => set('compositing', event.target.value as Compositing)}
          >
            <option value="max">Max</option>
            <option value="additive">Additive</option>
          </select>
        )}
      </Field>
      <Field label="At the walls" help="Reflect, or bounce off in a new random direction.">
        {(ids) => (
          <select
            {...ids}
            value={drafts.bounce}
            onChange={(event) => set('bounce', event.target.value as BounceRule)}
          >
            <option value="reflect">Reflect</option>
            <option value="stochastic">Stochastic</option>
          </select>
        )}
      </Field>
    </div>
  );
}
