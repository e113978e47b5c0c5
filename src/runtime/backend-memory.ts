/**
 * Remembered backend choices: the backend trial (core/train/backend-trial.ts) costs seconds to
 * minutes on a software adapter, so its result is kept per adapter and model configuration and a
 * later run of the same spec on the same machine starts at once on the same backend.
 */
import type { AdapterSummary, BackendChoice } from '../core/gpu/backend-types';

export interface BackendMemory {
  recall(key: string): Promise<BackendChoice | null>;
  remember(key: string, choice: BackendChoice): Promise<void>;
}

/** What a choice is remembered under: the adapter and everything that shapes the model's step. */
export function backendMemoryKey(
  adapter: AdapterSummary,
  model: { model: string; variant: string; preset: string; config: unknown },
): string {
  return JSON.stringify([
    adapter.vendor,
    adapter.architecture,
    adapter.description,
    model.model,
    model.variant,
    model.preset,
    model.config,
  ]);
}

/** A memory that lasts as long as the object (tests, environments without storage). */
export function inMemoryBackendMemory(): BackendMemory {
  const choices = new Map<string, BackendChoice>();
  return {
    recall: (key) => Promise.resolve(choices.get(key) ?? null),
    remember: (key, choice) => {
      choices.set(key, choice);
      return Promise.resolve();
    },
  };
}

const DB_NAME = 'backend-choices';
const STORE = 'choices';

function openDb(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB did not open'));
  });
}

function transact<T>(
  factory: IDBFactory,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  return openDb(factory).then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const request = work(db.transaction(STORE, mode).objectStore(STORE));
        request.onsuccess = () => {
          db.close();
          resolve(request.result);
        };
        request.onerror = () => {
          db.close();
          reject(request.error ?? new Error('IndexedDB request failed'));
        };
      }),
  );
}

/**
 * Choices kept in IndexedDB (reachable from workers, unlike localStorage). Storage that fails
 * (private windows, quota) only costs a new trial: recall answers null and remember does nothing.
 */
export function indexedDbBackendMemory(factory: IDBFactory): BackendMemory {
  return {
    async recall(key) {
      try {
        const value = await transact(factory, 'readonly', (store) => store.get(key));
        return isChoice(value) ? value : null;
      } catch {
        return null;
      }
    },
    async remember(key, choice) {
      try {
        await transact(factory, 'readwrite', (store) => store.put(choice, key));
      } catch {
        // not remembered: the next run of this spec times the backends again
      }
    },
  };
}

function isChoice(value: unknown): value is BackendChoice {
  if (typeof value !== 'object' || value === null) return false;
  const choice = value as Partial<BackendChoice>;
  return (
    typeof choice.reason === 'string' &&
    Array.isArray(choice.trials) &&
    (choice.picked === 'webgpu' || choice.picked === 'webgl' || choice.picked === 'cpu')
  );
}
