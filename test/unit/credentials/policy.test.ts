import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { compilePolicy, formatProblem, validatePolicySet, type CompiledUpstream } from '../../../control-plane/src/policy/index.ts';
import { credentialRefs, routedUpstream, toXdsSnapshot, UnsafeUpstreamError, upstreamInput } from '../../../control-plane/src/runtime/index.ts';
import { PUSH_ORDER, SYSTEM_CA_FILE } from '../../../control-plane/src/xds/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const EXAMPLES = path.join(PROJECT_ROOT, 'policies');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** The example policy set with gateway.yaml's upstream list replaced by `upstreams` (YAML lines). */
function withUpstreams(upstreams: string): string {
  const { dir, cleanup } = makeTempDir('embguard-creds-policy-');
  cleanups.push(cleanup);
  for (const name of fs.readdirSync(EXAMPLES)) {
    if (name.endsWith('.yaml') && name !== 'gateway.yaml') fs.copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
  }
  const gateway = `apiVersion: embguard.io/v1
kind: Gateway
metadata:
  name: gateway
spec:
  limits:
    maxBodyBytes: 1048576
    maxBatchInputs: 256
  upstreams:
${upstreams}`;
  fs.writeFileSync(path.join(dir, 'gateway.yaml'), gateway);
  return dir;
}

const upstream = (url: string, extra = '') =>
  `    - name: main\n      url: ${url}\n      flavour: openai\n      models: [demo-embed, demo-embed-large]\n${extra}`;

function problems(dir: string): string[] {
  return validatePolicySet(dir, { cwd: dir }).problems.map(formatProblem);
}

function compiledUpstream(dir: string): CompiledUpstream {
  const result = validatePolicySet(dir, { cwd: dir });
  expect(result.problems.map(formatProblem)).toEqual([]);
  return compilePolicy(result.documents.map((d) => d.document)).gateway.upstreams[0] as CompiledUpstream;
}

describe('policy: upstream credentials and transport', () => {
  it('rejects a literal provider key at its file:line:col, without echoing it', () => {
    const key = ['sk-proj-', 'CANARYk3y0000000000000000000000000000'].join('');
    const dir = withUpstreams(upstream('https://api.openai.com', `      credential:\n        ref: env:OPENAI_API_KEY\n        header: authorization\n        format: Bearer ${key}\n`));
    const found = problems(dir);
    expect(found).toContain('gateway.yaml:17:24: literal secret (OPENAI_API_KEY) in policy: reference it instead (credential.ref: env:NAME or file:path)');
    expect(found.join('\n')).not.toContain(key);
  });

  it('refuses a credential in a header HTTP framing owns', () => {
    const dir = withUpstreams(upstream('https://api.openai.com', `      credential: {ref: "env:OPENAI_API_KEY", header: Content-Length, format: "{value}"}\n`));
    expect(problems(dir)).toEqual(['gateway.yaml:14:55: content-length cannot carry a credential']);
  });

  it('compiles a credential to its reference only', () => {
    const dir = withUpstreams(upstream('https://api.openai.com/v1', `      credential: {ref: "file:/run/secrets/openai", header: Authorization, format: "Bearer {value}"}\n`));
    const compiled = compiledUpstream(dir);
    expect(compiled.credential).toEqual({ ref: 'file:/run/secrets/openai', header: 'Authorization', format: 'Bearer {value}' });
    expect(credentialRefs({ listener: { address: '127.0.0.1', port: 1 }, upstreams: [compiled], routes: {}, limits: compiled.limits })).toEqual([
      { upstream: 'main', ref: 'file:/run/secrets/openai', header: 'authorization', format: 'Bearer {value}' },
    ]);
  });

  it('allows plain http to loopback only, unless allowInsecureHttp is set', () => {
    expect(problems(withUpstreams(upstream('http://127.0.0.1:8080')))).toEqual([]);
    expect(problems(withUpstreams(upstream('http://localhost:8080')))).toEqual([]);
    expect(problems(withUpstreams(upstream('http://embeddings.internal:8080')))).toEqual([
      'gateway.yaml:11:12: plain http to embeddings.internal would send the credential and inputs in clear text: use https, or set allowInsecureHttp: true',
    ]);
    const allowed = withUpstreams(upstream('http://embeddings.internal:8080', '      allowInsecureHttp: true\n'));
    expect(problems(allowed)).toEqual([]);
    expect(upstreamInput(compiledUpstream(allowed))).toEqual({ name: 'main', host: 'embeddings.internal', port: 8080 });
  });

  it('rejects tls settings on http and an https IP address without sni', () => {
    expect(problems(withUpstreams(upstream('http://127.0.0.1:8080', '      tls: {minVersion: TLSv1_3}\n')))).toEqual(['gateway.yaml:14:12: tls settings need an https url']);
    expect(problems(withUpstreams(upstream('https://10.0.0.5')))).toEqual([
      'gateway.yaml:11:12: an https upstream addressed by IP needs tls.sni, the name its certificate carries',
    ]);
    expect(problems(withUpstreams(upstream('https://10.0.0.5', '      tls: {sni: embed.internal}\n')))).toEqual([]);
  });

  it('https: SNI from the host, system CA bundle and TLS 1.2 by default; CA file, SNI and version when given', () => {
    expect(upstreamInput(compiledUpstream(withUpstreams(upstream('https://api.openai.com/v1'))))).toEqual({
      name: 'main',
      host: 'api.openai.com',
      port: 443,
      tls: { sni: 'api.openai.com', minVersion: 'TLSv1_2' },
    });
    const custom = compiledUpstream(withUpstreams(upstream('https://10.0.0.5:8443', '      tls: {sni: embed.internal, caFile: /etc/embguard/ca.pem, minVersion: TLSv1_3}\n')));
    expect(upstreamInput(custom)).toEqual({ name: 'main', host: '10.0.0.5', port: 8443, tls: { sni: 'embed.internal', minVersion: 'TLSv1_3', caFile: '/etc/embguard/ca.pem' } });
  });

  // Until routing by model exists, a second upstream's models would be sent to the first provider.
  it('refuses a second upstream, at validation and in a snapshot that skipped it', () => {
    const second = `    - name: other\n      url: https://embeddings.example.com\n      flavour: openai\n      models: [other-embed]\n`;
    const dir = withUpstreams(`${upstream('https://api.openai.com')}${second}`);
    expect(problems(dir)).toEqual([
      'gateway.yaml:14:7: one upstream only: routing by model is not built, so requests for the models of other would go to main',
    ]);
    const main = compiledUpstream(withUpstreams(upstream('https://api.openai.com')));
    const gateway = { listener: { address: '127.0.0.1', port: 1 }, upstreams: [main, { ...main, name: 'other' }], routes: {}, limits: main.limits };
    expect(() => routedUpstream(gateway)).toThrow(UnsafeUpstreamError);
    expect(routedUpstream({ ...gateway, upstreams: [main] })).toBe(main);
  });

  it('the runtime refuses plain http to a remote host even in a snapshot that skipped validation', () => {
    const compiled = compiledUpstream(withUpstreams(upstream('https://api.openai.com')));
    const remoteHttp: CompiledUpstream = { ...compiled, endpoint: { ...compiled.endpoint, url: 'http://api.openai.com', tls: false, port: 80 } };
    expect(() => upstreamInput(remoteHttp)).toThrow(UnsafeUpstreamError);
  });

  it('no credential reference or value reaches the Envoy resources; the https cluster verifies the SAN', () => {
    const dir = withUpstreams(upstream('https://api.openai.com', `      credential: {ref: "env:OPENAI_API_KEY", header: authorization, format: "Bearer {value}"}\n`));
    const result = validatePolicySet(dir, { cwd: dir });
    const compiled = compilePolicy(result.documents.map((d) => d.document));
    const snapshot = toXdsSnapshot({ ref: { seq: 1, sha256: 'b'.repeat(64), version: '1-bbbbbbbbbbbb' }, compiled }, { processor: { host: '127.0.0.1', port: 1 } });
    const text = JSON.stringify(PUSH_ORDER.map((kind) => snapshot.all(kind)));
    expect(text).not.toContain('OPENAI_API_KEY');
    expect(text).toContain(SYSTEM_CA_FILE);
    expect(text).toContain('"match_typed_subject_alt_names":[{"san_type":"DNS","matcher":{"exact":"api.openai.com"}}]');
  });
});
