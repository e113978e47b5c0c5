/** The app's evaluation log and export client (one each, beside the run manager). */
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import { ExportClient } from '../export/export-client';
import { EvaluationLog } from './evaluation-log';

export const evaluationLog = new EvaluationLog();
evaluationLog.attach((listener) => usePlayground.subscribe(listener));

export const exportClient = new ExportClient(
  () =>
    new Worker(new URL('../../../workers/export.worker.ts', import.meta.url), {
      type: 'module',
      name: 'export',
    }),
  runManager,
  evaluationLog,
);
