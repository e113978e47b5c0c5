/// <reference lib="webworker" />
/** Encodes exports (GIF, WebM, PNG, CSV, JSON) off the main thread, one job at a time. */
import { runExportJob } from '../src/export/export-handler';
import type { ExportReply, ExportRequest } from '../src/protocol/export-messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let queue = Promise.resolve();
scope.onmessage = (event: MessageEvent<ExportRequest>) => {
  const { requestId, ...job } = event.data;
  queue = queue.then(async () => {
    let reply: ExportReply;
    try {
      const { bytes, mimeType } = await runExportJob(job);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      reply = { requestId, ok: true, bytes: buffer as ArrayBuffer, mimeType };
      scope.postMessage(reply, [buffer as ArrayBuffer]);
    } catch (error) {
      reply = {
        requestId,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      };
      scope.postMessage(reply);
    }
  });
};
