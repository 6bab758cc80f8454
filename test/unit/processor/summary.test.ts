import { describe, expect, it } from 'vitest';
import { summarizeResponse } from '../../../control-plane/src/processor/summary.ts';

const body = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');

describe('response summary for the audit record', () => {
  it('counts vectors, reads their dimensions and the usage, and never keeps the vectors', () => {
    const summary = summarizeResponse(
      body({ data: [{ embedding: [0.1, 0.2, 0.3] }, { embedding: [0.4, 0.5, 0.6] }], usage: { prompt_tokens: 7, total_tokens: 7 } }),
    );
    expect(summary).toEqual({ count: 2, dimensions: 3, usage: { promptTokens: 7, totalTokens: 7 } });
  });

  it('reads dimensions of base64 vectors (little-endian float32)', () => {
    const vector = Buffer.alloc(4 * 5).toString('base64');
    expect(summarizeResponse(body({ data: [{ embedding: vector }] }))).toEqual({ count: 1, dimensions: 5 });
  });

  it('leaves out what the response does not say', () => {
    expect(summarizeResponse(body({ data: [] }))).toEqual({ count: 0 });
    expect(summarizeResponse(body({ usage: { prompt_tokens: 3 } }))).toEqual({ usage: { promptTokens: 3, totalTokens: undefined } });
    expect(summarizeResponse(body({ object: 'list' }))).toEqual({});
  });

  it('summarises a body that is not JSON as nothing', () => {
    expect(summarizeResponse(body('<html>bad gateway</html>'))).toEqual({});
  });
});
