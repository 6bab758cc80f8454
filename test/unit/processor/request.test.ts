import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../control-plane/src/errors/index.ts';
import { parseEmbeddingsRequest, serializeEmbeddingsRequest } from '../../../control-plane/src/processor/index.ts';

const limits = { maxBodyBytes: 1024, maxBatchInputs: 3 };
const parse = (body: unknown) => parseEmbeddingsRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), limits);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('parseEmbeddingsRequest', () => {
  it.each([
    ['a string', 'hello', 1],
    ['an array of strings', ['a', 'b'], 2],
    ['a token array', [1, 2, 3], 1],
    ['an array of token arrays', [[1], [2, 3]], 2],
  ])('accepts input as %s', (_, input, count) => {
    const request = parse({ model: 'm', input, encoding_format: 'base64', dimensions: 8, user: 'u1' });
    expect(request.items).toHaveLength(count);
    expect(request.encodingFormat).toBe('base64');
    expect(request.dimensions).toBe(8);
  });

  it.each([
    ['not JSON', '{"model":', 'invalid_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), 'invalid_json'],
    ['a JSON array', '[1]', 'invalid_request'],
    ['no model', { input: 'x' }, 'missing_model'],
    ['a numeric model', { model: 3, input: 'x' }, 'missing_model'],
    ['no input', { model: 'm' }, 'invalid_input'],
    ['an object input', { model: 'm', input: { a: 1 } }, 'invalid_input'],
    ['mixed input', { model: 'm', input: ['a', 1] }, 'invalid_input'],
    ['negative token ids', { model: 'm', input: [-1] }, 'invalid_input'],
    ['fractional token ids', { model: 'm', input: [1.5] }, 'invalid_input'],
    ['an empty string', { model: 'm', input: '' }, 'empty_input'],
    ['an empty array', { model: 'm', input: [] }, 'empty_input'],
    ['too many inputs', { model: 'm', input: ['a', 'b', 'c', 'd'] }, 'batch_too_large'],
    ['an unknown field', { model: 'm', input: 'x', extra: true }, 'invalid_request'],
    ['a bad encoding_format', { model: 'm', input: 'x', encoding_format: 'hex' }, 'invalid_request'],
    ['a bad dimensions', { model: 'm', input: 'x', dimensions: 0 }, 'invalid_request'],
  ])('refuses %s', (_, body, code) => {
    expect(codeOf(() => parse(body))).toBe(code);
  });

  it('refuses invalid UTF-8 bytes', () => {
    const body = Buffer.concat([Buffer.from('{"model":"m","input":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(codeOf(() => parseEmbeddingsRequest(body, limits))).toBe('invalid_json');
  });

  it('checks the size before parsing', () => {
    expect(codeOf(() => parse(`{"model":"m","input":"${'x'.repeat(2000)}"}`))).toBe('body_too_large');
  });

  it('does not echo an unsafe unknown field name', () => {
    try {
      parse({ model: 'm', input: 'x', 'alice@example.com': 1 });
    } catch (err) {
      expect((err as Error).message).not.toContain('alice@example.com');
      expect((err as GatewayError).param).toBeUndefined();
    }
  });

  it('forwards a re-serialised body, so duplicate keys cannot smuggle another value upstream', () => {
    const request = parse('{"model":"m","input":"first","input":"second"}');
    expect(JSON.parse(serializeEmbeddingsRequest(request).toString())).toEqual({ model: 'm', input: 'second' });
    expect(serializeEmbeddingsRequest(request).toString()).not.toContain('first');
  });
});
