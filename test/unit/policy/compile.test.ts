import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy, validatePolicySet, type PolicyDocument } from '../../../control-plane/src/policy/index.ts';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE } from '../../../control-plane/src/identity/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { testContentChecks } from '../../fixtures/policy/content-checks.ts';

function exampleDocuments(): PolicyDocument[] {
  const result = validatePolicySet(path.join(PROJECT_ROOT, 'policies'), { checks: testContentChecks });
  expect(result.ok).toBe(true);
  return result.documents.map((d) => d.document);
}

describe('compilePolicy', () => {
  const compiled = compilePolicy(exampleDocuments());

  it('routes each model to its upstream with parsed endpoint and the lowest limits', () => {
    expect(compiled.gateway.routes).toEqual({ 'demo-embed': 'demo', 'demo-embed-large': 'demo' });
    const demo = compiled.gateway.upstreams[0]!;
    expect(demo.endpoint).toEqual({ url: 'http://127.0.0.1:18003', host: '127.0.0.1', port: 18003, tls: false, basePath: '' });
    expect(demo.limits).toEqual({ maxBodyBytes: 1048576, maxBatchInputs: 128 });
    expect(compiled.gateway.listener).toEqual({ address: '127.0.0.1', port: 10000 });
  });

  it('keeps shadow-mode rules marked and out of the enforced masking set', () => {
    const freeze = compiled.access.rules.find((r) => r.id === 'weekend-large-model-freeze')!;
    expect(freeze.mode).toBe('shadow');
    expect(freeze.timeWindows).toEqual([{ days: [0, 6], startMinute: 0, endMinute: 1440, timezone: 'UTC' }]);
    expect(compiled.masking.shadow).toBeNull();
    expect(compiled.masking.enforced.rules.find((r) => r.id === 'secrets-blocked')?.action).toBe('block');
    expect(compiled.masking.enforced.customPatterns[0]).toMatchObject({ entityType: 'CUSTOMER_ID', contextWords: ['customer', 'account'] });
  });

  it('resolves a grant duration to an absolute expiry', () => {
    expect(compiled.grants[0]).toMatchObject({ notBefore: '2026-01-05T08:00:00.000Z', expiresAt: '2026-01-19T08:00:00.000Z' });
  });

  it('fills identity defaults in the identity module shape', () => {
    expect(compiled.identityProviders[0]).toMatchObject({
      name: 'demo-issuer',
      jwks: { uri: 'http://127.0.0.1:18004/jwks' },
      claims: { subject: 'sub', groups: 'groups', clientId: 'client_id' },
      clockSkewSeconds: 30,
      verifiedTokenCacheSize: DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
    });
  });

  it('is deeply frozen, JSON-round-trippable and independent of document order', () => {
    expect(Object.isFrozen(compiled.gateway.upstreams[0]!.endpoint)).toBe(true);
    expect(JSON.parse(JSON.stringify(compiled))).toEqual(compiled);
    expect(compilePolicy(exampleDocuments().reverse())).toEqual(compiled);
  });
});
