/**
 * A bounded record of a run's training metrics, kept by the run worker and the CLI so that a
 * checkpoint carries its loss curves: every step until `limit` points, then every 2nd, 4th, …
 * step (the record thins itself by half whenever it fills up), so a long run stays small.
 * Pure TypeScript; the checkpoint stores it as JSON metadata (see run-checkpoint.ts).
 */

export interface HistoryPoint {
  step: number;
  /** Milliseconds of training up to this step. */
  wallMs: number;
  values: Record<string, number>;
}

export const HISTORY_LIMIT = 2000;

export class TrainingHistory {
  private points: HistoryPoint[] = [];
  private stride = 1; // keeps the steps that are multiples of this

  constructor(
    initial: readonly HistoryPoint[] = [],
    private readonly limit = HISTORY_LIMIT,
  ) {
    for (const point of initial) this.add(point);
  }

  add(point: HistoryPoint): void {
    if (point.step % this.stride !== 0) return;
    this.points.push(point);
    while (this.points.length > this.limit) {
      this.stride *= 2;
      this.points = this.points.filter((p) => p.step % this.stride === 0);
    }
  }

  toArray(): HistoryPoint[] {
    return [...this.points];
  }

  /** Where the curves end: the last step's wall-clock time (0 when empty). */
  lastWallMs(): number {
    return this.points.at(-1)?.wallMs ?? 0;
  }
}

/** Compact JSON for a checkpoint: metric names once, then one row per point. */
export interface HistoryJson {
  names: string[];
  /** [step, wallMs, value per name (null when absent or not finite)] */
  points: (number | null)[][];
}

/** Seven significant digits: plenty for a curve, a third of the bytes of full precision. */
const compact = (value: number) => Number(value.toPrecision(7));

export function historyToJson(points: readonly HistoryPoint[]): HistoryJson {
  const names = [...new Set(points.flatMap((point) => Object.keys(point.values)))];
  return {
    names,
    points: points.map((point) => [
      point.step,
      Math.round(point.wallMs),
      ...names.map((name) => {
        const value = point.values[name];
        return value === undefined || !Number.isFinite(value) ? null : compact(value);
      }),
    ]),
  };
}

/** Parses `historyToJson` output; returns null when it is malformed. */
export function historyFromJson(json: unknown): HistoryPoint[] | null {
  const record = json as Partial<HistoryJson> | null;
  if (!record || !Array.isArray(record.names) || !Array.isArray(record.points)) return null;
  const names = record.names;
  if (!names.every((name) => typeof name === 'string')) return null;
  const points: HistoryPoint[] = [];
  for (const row of record.points) {
    if (!Array.isArray(row) || row.length !== names.length + 2) return null;
    const [step, wallMs, ...rest] = row;
    if (!Number.isSafeInteger(step) || typeof wallMs !== 'number' || !Number.isFinite(wallMs)) {
      return null;
    }
    const values: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) {
      const value = rest[i];
      if (value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) return null;
      values[names[i]] = value;
    }
    points.push({ step: step as number, wallMs, values });
  }
  return points;
}
