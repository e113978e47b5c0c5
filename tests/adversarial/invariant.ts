/**
 * The invariant every hostile input must hold, and the tally of inputs tried and handled per entry
 * point, shared by the unit suite and the browser suite.
 */

/** A refusal's message may quote an excerpt of the input, never the input itself. */
export const MAX_MESSAGE_CHARS = 600;

/** What JavaScript says when code breaks on input it did not expect: a crash, not a refusal. */
const CRASH_TEXT =
  /is not a function|Cannot read propert|Cannot set propert|undefined is not|null is not|is not iterable|Maximum call stack|Invalid array length|Invalid typed array length|Array buffer allocation failed|\[object Object\]/;

/** Why `message` is not a clear refusal, or null when it is one. */
export function messageProblem(message: string): string | null {
  if (message.trim().length === 0) return 'an empty message';
  if (message.length > MAX_MESSAGE_CHARS) return `a message of ${message.length} characters`;
  if (CRASH_TEXT.test(message)) return `a crash: ${message.slice(0, 200)}`;
  return null;
}

const CRASH_TYPES = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

/**
 * Why `error` is not a clear refusal by one of `kinds` (e.g. ConfigError for a run spec), or null
 * when it is: a message of reasonable length that is not a JavaScript crash, and for an error
 * with a `field`, a field name.
 */
export function refusalProblem(
  error: unknown,
  kinds: ReadonlyArray<abstract new (...args: never[]) => Error>,
): string | null {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error).slice(0, 200)}`;
  const crashed = CRASH_TYPES.some((type) => error.constructor === type);
  if (crashed) return `a crash (${error.name}): ${error.message.slice(0, 200)}`;
  if (!kinds.some((kind) => error instanceof kind)) {
    return `an unexpected ${error.name}: ${error.message.slice(0, 200)}`;
  }
  const field = (error as { field?: unknown }).field;
  if (field !== undefined && (typeof field !== 'string' || field.length === 0)) {
    return `no field named (${String(field)}): ${error.message.slice(0, 200)}`;
  }
  return messageProblem(error.message);
}

/** Inputs tried and handled per entry point, in the order entry points were first seen. */
export class AdversarialTally {
  private readonly counts = new Map<string, { tried: number; handled: number }>();

  record(entry: string, handled: boolean): void {
    const count = this.counts.get(entry) ?? { tried: 0, handled: 0 };
    count.tried += 1;
    if (handled) count.handled += 1;
    this.counts.set(entry, count);
  }

  entries(): [string, { tried: number; handled: number }][] {
    return [...this.counts];
  }

  report(title: string): string {
    const rows = this.entries();
    const total = rows.reduce(
      (sum, [, c]) => ({ tried: sum.tried + c.tried, handled: sum.handled + c.handled }),
      { tried: 0, handled: 0 },
    );
    const width = Math.max(...rows.map(([name]) => name.length), 'total'.length);
    const line = (name: string, c: { tried: number; handled: number }) =>
      `  ${name.padEnd(width)}  ${String(c.tried).padStart(5)} tried  ${String(c.handled).padStart(5)} handled`;
    return [title, ...rows.map(([name, c]) => line(name, c)), line('total', total)].join('\n');
  }
}
