import path from 'node:path';
import { systemClock } from '../../control-plane/src/clock/index.ts';
import { PROJECT_ROOT } from '../../control-plane/src/config/index.ts';
import { startDemoUpstream, type DemoUpstream, type ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import { startDemoIssuer, type DemoIssuer } from '../../control-plane/src/identity/index.ts';
import type { Logger } from '../../control-plane/src/log/index.ts';
import { validatePolicySet, type PolicyDocument, type PolicyFileDocument } from '../../control-plane/src/policy/index.ts';
import { signDevelopmentSnapshot } from '../../control-plane/src/stack/index.ts';

/**
 * What both end-to-end stacks start from: the demo upstream and the demo OIDC issuer on free
 * loopback ports, and a way to publish policy as development snapshots in the stack's home
 * (`<home>/snapshots`, signed with the key in `<home>/keys`, the paths the roles read by default).
 */
export interface DemoServices {
  readonly upstream: DemoUpstream;
  readonly issuer: DemoIssuer;
  /** Every request the demo upstream received, in order. */
  readonly received: ReceivedRequest[];
  /** The repository's policy documents, pointed at this upstream and issuer. */
  demoDocuments(): PolicyDocument[];
  /** Signs `documents` as an unapproved development snapshot into the store; returns its version. */
  sign(documents: readonly PolicyDocument[]): Promise<string>;
  token(subject?: string, groups?: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

/** Policy documents as if read from `policies/<kind>.yaml`, the shape a snapshot carries. */
function asPolicyFiles(documents: readonly PolicyDocument[]): PolicyFileDocument[] {
  return documents.map((document) => ({ file: `policies/${document.kind}.yaml`, document }));
}

/** The repository's policy documents with the addresses of this upstream and issuer. */
export function demoPolicyDocuments(upstreamUrl: string, issuer: DemoIssuer): PolicyDocument[] {
  const result = validatePolicySet(path.join(PROJECT_ROOT, 'policies'));
  if (!result.ok) throw new Error(`policies/ does not validate: ${JSON.stringify(result.problems)}`);
  return result.documents.map(({ document }) => {
    const copy = structuredClone(document);
    if (copy.kind === 'Gateway') {
      for (const upstream of copy.spec.upstreams) upstream.url = upstreamUrl;
    }
    if (copy.kind === 'IdentityProvider') {
      copy.spec.issuer = issuer.issuer;
      copy.spec.jwks = { uri: issuer.jwksUri };
    }
    return copy;
  });
}

export async function startDemoServices(options: { home: string; logger: Logger; upstreamKey: string | undefined; builder: string }): Promise<DemoServices> {
  const { home, logger } = options;
  const received: ReceivedRequest[] = [];
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger, apiKey: options.upstreamKey, onRequest: (r) => received.push(r) });
  let issuer: DemoIssuer;
  try {
    issuer = await startDemoIssuer({ port: 0, keyDir: path.join(home, 'issuer'), logger });
  } catch (err) {
    await upstream.close();
    throw err;
  }
  return {
    upstream,
    issuer,
    received,
    demoDocuments: () => demoPolicyDocuments(upstream.url, issuer),
    sign: (documents) =>
      signDevelopmentSnapshot({
        storeDir: path.join(home, 'snapshots'),
        keyDir: path.join(home, 'keys'),
        documents: asPolicyFiles(documents),
        builder: options.builder,
        clock: systemClock,
      }),
    token: (subject = 'alice', groups = ['engineering']) => issuer.mintToken({ sub: subject, groups: [...groups] }),
    async close() {
      await issuer.close().catch(() => undefined);
      await upstream.close().catch(() => undefined);
    },
  };
}
