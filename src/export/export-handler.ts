/** What the export worker does with one job: lay out, draw, encode. */
import type { ExportJob } from '../protocol/export-messages';
import { EXPORT_MIME_TYPES } from '../protocol/export-messages';
import { drawSheetText, encodePng } from './canvas';
import { encodeGif } from './gif';
import { metricsCsv, metricsJson } from './metrics-files';
import { animationSheet, renderSheet, stripSheet } from './sheet';
import { encodeWebm } from './webm';

export async function runExportJob(
  job: ExportJob,
): Promise<{ bytes: Uint8Array; mimeType: string }> {
  const mimeType = EXPORT_MIME_TYPES[job.format];
  switch (job.type) {
    case 'samples': {
      if (job.format === 'png') {
        const sheet = stripSheet(job.views, job.title);
        const rgba = drawSheetText(sheet, renderSheet(sheet));
        return { bytes: await encodePng(rgba, sheet.width, sheet.height), mimeType };
      }
      const sheet = animationSheet(job.views, job.title);
      const frames = Array.from({ length: sheet.frames }, (_, t) =>
        drawSheetText(sheet, renderSheet(sheet, t), t),
      );
      const bytes =
        job.format === 'gif'
          ? encodeGif(frames, sheet.width, sheet.height, Math.round(1000 / job.fps))
          : await encodeWebm(frames, sheet.width, sheet.height, job.fps);
      return { bytes, mimeType };
    }
    case 'metrics': {
      const text = job.format === 'csv' ? metricsCsv(job.metrics) : metricsJson(job.metrics);
      return { bytes: new TextEncoder().encode(text), mimeType };
    }
    default: {
      const unreachable: never = job;
      throw new Error(`Unknown export job ${JSON.stringify(unreachable)}`);
    }
  }
}
