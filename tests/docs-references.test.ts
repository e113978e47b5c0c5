/**
 * Comments in `src/` explain what the code depends on by citing documents of this repository:
 * every `docs/<file>.md` they cite exists, every `docs/webgpu-pitfalls.md §N` (or `§N–M`) names a
 * section that document has, no comment cites a notes file that is not in the repository, and
 * the files that document names exist.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(entry.name) ? [full] : [];
  });
}

const sources = sourceFiles(SRC).map((file) => ({
  file: path.relative(ROOT, file),
  text: readFileSync(file, 'utf8'),
}));

function pitfallSections(): Set<number> {
  const doc = readFileSync(path.join(ROOT, 'docs/webgpu-pitfalls.md'), 'utf8');
  return new Set([...doc.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
}

describe('documents cited from src', () => {
  it('cites no notes file outside the repository', () => {
    const offenders = sources.filter(({ text }) => /\bnotes\/[\w-]+\.md/.test(text));
    expect(offenders.map((s) => s.file)).toEqual([]);
  });

  it('cites only docs files that exist', () => {
    const missing: string[] = [];
    for (const { file, text } of sources) {
      for (const [, doc] of text.matchAll(/\bdocs\/([\w-]+\.md)/g)) {
        if (!existsSync(path.join(ROOT, 'docs', doc))) missing.push(`${file}: docs/${doc}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('cites webgpu-pitfalls sections that exist', () => {
    const sections = pitfallSections();
    const cited: string[] = [];
    const missing: string[] = [];
    for (const { file, text } of sources) {
      const refs = text.matchAll(/docs\/webgpu-pitfalls\.md((?:,?\s*§\d+(?:[–-]\d+)?)+)/g);
      for (const [, tail] of refs) {
        for (const [, from, to] of tail.matchAll(/§(\d+)(?:[–-](\d+))?/g)) {
          for (let n = Number(from); n <= Number(to ?? from); n++) {
            cited.push(`${file} §${n}`);
            if (!sections.has(n)) missing.push(`${file} §${n}`);
          }
        }
      }
    }
    expect(cited.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('webgpu-pitfalls names only files that exist', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/webgpu-pitfalls.md'), 'utf8');
    const named = [...doc.matchAll(/`((?:src|tests|e2e|docs)\/[\w./-]+\.\w+)`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
  });
});
