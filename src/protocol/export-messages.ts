/**
 * Messages between the app and its export worker, which encodes GIF, WebM, PNG, CSV and JSON off
 * the main thread. One request, one reply, matched by `requestId`.
 */
import type { SampleView } from '../core/models/types';
import type { ProbeReport } from './probe';

export const SAMPLE_FORMATS = ['gif', 'webm', 'png'] as const;
export const METRICS_FORMATS = ['csv', 'json'] as const;
export type SampleFormat = (typeof SAMPLE_FORMATS)[number];
export type MetricsFormat = (typeof METRICS_FORMATS)[number];
export type ExportFormat = SampleFormat | MetricsFormat;

export const EXPORT_MIME_TYPES: Record<ExportFormat, string> = {
  gif: 'image/gif',
  webm: 'video/webm',
  png: 'image/png',
  csv: 'text/csv',
  json: 'application/json',
};

/** One training series of a run: the value logged at each step, with its wall-clock time. */
export interface SeriesData {
  steps: number[];
  wallMs: number[];
  values: number[];
}

/** A held-out evaluation of a run: its scores at one step. */
export interface EvaluationRecord {
  step: number;
  scalars: Record<string, number>;
}

/** What the export worker writes as a run's metrics CSV or JSON. */
export interface MetricsExport {
  run: {
    id: string;
    label: string;
    model: string;
    variant: string;
    preset: string;
    spec: unknown;
    config: Record<string, unknown> | null;
    parameterCount: number | null;
    backend: string | null;
    step: number;
  };
  series: Record<string, SeriesData>;
  evaluations: EvaluationRecord[];
  /** The run's few-label probes in the order they finished (JSON only: not one row a step). */
  probes: ProbeReport[];
}

export type ExportJob =
  | { type: 'samples'; format: SampleFormat; views: SampleView[]; title: string; fps: number }
  | { type: 'metrics'; format: MetricsFormat; metrics: MetricsExport };

export type ExportRequest = ExportJob & { requestId: number };

export type ExportReply =
  | { requestId: number; ok: true; bytes: ArrayBuffer; mimeType: string }
  | { requestId: number; ok: false; message: string };
