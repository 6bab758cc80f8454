import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components } from '@octokit/openapi-types';

type Schemas = components['schemas'];

/**
 * Fixture shapes are picks of GitHub's OpenAPI schemas: a field GitHub renames or drops fails the
 * typecheck here instead of silently diverging from the real API.
 */
export type PullRequestFixture = Pick<
  Schemas['pull-request'],
  'number' | 'html_url' | 'state' | 'merged' | 'merged_at' | 'merge_commit_sha' | 'title'
> & {
  user: Pick<Schemas['simple-user'], 'login' | 'id'>;
  head: Pick<Schemas['pull-request']['head'], 'sha' | 'ref'>;
  base: Pick<Schemas['pull-request']['base'], 'sha' | 'ref'>;
  merged_by: Pick<Schemas['simple-user'], 'login' | 'id'> | null;
};
export type ReviewFixture = Pick<Schemas['pull-request-review'], 'id' | 'state' | 'html_url' | 'submitted_at' | 'commit_id' | 'body'> & {
  user: Pick<Schemas['simple-user'], 'login' | 'id'>;
};
export type DiffEntryFixture = Pick<Schemas['diff-entry'], 'filename' | 'status' | 'additions' | 'deletions' | 'changes' | 'sha'>;
export type PermissionFixture = Pick<Schemas['repository-collaborator-permission'], 'permission' | 'role_name'>;
export type StatusFixture = Pick<Schemas['status'], 'state' | 'context' | 'description'>;

/** In-memory state of one repository on the fake GitHub. */
export interface FakeRepoState {
  pulls: Map<number, PullRequestFixture>;
  /** Commit SHA → numbers of the pull requests associated with it. */
  commitPulls: Map<string, number[]>;
  reviews: Map<number, ReviewFixture[]>;
  files: Map<number, DiffEntryFixture[]>;
  permissions: Map<string, PermissionFixture>;
  statuses: { sha: string; status: StatusFixture }[];
}

export interface FakeGitHub {
  /** Pass as Octokit `baseUrl`. */
  readonly url: string;
  readonly state: FakeRepoState;
  /** Every request path (with query) served, in order. */
  readonly requests: string[];
  /** Makes every request whose path matches answer with this status and a GitHub error body. */
  failWhen(pathPattern: RegExp, status: number, message: string): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function notFound(): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
}

/** One page of `items` with an RFC 8288 `Link` header the way GitHub builds it. */
function paginate(baseUrl: string, url: URL, items: readonly unknown[]): Reply {
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
  const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number, rel: string): string => {
    const next = new URL(url.pathname, baseUrl);
    next.searchParams.set('per_page', String(perPage));
    next.searchParams.set('page', String(p));
    return `<${next.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function route(state: FakeRepoState, baseUrl: string, method: string, url: URL, body: string): Reply {
  const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
  if (!match) return notFound();
  const rest = match[3]!;
  let m: RegExpExecArray | null;
  if (method === 'GET' && (m = /^\/commits\/([0-9a-f]{40})\/pulls$/.exec(rest))) {
    const pulls = (state.commitPulls.get(m[1]!) ?? []).map((n) => state.pulls.get(n)!);
    return paginate(baseUrl, url, pulls);
  }
  if (method === 'GET' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
    const pr = state.pulls.get(Number(m[1]));
    return pr ? { status: 200, body: pr } : notFound();
  }
  if (method === 'GET' && (m = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
    return state.pulls.has(Number(m[1])) ? paginate(baseUrl, url, state.reviews.get(Number(m[1])) ?? []) : notFound();
  }
  if (method === 'GET' && (m = /^\/pulls\/(\d+)\/files$/.exec(rest))) {
    return state.pulls.has(Number(m[1])) ? paginate(baseUrl, url, state.files.get(Number(m[1])) ?? []) : notFound();
  }
  if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
    const permission = state.permissions.get(m[1]!.toLowerCase());
    return { status: 200, body: { ...(permission ?? { permission: 'none', role_name: 'none' }), user: { login: m[1] } } };
  }
  if (method === 'POST' && (m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest))) {
    const status = JSON.parse(body) as StatusFixture;
    state.statuses.push({ sha: m[1]!, status });
    return { status: 201, body: { ...status, id: state.statuses.length } };
  }
  return notFound();
}

/** Starts a fake of the ~6 GitHub REST routes embguard uses, on 127.0.0.1 and a free port. */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const state: FakeRepoState = {
    pulls: new Map(),
    commitPulls: new Map(),
    reviews: new Map(),
    files: new Map(),
    permissions: new Map(),
    statuses: [],
  };
  const requests: string[] = [];
  const failures: { pattern: RegExp; status: number; message: string }[] = [];
  let baseUrl = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', baseUrl);
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const failure = failures.find((f) => f.pattern.test(url.pathname));
      const reply = failure
        ? { status: failure.status, body: { message: failure.message, documentation_url: 'https://docs.github.com/rest' } }
        : route(state, baseUrl, req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...('headers' in reply ? reply.headers : {}) });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    state,
    requests,
    failWhen(pattern, status, message) {
      failures.push({ pattern, status, message });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
