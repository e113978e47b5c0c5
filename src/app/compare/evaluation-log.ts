/**
 * Every evaluation each run reported (the run store keeps only the latest), for the compare view's
 * held-out curves and the metrics export. Fed by a store subscription, so the run manager and the
 * worker protocol stay as they are.
 */
import type { EvaluationRecord } from '../../protocol/export-messages';
import type { PlaygroundState } from '../state/store';

type Subscribe = (
  listener: (state: PlaygroundState, previous: PlaygroundState) => void,
) => () => void;

export class EvaluationLog {
  private readonly records = new Map<string, EvaluationRecord[]>();
  private version = 0;

  /** Records each new evaluation of every run; returns the unsubscribe function. */
  attach(subscribe: Subscribe): () => void {
    return subscribe((state, previous) => {
      for (const [id, run] of Object.entries(state.runs)) {
        const evaluation = run.evaluation;
        if (!evaluation || evaluation === previous.runs[id]?.evaluation) continue;
        this.add(id, { step: evaluation.step, scalars: evaluation.result.scalars });
      }
      for (const id of this.records.keys()) if (!(id in state.runs)) this.records.delete(id);
    });
  }

  /** A re-evaluation at the same step replaces the earlier one. */
  add(id: string, record: EvaluationRecord): void {
    const list = this.records.get(id) ?? [];
    if (list.at(-1)?.step === record.step) list[list.length - 1] = record;
    else list.push(record);
    this.records.set(id, list);
    this.version++;
  }

  get(id: string): EvaluationRecord[] {
    return this.records.get(id) ?? [];
  }

  /** Changes whenever a record is added (for memoised charts). */
  get changes(): number {
    return this.version;
  }
}
