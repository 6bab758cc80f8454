import { createRequire } from 'node:module';

// `canonicalize` is CommonJS with `module.exports = serialize`, but its .d.ts declares a default
// export, which NodeNext types as `{ default }`; requiring it gives the function its real type.
const serialize = createRequire(import.meta.url)('canonicalize') as (input: unknown) => string | undefined;

// Keys V8 enumerates before all others, in numeric order, whatever order they were added in.
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

function isArrayIndex(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 2 ** 32 - 1;
}

/** Thrown inside `sortedCopy` for a value `JSON.stringify` alone cannot canonicalise. */
class NeedsGeneralPath extends Error {}

/**
 * A copy of plain JSON data whose objects hold their keys in RFC 8785 order (UTF-16 code units,
 * which is `sort()`'s order), so `JSON.stringify`, whose strings and numbers are already RFC 8785's,
 * writes the canonical form. Anything else (`toJSON`, class instances, non-finite numbers, keys V8
 * would reorder) is left to the `canonicalize` package.
 */
function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new NeedsGeneralPath();
      return value;
    case 'object':
      break;
    default:
      throw new NeedsGeneralPath();
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new NeedsGeneralPath(); // a hole
      const item: unknown = value[i];
      items.push(item === undefined ? null : sortedCopy(item));
    }
    return items;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new NeedsGeneralPath();
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    if (key === '__proto__' || isArrayIndex(key)) throw new NeedsGeneralPath();
    const item = source[key];
    if (item !== undefined) copy[key] = sortedCopy(item);
  }
  return copy;
}

/**
 * RFC 8785 (JCS) canonical JSON of a value: the exact bytes a Merkle leaf hashes.
 *
 * Plain data goes through one `JSON.stringify`, which returns a flat string. The `canonicalize`
 * package builds its result by concatenation, a tree of string pieces per audit event that lives
 * until the entry is handed to the writer thread. Measured at 20k appends/s: 6.8 → 4.6 µs per event,
 * and the bytes each young-generation GC promoted went from ~590 KB to ~250–330 KB. Both paths give
 * the same bytes (a property test checks).
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(sortedCopy(value));
  } catch (err) {
    if (!(err instanceof NeedsGeneralPath)) throw err;
    text = serialize(value);
  }
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}
