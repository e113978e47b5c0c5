/**
 * Exports from the app: gathers a run's samples or metrics on the main thread and hands the
 * encoding to the export worker; resolves with a Blob. File names carry the run and its step.
 */
import type {
  ExportFormat,
  ExportJob,
  ExportReply,
  ExportRequest,
  MetricsExport,
  MetricsFormat,
  SampleFormat,
  SeriesData,
} from '../../protocol/export-messages';
import { METRICS_FORMATS, SAMPLE_FORMATS } from '../../protocol/export-messages';
import type { EvaluationLog } from '../compare/evaluation-log';
import type { RunManager } from '../runs/run-manager';
import { usePlayground } from '../state/store';
import type { RunState } from '../state/store';

/** Frames per second of exported animations (the app's animation plays at 8 fps). */
export const EXPORT_FPS = 8;

interface Pending {
  resolve(blob: Blob): void;
  reject(error: Error): void;
}

export class ExportClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly manager: RunManager,
    private readonly evaluations: EvaluationLog,
  ) {}

  /** The run's current samples (its main sample views) as an animated GIF, WebM or a PNG strip. */
  exportSamples(id: string, format: SampleFormat): Promise<Blob> {
    if (!SAMPLE_FORMATS.includes(format)) {
      return Promise.reject(new Error(`format must be one of ${SAMPLE_FORMATS.join(', ')}`));
    }
    const run = this.run(id);
    const views = run.samples?.views.filter((view) => view.group === undefined) ?? [];
    if (views.length === 0) {
      return Promise.reject(
        new Error(`${runName(run)} has no samples yet; they appear once the run is ready`),
      );
    }
    const step = run.samples?.step ?? run.step;
    const title = `${runName(run)} · ${run.spec.model} · ${run.spec.variant} · ${run.spec.preset} · step ${step.toLocaleString('en')}`;
    return this.request({ type: 'samples', format, views, title, fps: EXPORT_FPS });
  }

  /** Every training metric and held-out evaluation of the run, as CSV or JSON. */
  exportMetrics(id: string, format: MetricsFormat): Promise<Blob> {
    if (!METRICS_FORMATS.includes(format)) {
      return Promise.reject(new Error(`format must be one of ${METRICS_FORMATS.join(', ')}`));
    }
    return this.request({ type: 'metrics', format, metrics: this.metrics(id) });
  }

  private metrics(id: string): MetricsExport {
    const run = this.run(id);
    const history = this.manager.history(id);
    const series: Record<string, SeriesData> = {};
    for (const name of history?.names() ?? []) {
      const s = history?.get(name);
      if (s) series[name] = { steps: [...s.steps], wallMs: [...s.wallMs], values: [...s.values] };
    }
    return {
      run: {
        id,
        label: run.label,
        model: run.spec.model,
        variant: run.spec.variant ?? '',
        preset: run.spec.preset ?? '',
        spec: run.spec,
        config: run.config,
        parameterCount: run.parameterCount,
        backend: run.backend?.backend ?? null,
        step: run.step,
      },
      series,
      evaluations: this.evaluations.get(id),
      probes: [...run.probes],
    };
  }

  private run(id: string): RunState {
    const run = usePlayground.getState().runs[id];
    if (!run) throw new Error(`Unknown run "${id}"`);
    return run;
  }

  private request(job: ExportJob): Promise<Blob> {
    const worker = this.ensureWorker();
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      const message: ExportRequest = { ...job, requestId };
      worker.postMessage(message); // a copy: the store keeps its sample frames
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<ExportReply>) => {
      const reply = event.data;
      const pending = this.pending.get(reply.requestId);
      this.pending.delete(reply.requestId);
      if (!pending) return;
      if (reply.ok) pending.resolve(new Blob([reply.bytes], { type: reply.mimeType }));
      else pending.reject(new Error(reply.message));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(event.message || 'The export worker crashed');
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      worker.terminate();
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }
}

/** "#2" for run-2. */
export function runName(run: Pick<RunState, 'id'>): string {
  return `Run ${run.id.replace('run-', '#')}`;
}

/** e.g. `lstm-composite-tiny-run2-step120.gif`. */
export function exportFileName(run: RunState, format: ExportFormat): string {
  const step = SAMPLE_FORMATS.includes(format as SampleFormat)
    ? (run.samples?.step ?? run.step)
    : run.step;
  const parts = [
    run.spec.model,
    run.spec.variant,
    run.spec.preset,
    run.id.replace('-', ''),
    `step${step}`,
  ];
  const base = parts
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_');
  const suffix = format === 'png' ? '-frames' : '';
  return `${base}${suffix}.${format}`;
}

/** Saves a Blob through a temporary download link. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
