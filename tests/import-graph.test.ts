/**
 * The modules of `src/` import each other without cycles, type-only imports included: each layer
 * can be read (and tested) on top of the ones below it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** The file a relative import specifier names, or null for packages. */
function resolveImport(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')];
  return candidates.find((file) => existsSync(file)) ?? null;
}

/** Every cycle met by a depth-first walk, as a chain of paths relative to src. */
function importCycles(files: string[]): string[] {
  const imports = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm),
    ];
    const targets = specifiers.map(([, s]) => resolveImport(file, s));
    imports.set(
      file,
      targets.filter((target): target is string => target !== null),
    );
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    visiting.add(file);
    stack.push(file);
    for (const next of imports.get(file) ?? []) {
      if (visiting.has(next)) {
        const chain = [...stack.slice(stack.indexOf(next)), next];
        cycles.push(chain.map((f) => path.relative(SRC, f)).join(' → '));
      } else if (!done.has(next)) visit(next);
    }
    stack.pop();
    visiting.delete(file);
    done.add(file);
  };
  for (const file of files) if (!done.has(file)) visit(file);
  return cycles;
}

describe('import graph of src', () => {
  it('finds a type-only cycle (the check can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-graph-'));
    writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = b;\n");
    writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './c';\nexport const b = 1;\n");
    writeFileSync(path.join(dir, 'c.ts'), "import type { B } from './b';\nexport type A = B;\n");
    const files = ['a.ts', 'b.ts', 'c.ts'].map((name) => path.join(dir, name));
    const cycles = importCycles(files).map((chain) =>
      chain.replaceAll(path.relative(SRC, dir), ''),
    );
    rmSync(dir, { recursive: true });
    expect(cycles).toEqual(['/b.ts → /c.ts → /b.ts']);
  });

  it('has no import cycles', () => {
    expect(importCycles(sourceFiles(SRC))).toEqual([]);
  });
});
