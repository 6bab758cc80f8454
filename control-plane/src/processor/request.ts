import { GatewayError } from '../errors/index.ts';

/** One OpenAI `input` item after validation: text, or the token ids of one text. */
export type EmbeddingInputItem = string | readonly number[];

/** The `input` field in the four shapes the OpenAI API accepts. */
export type EmbeddingInput = string | readonly string[] | readonly number[] | readonly (readonly number[])[];

/** A validated OpenAI `/v1/embeddings` request body. */
export interface EmbeddingsRequest {
  readonly model: string;
  readonly input: EmbeddingInput;
  /** The input as a list of items (a single string or token array becomes one item). */
  readonly items: readonly EmbeddingInputItem[];
  readonly encodingFormat: 'float' | 'base64' | undefined;
  readonly dimensions: number | undefined;
  readonly user: string | undefined;
}

export interface RequestLimits {
  readonly maxBodyBytes: number;
  readonly maxBatchInputs: number;
}

const KNOWN_FIELDS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);
const MAX_MODEL_NAME = 256;
const MAX_TOKEN_ID = 2 ** 31 - 1;
const SAFE_PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isTokenId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKEN_ID;
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every(isTokenId);
}

function inputItems(input: unknown): EmbeddingInputItem[] {
  if (typeof input === 'string') {
    if (input.length === 0) throw new GatewayError('empty_input', { param: 'input' });
    return [input];
  }
  if (!Array.isArray(input)) throw new GatewayError('invalid_input', { param: 'input' });
  if (input.length === 0) throw new GatewayError('empty_input', { param: 'input' });
  if (input.every((item) => typeof item === 'string')) {
    if (input.some((item) => item.length === 0)) throw new GatewayError('empty_input', { param: 'input' });
    return input as string[];
  }
  if (isTokenArray(input)) return [input];
  if (input.every(isTokenArray)) return input as number[][];
  throw new GatewayError('invalid_input', { param: 'input' });
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch (cause) {
    // Invalid UTF-8, syntax errors and nesting deep enough to overflow the parser all land here.
    throw new GatewayError('invalid_json', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('invalid_request', { detail: 'The body must be a JSON object.' });
  }
  return parsed as Record<string, unknown>;
}

function optionalEnum<T extends string>(value: unknown, allowed: readonly T[], param: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new GatewayError('invalid_request', { param, detail: `'${param}' must be one of: ${allowed.join(', ')}.` });
}

/**
 * Validates an embeddings request body. The size is checked before parsing; unknown fields are
 * refused so nothing the gateway did not inspect reaches the upstream.
 */
export function parseEmbeddingsRequest(body: Buffer, limits: RequestLimits): EmbeddingsRequest {
  if (body.length > limits.maxBodyBytes) {
    throw new GatewayError('body_too_large', { detail: `The limit is ${limits.maxBodyBytes} bytes.` });
  }
  if (body.length === 0) throw new GatewayError('invalid_json', { detail: 'The body is empty.' });
  const json = parseJsonObject(body);
  for (const key of Object.keys(json)) {
    if (!KNOWN_FIELDS.has(key)) {
      const param = SAFE_PARAM_NAME.test(key) ? key : undefined;
      throw new GatewayError('invalid_request', {
        param,
        detail: param ? `Unrecognized request argument: '${param}'.` : 'Unrecognized request argument.',
      });
    }
  }
  const model = json.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > MAX_MODEL_NAME) {
    throw new GatewayError('missing_model', { param: 'model' });
  }
  if (json.input === undefined) throw new GatewayError('invalid_input', { param: 'input' });
  const items = inputItems(json.input);
  if (items.length > limits.maxBatchInputs) {
    throw new GatewayError('batch_too_large', { param: 'input', detail: `The limit is ${limits.maxBatchInputs} inputs.` });
  }
  const dimensions = json.dimensions;
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || (dimensions as number) < 1 || (dimensions as number) > 65536)) {
    throw new GatewayError('invalid_request', { param: 'dimensions', detail: "'dimensions' must be a positive integer." });
  }
  const user = json.user;
  if (user !== undefined && typeof user !== 'string') {
    throw new GatewayError('invalid_request', { param: 'user', detail: "'user' must be a string." });
  }
  return {
    model,
    input: json.input as EmbeddingInput,
    items,
    encodingFormat: optionalEnum(json.encoding_format, ['float', 'base64'], 'encoding_format'),
    dimensions: dimensions as number | undefined,
    user,
  };
}

/**
 * The body the upstream receives: always re-serialised from the validated request, so the
 * upstream's JSON parser can never see something ours did not (duplicate keys, odd number forms).
 */
export function serializeEmbeddingsRequest(
  request: EmbeddingsRequest,
  input: EmbeddingInput = request.input,
  user: string | undefined = request.user,
): Buffer {
  const body: Record<string, unknown> = { model: request.model, input };
  if (request.encodingFormat !== undefined) body.encoding_format = request.encodingFormat;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (user !== undefined) body.user = user;
  return Buffer.from(JSON.stringify(body), 'utf8');
}
