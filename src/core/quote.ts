/**
 * How error messages show the input they refuse. A message names the field and says what was
 * expected and what was given, but hostile input (a 4 MB `.npy` header, a key a megabyte long)
 * never travels whole into a message, the UI or the DOM: every quote is a short excerpt.
 */

/** Longest excerpt of input a message quotes. */
export const MAX_QUOTE_CHARS = 80;

/** `text` cut to `max` characters, followed by its full length when it was longer. */
export function excerpt(text: string, max = MAX_QUOTE_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** `text` as a quoted string literal, cut to an excerpt when long: `"abc"`, `"abc…" (… characters)`. */
export function quote(text: string, max = MAX_QUOTE_CHARS): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** A value as JSON (NaN and undefined by name), cut to an excerpt when long. */
export function shortJson(value: unknown, max = MAX_QUOTE_CHARS): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // cycles, bigints
  }
  return excerpt(text ?? describeValue(value), max);
}

/**
 * What a value is, for "must be X (got Y)" messages: its type when the type is wrong (`the string
 * "0.1"`, `an array of 2 items`), the number itself otherwise (`NaN`, `Infinity`, `2.5`).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'nothing (undefined)';
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'string':
      return `the string ${quote(value)}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'bigint':
      return `the bigint ${excerpt(String(value), 24)}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      if (Array.isArray(value)) {
        return `an array of ${value.length.toLocaleString('en-US')} item${value.length === 1 ? '' : 's'}`;
      }
      const keys = Object.keys(value as object);
      if (keys.length === 0) return 'an empty object';
      const shown = keys.slice(0, 3).map((key) => quote(key, 24));
      const more = keys.length > 3 ? `, … (${keys.length} keys)` : '';
      return `an object with key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${more}`;
    }
  }
}
