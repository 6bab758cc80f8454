import { getEncoding, getEncodingNameForModel, type Tiktoken, type TiktokenEncoding, type TiktokenModel } from 'js-tiktoken';
import { GatewayError } from '../errors/index.ts';
import type { MaskingEngine } from './engine.ts';
import type { Finding, MaskingDecision, MaskingOutcome, ScanScope } from './types.ts';

/** The OpenAI embeddings `input`: a string, strings, token ids, or arrays of token ids. */
export type EmbeddingsInput = string | readonly string[] | readonly number[] | readonly (readonly number[])[];

/** A finding in one item of `input`; `index` is the item's position (0 for a single string). */
export interface InputFinding extends Finding {
  readonly index: number;
}

/** The result of scanning a whole `input`. */
export interface InputScanResult {
  /**
   * What to send upstream. The same shape as given, except that token ids needing masking become
   * text: a `number[]` becomes the masked string, and a `number[][]` becomes `string[]` (every item
   * decoded, OpenAI does not accept a mix). Unchanged token ids are passed as they came.
   */
  readonly input: EmbeddingsInput;
  /** Whether `input` differs from what was given (the body must be re-serialised). */
  readonly changed: boolean;
  readonly findings: readonly InputFinding[];
  readonly outcome: MaskingOutcome;
  readonly decision: MaskingDecision | undefined;
  /** The masked text of every item, for the audit record (token items decoded). */
  readonly maskedTexts: readonly string[];
  /** Whether `input` was token ids that were decoded to be scanned. */
  readonly decodedTokens: boolean;
  readonly tokenKeyVersion: number | undefined;
}

const DEFAULT_ENCODING: TiktokenEncoding = 'cl100k_base';

interface LoadedEncoding {
  readonly tiktoken: Tiktoken;
  /** `valid[id] === 1` when the id decodes to something (ranks have holes around special tokens). */
  readonly valid: Uint8Array;
}

const encodings = new Map<TiktokenEncoding, LoadedEncoding>();
// Past the largest vocabulary js-tiktoken ships (o200k_base with its special tokens).
const ID_LIMIT = 201_000;

/** The tokenizer encoding of a model: js-tiktoken's table, `cl100k_base` for models it does not know. */
export function encodingNameForModel(model: string | undefined): TiktokenEncoding {
  if (!model) return DEFAULT_ENCODING;
  try {
    return getEncodingNameForModel(model as TiktokenModel); // an unknown name throws, handled below
  } catch {
    return DEFAULT_ENCODING;
  }
}

function loadEncoding(name: TiktokenEncoding): LoadedEncoding {
  let loaded = encodings.get(name);
  if (!loaded) {
    const tiktoken = getEncoding(name);
    const valid = new Uint8Array(ID_LIMIT);
    for (let id = 0; id < ID_LIMIT; id++) if (tiktoken.decode([id]).length > 0) valid[id] = 1;
    loaded = { tiktoken, valid };
    encodings.set(name, loaded);
  }
  return loaded;
}

/**
 * Loads a model's tokenizer ahead of the first token-id request (about 0.4 s once per encoding);
 * the processor may call it at start so no request pays for it.
 */
export function preloadTokenizer(model?: string): void {
  loadEncoding(encodingNameForModel(model));
}

/**
 * Decodes token ids with the model's tokenizer. Throws `GatewayError('invalid_input')` for an id
 * that is not an integer the tokenizer knows, so nothing undecodable passes unscanned.
 */
export function decodeTokenIds(ids: readonly number[], model?: string): string {
  const { tiktoken, valid } = loadEncoding(encodingNameForModel(model));
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= ID_LIMIT || valid[id] !== 1) throw new GatewayError('invalid_input', { param: 'input' });
  }
  return tiktoken.decode([...ids]);
}

type Shape = 'string' | 'strings' | 'tokens' | 'token-arrays';

function shapeOf(input: unknown): Shape {
  if (typeof input === 'string') return 'string';
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((x) => typeof x === 'string')) return 'strings';
    if (input.every((x) => typeof x === 'number')) return 'tokens';
    if (input.every((x) => Array.isArray(x) && x.length > 0 && x.every((y) => typeof y === 'number'))) return 'token-arrays';
  }
  throw new GatewayError('invalid_input', { param: 'input' });
}

function itemsOf(input: EmbeddingsInput, shape: Shape, model: string | undefined): string[] {
  switch (shape) {
    case 'string':
      return [input as string];
    case 'strings':
      return [...(input as readonly string[])];
    case 'tokens':
      return [decodeTokenIds(input as readonly number[], model)];
    case 'token-arrays':
      return (input as readonly (readonly number[])[]).map((ids) => decodeTokenIds(ids, model));
  }
}

function rebuild(input: EmbeddingsInput, shape: Shape, masked: string[], changed: boolean): EmbeddingsInput {
  if (!changed) return input;
  return shape === 'string' || shape === 'tokens' ? masked[0]! : masked;
}

const OUTCOME_RANK: Readonly<Record<MaskingOutcome, number>> = { pass: 0, masked: 1, require_approval: 2, block: 3 };

/**
 * Scans a parsed embeddings `input` of any shape in one call: token ids are decoded with the
 * model's tokenizer (or refused, `GatewayError('token_input_refused')`, when policy says
 * `tokenInputs: refuse`), every item is scanned under one size cap and time budget
 * (`MaskingLimitError` when exceeded), and the results are aggregated. Synchronous, no I/O.
 */
export function scanEmbeddingsInput(engine: MaskingEngine, input: EmbeddingsInput, scope: ScanScope = {}): InputScanResult {
  const shape = shapeOf(input);
  const decodedTokens = shape === 'tokens' || shape === 'token-arrays';
  if (decodedTokens && engine.rules.tokenInputs === 'refuse') throw new GatewayError('token_input_refused', { param: 'input' });
  const results = engine.scanMany(itemsOf(input, shape, scope.model), scope);
  const findings: InputFinding[] = [];
  let outcome: MaskingOutcome = 'pass';
  let decision: MaskingDecision | undefined;
  let tokenKeyVersion: number | undefined;
  results.forEach((result, index) => {
    // Not `{ ...f, index }`: a leading object spread is V8's clone fast path, which made young GCs
    // copy and promote what it cloned (see buildEntry in audit/log.ts).
    for (const f of result.findings) findings.push(Object.assign({}, f, { index }));
    if (OUTCOME_RANK[result.outcome] > OUTCOME_RANK[outcome]) {
      outcome = result.outcome;
      decision = result.decision;
    }
    tokenKeyVersion ??= result.tokenKeyVersion;
  });
  const maskedTexts = results.map((r) => r.masked);
  const changed = findings.some((f) => f.action !== 'allow');
  return { input: rebuild(input, shape, maskedTexts, changed), changed, findings, outcome, decision, maskedTexts, decodedTokens, tokenKeyVersion };
}
