/**
 * Checkpoints kept in this browser, in IndexedDB: a small record per checkpoint for the list, and
 * the safetensors bytes in a second object store (so listing never loads megabytes).
 */
import { readCheckpointInfo } from '../../core/checkpoint/run-checkpoint';

const DB_NAME = 'video-model-playground';
const DB_VERSION = 1;
const INFO_STORE = 'checkpoints';
const BYTES_STORE = 'checkpoint-bytes';

export interface StoredCheckpoint {
  id: string;
  name: string;
  model: string;
  variant: string;
  preset: string;
  step: number;
  /** When it was saved here (ISO 8601). */
  savedAt: string;
  /** File size in bytes. */
  size: number;
}

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(describe(request.error));
  });
}

function completed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(describe(transaction.error));
    transaction.onabort = () => reject(describe(transaction.error));
  });
}

function describe(error: DOMException | null): Error {
  if (error?.name === 'QuotaExceededError') {
    return new Error(
      'This browser has no room left for the checkpoint; delete older ones or download it instead',
    );
  }
  return new Error(`The browser's checkpoint store failed: ${error?.message ?? 'unknown error'}`);
}

function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(
      new Error('This browser cannot store checkpoints (no IndexedDB); download them instead'),
    );
  }
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(INFO_STORE))
      db.createObjectStore(INFO_STORE, { keyPath: 'id' });
    if (!db.objectStoreNames.contains(BYTES_STORE)) db.createObjectStore(BYTES_STORE);
  };
  return promised(request);
}

async function withStores<T>(
  mode: IDBTransactionMode,
  work: (info: IDBObjectStore, bytes: IDBObjectStore) => Promise<T> | T,
): Promise<T> {
  const db = await open();
  try {
    const transaction = db.transaction([INFO_STORE, BYTES_STORE], mode);
    const done = completed(transaction);
    const result = await work(
      transaction.objectStore(INFO_STORE),
      transaction.objectStore(BYTES_STORE),
    );
    await done;
    return result;
  } finally {
    db.close();
  }
}

/** Stores a checkpoint file (checked first: only real checkpoints go in). */
export async function storeCheckpoint(bytes: ArrayBuffer, name: string): Promise<StoredCheckpoint> {
  const info = readCheckpointInfo(bytes);
  const record: StoredCheckpoint = {
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    name,
    model: info.run.model,
    variant: info.run.variant,
    preset: info.run.preset,
    step: info.step,
    savedAt: new Date().toISOString(),
    size: bytes.byteLength,
  };
  await withStores('readwrite', (infoStore, bytesStore) => {
    infoStore.put(record);
    bytesStore.put(bytes, record.id);
  });
  return record;
}

/** Every stored checkpoint, newest first. */
export async function listStoredCheckpoints(): Promise<StoredCheckpoint[]> {
  const records = await withStores('readonly', (info) =>
    promised(info.getAll() as IDBRequest<StoredCheckpoint[]>),
  );
  return records.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

export async function readStoredCheckpoint(id: string): Promise<ArrayBuffer> {
  const bytes = await withStores('readonly', (_, store) =>
    promised(store.get(id) as IDBRequest<ArrayBuffer | undefined>),
  );
  if (!(bytes instanceof ArrayBuffer)) {
    throw new Error(`No checkpoint "${id}" is stored in this browser`);
  }
  return bytes;
}

export async function deleteStoredCheckpoint(id: string): Promise<void> {
  await withStores('readwrite', (info, bytes) => {
    info.delete(id);
    bytes.delete(id);
  });
}
