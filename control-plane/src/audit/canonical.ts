import { createRequire } from 'node:module';

// `canonicalize` is CommonJS with `module.exports = serialize`, but its .d.ts declares a default
// export, which NodeNext types as `{ default }`; requiring it gives the function its real type.
const serialize = createRequire(import.meta.url)('canonicalize') as (input: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON of a value: the exact bytes a Merkle leaf hashes. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}
