import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { ERROR_CATALOG, GatewayError, toOpenAIError } from '../../../control-plane/src/errors/index.ts';

const DOC = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');

function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of DOC.matchAll(/^\| `([a-z_]+)` \|(.*)$/gm)) rows.set(match[1] as string, match[0]);
  return rows;
}

describe('error catalog', () => {
  it('is documented in docs/errors.md row for row (code, status, type, message)', () => {
    const rows = documentedRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
    for (const [code, spec] of Object.entries(ERROR_CATALOG)) {
      expect(rows.get(code)).toBe(`| \`${code}\` | ${spec.status} | \`${spec.type}\` | ${spec.message} |`);
    }
  });

  it('turns anything that is not a GatewayError into a generic 500 that echoes nothing', () => {
    const { status, body } = toOpenAIError(new Error('secret sk-live-123 in a stack trace'), 'req-1');
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('sk-live-123');
    expect(body.error).toMatchObject({ code: 'internal_error', request_id: 'req-1' });
  });

  it('keeps the catalog message and appends only the detail the caller vouches for', () => {
    const { status, body } = toOpenAIError(new GatewayError('access_denied', { detail: '(rule: default-deny)' }));
    expect(status).toBe(403);
    expect(body.error.message).toBe('Access to this model is not permitted. (rule: default-deny)');
    expect(body.error.type).toBe('permission_error');
  });
});
