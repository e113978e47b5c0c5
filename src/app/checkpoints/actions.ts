/**
 * Checkpoint actions shared by the UI and `window.playground`: download, store in the browser,
 * restore a run, open a file, a stored checkpoint or a shipped example as a new run.
 */
import { ConfigError } from '../../core/models/config-schema';
import { describeValue } from '../../core/quote';
import type { BackendName } from '../../protocol/messages';
import type { RunManager } from '../runs/run-manager';
import { usePlayground } from '../state/store';
import {
  deleteStoredCheckpoint,
  listStoredCheckpoints,
  readStoredCheckpoint,
  storeCheckpoint,
} from './browser-store';
import type { StoredCheckpoint } from './browser-store';
import { fetchExample, loadExampleList } from './examples';
import type { ExampleCheckpoint } from './examples';

export const SAFETENSORS_TYPE = 'application/octet-stream';

export interface CheckpointLoadOptions {
  /** Restore this existing run instead of creating a new one (same model and config). */
  into?: string;
  /** Backend of a new run (default: the usual WebGPU → WebGL → CPU). */
  backend?: BackendName;
}

export interface CheckpointApi {
  /** The run as a safetensors file (weights, optimiser state, data stream, step, config, seeds). */
  exportCheckpoint(id: string): Promise<Blob>;
  /** Creates a run from a checkpoint file (or restores `options.into`); resolves with its id. */
  importCheckpoint(
    file: Blob | ArrayBuffer | Uint8Array,
    options?: CheckpointLoadOptions,
  ): Promise<string>;
  /** Saves the run's checkpoint in this browser (IndexedDB). */
  saveCheckpoint(id: string, name?: string): Promise<StoredCheckpoint>;
  /** Checkpoints stored in this browser, newest first. */
  listCheckpoints(): Promise<StoredCheckpoint[]>;
  /** Opens a stored checkpoint as a new run (or restores `options.into`); resolves with the run id. */
  loadCheckpoint(storedId: string, options?: CheckpointLoadOptions): Promise<string>;
  deleteCheckpoint(storedId: string): Promise<void>;
  /** The trained examples shipped with the app. */
  listExamples(): Promise<ExampleCheckpoint[]>;
  /** Opens a shipped example as a new, paused run; resolves with its id. */
  openExample(exampleId: string, options?: Omit<CheckpointLoadOptions, 'into'>): Promise<string>;
}

/**
 * A private copy: the bytes are transferred to a worker, and the caller keeps its own. Anything
 * else (a script's text or number) is refused by its type.
 */
async function toBuffer(file: Blob | ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
  if (file instanceof Blob) return file.arrayBuffer();
  if (file instanceof ArrayBuffer) return file.slice(0);
  if (file instanceof Uint8Array) return file.slice().buffer as ArrayBuffer;
  throw new ConfigError(
    'file',
    `A checkpoint must be a File, Blob, ArrayBuffer or Uint8Array (got ${describeValue(file)})`,
  );
}

/** Refreshes the store's list of checkpoints kept in this browser. */
export async function refreshStoredCheckpoints(): Promise<StoredCheckpoint[]> {
  const list = await listStoredCheckpoints();
  usePlayground.getState().setStoredCheckpoints(list);
  return list;
}

export function checkpointActions(manager: RunManager): CheckpointApi {
  const open = async (bytes: ArrayBuffer, source: string, options: CheckpointLoadOptions = {}) => {
    if (options.into) {
      await manager.restoreCheckpoint(options.into, bytes, source);
      return options.into;
    }
    return manager.createRunFromCheckpoint(bytes, { backend: options.backend, source });
  };
  return {
    async exportCheckpoint(id) {
      const { bytes } = await manager.exportCheckpoint(id);
      return new Blob([bytes], { type: SAFETENSORS_TYPE });
    },
    async importCheckpoint(file, options) {
      const source = file instanceof File ? file.name : 'a checkpoint file';
      return open(await toBuffer(file), source, options);
    },
    async saveCheckpoint(id, name) {
      const { bytes, fileName } = await manager.exportCheckpoint(id);
      const stored = await storeCheckpoint(bytes, name ?? fileName.replace(/\.safetensors$/, ''));
      await refreshStoredCheckpoints();
      return stored;
    },
    listCheckpoints: refreshStoredCheckpoints,
    async loadCheckpoint(storedId, options) {
      const bytes = await readStoredCheckpoint(storedId);
      const stored = usePlayground.getState().storedCheckpoints?.find((c) => c.id === storedId);
      return open(
        bytes,
        stored ? `“${stored.name}” (saved in this browser)` : 'a saved checkpoint',
        options,
      );
    },
    async deleteCheckpoint(storedId) {
      await deleteStoredCheckpoint(storedId);
      await refreshStoredCheckpoints();
    },
    listExamples: loadExampleList,
    async openExample(exampleId, options) {
      const example = (await loadExampleList()).find((e) => e.id === exampleId);
      if (!example) throw new Error(`There is no example checkpoint "${exampleId}"`);
      return open(await fetchExample(example), `the example “${example.title}”`, options);
    },
  };
}

/** Saves bytes as a file through the browser's download. */
export function downloadFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled, so the download has its data.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
