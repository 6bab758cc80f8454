import { createMaskingEngine, type MaskingEngine } from './engine.ts';
import { SECRET_ENTITY_TYPES } from './types.ts';

/** A secret-looking span: type and offsets only, never the value. */
export interface SecretSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

let secretsEngine: MaskingEngine | undefined;

/**
 * Secret-looking spans in a string (private keys, cloud and provider keys, tokens, connection
 * strings with passwords, high-entropy `key=value`), with the engine the request path uses. The
 * policy validator calls it to reject literal secrets in policy files.
 */
export function findSecrets(text: string): SecretSpan[] {
  secretsEngine ??= createMaskingEngine(undefined);
  return secretsEngine
    .scan(text)
    .findings.filter((f) => SECRET_ENTITY_TYPES.has(f.type))
    .map(({ type, start, end }) => ({ type, start, end }));
}
