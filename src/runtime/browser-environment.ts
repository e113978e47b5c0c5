/** The run worker's environment in a browser: MNIST fetched from the app's own origin. */
import { MNIST_FILES, parseIdxImages, parseIdxLabels } from '../core/data/mnist';
import type { MnistDigits } from '../core/data/mnist';
import type { RunEnvironment } from './run-handler';
import { inMemoryBackendMemory, indexedDbBackendMemory } from './backend-memory';

async function fetchBytes(url: string, onBytes: (received: number) => void): Promise<ArrayBuffer> {
  try {
    return await download(url, onBytes, 'default');
  } catch (error) {
    if (!(error instanceof TypeError)) throw error; // an HTTP error: fetching again will not help
    // Chromium aborts one of two concurrent reads of the same large file through its HTTP cache
    // ("network error") when two runs start at once; the second read goes around the cache.
    return download(url, onBytes, 'no-store');
  }
}

async function download(
  url: string,
  onBytes: (received: number) => void,
  cache: RequestCache,
): Promise<ArrayBuffer> {
  const response = await fetch(url, { cache });
  if (!response.ok || !response.body) {
    throw new Error(`Could not load ${url} (HTTP ${response.status}). Run "npm run prepare-data".`);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onBytes(received);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}

export function browserEnvironment(baseUrl: string): RunEnvironment {
  return {
    now: () => performance.now(),
    backendMemory:
      typeof indexedDB === 'undefined'
        ? inMemoryBackendMemory()
        : indexedDbBackendMemory(indexedDB),
    async loadMnist(onProgress) {
      const trainUrl = new URL(`data/mnist/${MNIST_FILES.trainImages}`, baseUrl).href;
      const testUrl = new URL(`data/mnist/${MNIST_FILES.testImages}`, baseUrl).href;
      const totalBytes = 47_040_016 + 7_840_016; // sizes of the two IDX image files
      let trainBytes = 0;
      let testBytes = 0;
      const report = () => onProgress(Math.min(1, (trainBytes + testBytes) / totalBytes));
      const [train, test] = await Promise.all([
        fetchBytes(trainUrl, (n) => ((trainBytes = n), report())),
        fetchBytes(testUrl, (n) => ((testBytes = n), report())),
      ]);
      const digits: MnistDigits = { train: parseIdxImages(train), test: parseIdxImages(test) };
      return digits;
    },
    async loadMnistLabels() {
      const url = (name: string) => new URL(`data/mnist/${name}`, baseUrl).href;
      const [train, test] = await Promise.all([
        fetchBytes(url(MNIST_FILES.trainLabels), () => {}),
        fetchBytes(url(MNIST_FILES.testLabels), () => {}),
      ]);
      return { train: parseIdxLabels(train), test: parseIdxLabels(test) };
    },
  };
}
