/**
 * Messages between the app and its export worker, which encodes GIF, WebM, PNG, CSV and JSON off
 * the main thread. One request, one reply, matched by `requestId`.
 */
import type { SampleView } from '../core/models/types';
import type { MetricsExport } from '../export/metrics-files';

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

export type ExportJob =
  | { type: 'samples'; format: SampleFormat; views: SampleView[]; title: string; fps: number }
  | { type: 'metrics'; format: MetricsFormat; metrics: MetricsExport };

export type ExportRequest = ExportJob & { requestId: number };

export type ExportReply =
  | { requestId: number; ok: true; bytes: ArrayBuffer; mimeType: string }
  | { requestId: number; ok: false; message: string };
