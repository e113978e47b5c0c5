/** Moving MNIST options for a new run: data seed, digits, speed, compositing and bounce rule. */
import type { BounceRule, Compositing, MovingMnistDataSpec } from '../../core/data/types';
import { Field, NumberField } from './Field';

export interface DataDrafts {
  seed: string;
  digits: string;
  speed: string;
  compositing: Compositing;
  bounce: BounceRule;
}

// Srivastava et al.'s Moving MNIST: 2 digits, max-composited, reflected at the walls; the data
// stream's default seed is 42 (src/core/data/video-stream.ts, which the UI must not import).
export const DEFAULT_DATA_DRAFTS: DataDrafts = {
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
  spec: MovingMnistDataSpec | null;
  errors: DataErrors;
} {
  const errors: DataErrors = {};
  const seed = parseInteger(drafts.seed, 'data.seed', 0, 2 ** 31 - 1);
  if (seed.error) errors.seed = seed.error;
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
  return (
    <div className="field-grid">
      <NumberField
        label="Data seed"
        error={errors.seed}
        help="Runs with the same data seed see identical training batches."
        value={drafts.seed}
        onChange={(text) => set('seed', text)}
        min={0}
        integer
      />
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
