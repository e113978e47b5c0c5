/**
 * Each optimisation's measured gain: for every registered optimisation (src/core/gpu/
 * optimizations.ts) and every measured cell on a backend it applies to, the cell's ms/step with
 * the optimisation switched off, then on again, measured back to back so both see the same
 * machine load. The others stay as they are (enabled), so each row is that one change's effect.
 */
import type { Optimization } from '../core/gpu/optimizations';
import type { ModelBenchRow } from '../core/train/benchmark';

export interface OptimizationBenchRow {
  id: string;
  description: string;
  model: string;
  variant: string;
  preset: string;
  backend: string;
  msPerStepOff: number;
  msPerStepOn: number;
  /** ms/step off ÷ ms/step on: above 1 the optimisation is faster. */
  speedup: number;
  note?: string;
}

export interface OptimizationBenchDeps {
  /** Measures a cell again with the registry as it is now, on its backend (active). */
  measure(cell: ModelBenchRow): Promise<ModelBenchRow>;
  setEnabled(id: string, enabled: boolean, backend: string): void;
}

/** Off-vs-on rows for `optimizations` on the successfully measured `cells` of `backend`. */
export async function benchmarkOptimizations(
  optimizations: readonly Optimization[],
  cells: readonly ModelBenchRow[],
  backend: string,
  deps: OptimizationBenchDeps,
): Promise<OptimizationBenchRow[]> {
  const rows: OptimizationBenchRow[] = [];
  for (const optimization of optimizations) {
    if (!optimization.backends.includes(backend)) continue;
    for (const cell of cells) {
      if (cell.backend !== backend || !Number.isFinite(cell.msPerStepMedian)) continue;
      let off: ModelBenchRow;
      deps.setEnabled(optimization.id, false, backend);
      try {
        off = await deps.measure(cell);
      } finally {
        deps.setEnabled(optimization.id, true, backend);
      }
      const on = await deps.measure(cell);
      rows.push({
        id: optimization.id,
        description: optimization.description,
        model: cell.model,
        variant: cell.variant,
        preset: cell.preset,
        backend,
        msPerStepOff: off.msPerStepMedian,
        msPerStepOn: on.msPerStepMedian,
        speedup: off.msPerStepMedian / on.msPerStepMedian,
        ...(off.note || on.note ? { note: [off.note, on.note].filter(Boolean).join('; ') } : {}),
      });
    }
  }
  return rows;
}
