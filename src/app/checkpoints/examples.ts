/**
 * Trained example checkpoints shipped with the app (public/checkpoints/, made with the CLI; see
 * public/checkpoints/README.md), listed by public/checkpoints/manifest.json.
 */

export interface ExampleCheckpoint {
  id: string;
  /** File name inside public/checkpoints/. */
  file: string;
  title: string;
  description: string;
  model: string;
  steps: number;
  size: number;
}

function baseUrl(): string {
  return `${import.meta.env.BASE_URL}checkpoints/`;
}

function isExample(value: unknown): value is ExampleCheckpoint {
  const entry = value as Record<string, unknown>;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    ['id', 'file', 'title', 'description', 'model'].every(
      (key) => typeof entry[key] === 'string',
    ) &&
    typeof entry.steps === 'number' &&
    typeof entry.size === 'number'
  );
}

export async function loadExampleList(): Promise<ExampleCheckpoint[]> {
  const response = await fetch(`${baseUrl()}manifest.json`);
  if (!response.ok)
    throw new Error(`The example list could not be loaded (HTTP ${response.status})`);
  const manifest = (await response.json()) as { examples?: unknown };
  if (!Array.isArray(manifest.examples) || !manifest.examples.every(isExample)) {
    throw new Error('The example list (checkpoints/manifest.json) is malformed');
  }
  return manifest.examples;
}

export async function fetchExample(example: ExampleCheckpoint): Promise<ArrayBuffer> {
  const response = await fetch(`${baseUrl()}${encodeURIComponent(example.file)}`);
  if (!response.ok) {
    throw new Error(`The example "${example.title}" could not be loaded (HTTP ${response.status})`);
  }
  return response.arrayBuffer();
}
