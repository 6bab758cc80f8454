import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Where a grant came from: a JIT access request, or an `AccessGrant` document merged through review. */
export type GrantSource = 'request' | 'policy';

/** One access request and, once approved, the grant it became. Times are epoch milliseconds. */
export interface GrantRecord {
  readonly id: string;
  readonly source: GrantSource;
  /** Subject the grant is for (the requester). */
  readonly requester: string;
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  readonly durationMs: number;
  readonly reason: string;
  readonly createdAt: number;
  readonly approvals: readonly { readonly approver: string; readonly at: number }[];
  /** Set when approved: the grant is active in `[activeFrom, activeUntil)`. */
  readonly activeFrom: number | null;
  readonly activeUntil: number | null;
  readonly deniedAt: number | null;
  readonly deniedBy: string | null;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
  /** Whether the `access.activated` / `access.expired` events were emitted (each exactly once). */
  readonly activatedEmitted: boolean;
  readonly expiredEmitted: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS access_grants (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL CHECK (source IN ('request', 'policy')),
  requester TEXT NOT NULL,
  models TEXT NOT NULL,
  endpoints TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  active_from INTEGER,
  active_until INTEGER,
  denied_at INTEGER,
  denied_by TEXT,
  revoked_at INTEGER,
  revoked_by TEXT,
  activated_emitted INTEGER NOT NULL DEFAULT 0,
  expired_emitted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_approvals (
  grant_id TEXT NOT NULL REFERENCES access_grants(id),
  approver TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (grant_id, approver)
);
`;

interface GrantRow {
  id: string;
  source: GrantSource;
  requester: string;
  models: string;
  endpoints: string;
  duration_ms: number;
  reason: string;
  created_at: number;
  active_from: number | null;
  active_until: number | null;
  denied_at: number | null;
  denied_by: string | null;
  revoked_at: number | null;
  revoked_by: string | null;
  activated_emitted: number;
  expired_emitted: number;
}

interface ApprovalRow {
  grant_id: string;
  approver: string;
  at: number;
}

/** The file the grant store lives in under EMBGUARD_HOME. */
export function grantStorePath(home: string): string {
  return path.join(home, 'access', 'grants.sqlite');
}

/**
 * Durable store of access requests and grants (SQLite, WAL). It keeps every record in memory too,
 * so the request path reads grants without I/O beyond one `PRAGMA data_version` check that notices
 * writes from another process (the control plane and the processor may be separate processes).
 */
export class GrantStore {
  readonly #db: Database.Database;
  // Prepared once: `db.pragma()` compiles a new statement on every call, and the request path
  // checks the data version on every request.
  readonly #dataVersionStatement: Database.Statement<[], number>;
  #records = new Map<string, GrantRecord>();
  #dataVersion = -1;
  #revision = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#dataVersionStatement = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Opens (creating if needed) the store at `file`. */
  static open(file: string): GrantStore {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    const store = new GrantStore(db);
    store.refresh();
    return store;
  }

  /**
   * Reloads from disk when another connection committed since the last load. Returns the ids of
   * grants that another process revoked meanwhile, so local listeners can cut held requests.
   */
  refresh(): string[] {
    const version = this.#currentDataVersion();
    if (version === this.#dataVersion) return [];
    this.#dataVersion = version;
    const before = this.#records;
    this.#records = this.#loadAll();
    this.#revision++;
    return [...this.#records.values()]
      .filter((record) => record.revokedAt !== null && before.get(record.id)?.revokedAt === null)
      .map((record) => record.id);
  }

  /** Changes whenever the in-memory view changes; lets callers cache what they derive from it. */
  get revision(): number {
    return this.#revision;
  }

  get(id: string): GrantRecord | undefined {
    return this.#records.get(id);
  }

  /** Every record, newest first. */
  list(): GrantRecord[] {
    return [...this.#records.values()].sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  }

  insert(record: Omit<GrantRecord, 'approvals' | 'activatedEmitted' | 'expiredEmitted'>): void {
    this.#db
      .prepare(
        `INSERT INTO access_grants (id, source, requester, models, endpoints, duration_ms, reason, created_at, active_from, active_until)
         VALUES (@id, @source, @requester, @models, @endpoints, @durationMs, @reason, @createdAt, @activeFrom, @activeUntil)`,
      )
      .run({ ...record, models: JSON.stringify(record.models), endpoints: JSON.stringify(record.endpoints) });
    this.#reloadOne(record.id);
  }

  addApproval(id: string, approver: string, at: number): void {
    this.#db.prepare('INSERT INTO access_approvals (grant_id, approver, at) VALUES (?, ?, ?)').run(id, approver, at);
    this.#reloadOne(id);
  }

  activate(id: string, activeFrom: number, activeUntil: number): void {
    this.#update(id, 'active_from = ?, active_until = ?', activeFrom, activeUntil);
  }

  deny(id: string, by: string, at: number): void {
    this.#update(id, 'denied_at = ?, denied_by = ?', at, by);
  }

  revoke(id: string, by: string, at: number): void {
    this.#update(id, 'revoked_at = ?, revoked_by = ?', at, by);
  }

  markEmitted(id: string, event: 'activated' | 'expired'): void {
    this.#update(id, event === 'activated' ? 'activated_emitted = 1' : 'expired_emitted = 1');
  }

  close(): void {
    this.#db.close();
  }

  #update(id: string, assignments: string, ...values: (number | string)[]): void {
    this.#db.prepare(`UPDATE access_grants SET ${assignments} WHERE id = ?`).run(...values, id);
    this.#reloadOne(id);
  }

  #reloadOne(id: string): void {
    const row = this.#db.prepare('SELECT * FROM access_grants WHERE id = ?').get(id) as GrantRow | undefined;
    const approvals = this.#db.prepare('SELECT * FROM access_approvals WHERE grant_id = ? ORDER BY at, approver').all(id) as ApprovalRow[];
    if (row) this.#records.set(id, toRecord(row, approvals));
    this.#revision++;
    // Our own write bumps nothing for us (data_version counts other connections' commits).
    this.#dataVersion = this.#currentDataVersion();
  }

  #currentDataVersion(): number {
    return this.#dataVersionStatement.get() as number;
  }

  #loadAll(): Map<string, GrantRecord> {
    const rows = this.#db.prepare('SELECT * FROM access_grants').all() as GrantRow[];
    const approvals = this.#db.prepare('SELECT * FROM access_approvals ORDER BY at, approver').all() as ApprovalRow[];
    return new Map(rows.map((row) => [row.id, toRecord(row, approvals.filter((a) => a.grant_id === row.id))]));
  }
}

function toRecord(row: GrantRow, approvals: readonly ApprovalRow[]): GrantRecord {
  return {
    id: row.id,
    source: row.source,
    requester: row.requester,
    models: JSON.parse(row.models) as string[],
    endpoints: JSON.parse(row.endpoints) as string[],
    durationMs: row.duration_ms,
    reason: row.reason,
    createdAt: row.created_at,
    approvals: approvals.map((a) => ({ approver: a.approver, at: a.at })),
    activeFrom: row.active_from,
    activeUntil: row.active_until,
    deniedAt: row.denied_at,
    deniedBy: row.denied_by,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    activatedEmitted: row.activated_emitted === 1,
    expiredEmitted: row.expired_emitted === 1,
  };
}
