/**
 * The registry is the only shared place that names the model kinds: outside a model's own folder
 * (`src/core/models/<kind>/`) and `registry.ts`, no source file imports from a model folder or
 * spells a kind in a string (`'lstm'`, `` `rcnn/${preset}` ``); everything else — the worker,
 * the CLI, the benchmark, checkpoints, links, the pickers — finds models through the registry.
 * Prose in comments may name a model. The scanner is checked on snippets that break the rule.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS, MODEL_KINDS, findModel, modelDefinition } from '../src/core/models/registry';

const SRC = path.resolve(import.meta.dirname, '../src');
const MODELS_DIR = path.join(SRC, 'core/models');
const REGISTRY = path.join(MODELS_DIR, 'registry.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** The code without its comments (strings keep their text). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** How `code` (the text of `file`) names model kinds, one line per finding. */
function kindMentions(file: string, code: string, kinds: readonly string[]): string[] {
  const found: string[] = [];
  const text = withoutComments(code);
  const imports = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)];
  for (const [, specifier] of imports) {
    if (!specifier.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), specifier);
    const relative = path.relative(MODELS_DIR, target).split(path.sep);
    if (kinds.includes(relative[0])) {
      found.push(`imports ${specifier}`);
    }
  }
  for (const kind of kinds) {
    if (new RegExp(`['"\`]${kind}(?:['"\`/]|-)`).test(text)) found.push(`spells '${kind}'`);
  }
  return found;
}

describe('the model registry', () => {
  it('lists each model once, under the name of its folder', () => {
    expect(new Set(MODEL_KINDS).size).toBe(MODELS.length);
    const folders = readdirSync(MODELS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'kit')
      .map((entry) => entry.name)
      .sort();
    expect([...MODEL_KINDS].sort()).toEqual(folders);
    for (const kind of MODEL_KINDS) expect(modelDefinition(kind).kind).toBe(kind);
    expect(findModel('nope')).toBeUndefined();
    expect(() => modelDefinition('nope')).toThrow(/Unknown or unavailable model "nope"/);
  });

  it('is the only shared place that names the model kinds', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const relative = path.relative(MODELS_DIR, file).split(path.sep);
      const own = relative.length > 1 && MODEL_KINDS.some((kind) => kind === relative[0]);
      if (own || file === REGISTRY) continue;
      for (const finding of kindMentions(file, readFileSync(file, 'utf8'), MODEL_KINDS)) {
        offenders.push(`${path.relative(SRC, file)}: ${finding}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('(the scanner finds imports of a model folder and kinds spelled in strings)', () => {
    const file = path.join(SRC, 'runtime/example.ts');
    const kinds = ['lstm', 'vgan', 'rcnn'];
    const mentions = (code: string) => kindMentions(file, code, kinds);
    expect(mentions("import { x } from '../core/models/lstm/config';")).toEqual([
      'imports ../core/models/lstm/config',
    ]);
    expect(mentions("const m = await import('../core/models/vgan/model');")).toHaveLength(1);
    expect(mentions("if (spec.model === 'rcnn') run();")).toEqual(["spells 'rcnn'"]);
    expect(mentions('const name = `rcnn/${preset}`;')).toEqual(["spells 'rcnn'"]);
    expect(mentions('const file = "lstm-composite-tiny.gif";')).toEqual(["spells 'lstm'"]);
    // Prose in comments, other folders and words that merely contain a kind are fine.
    expect(mentions('// the LSTM reads frames\n/* as the vgan does */ const x = 1;')).toEqual([]);
    expect(mentions("import { lstmCell } from '../core/gpu/kernels/lstm-cell';")).toEqual([]);
    expect(mentions("import { MODELS } from '../core/models/registry';")).toEqual([]);
  });
});
