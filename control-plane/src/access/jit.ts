import crypto from 'node:crypto';
import type { Clock } from '../clock/index.ts';
import { GatewayError } from '../errors/index.ts';
import type { Identity } from '../identity/index.ts';
import type { CompiledGrant } from '../policy/index.ts';
import type { GrantRecord, GrantStore } from './grant-store.ts';
import type { GrantWindow } from './types.ts';

/** Who decides access requests and how long a grant may last (from an ApprovalPolicy). */
export interface JitApprovalSettings {
  /** Groups whose members may approve or deny; a requester never decides their own request. */
  readonly approverGroups: readonly string[];
  /** Distinct approvals needed. */
  readonly quorum: number;
  readonly maxDurationMs: number;
}

export type GrantState = 'pending' | 'denied' | 'scheduled' | 'active' | 'expired' | 'revoked';

export type AccessEventType =
  | 'access.requested'
  | 'access.approved'
  | 'access.granted'
  | 'access.denied'
  | 'access.activated'
  | 'access.expired'
  | 'access.revoked';

/**
 * One step of a grant's life, for the audit log. `actor` is the subject who acted, `policy` for a
 * reviewed AccessGrant document, or `system` for expiry; `at` is when it took effect (an expiry is
 * stamped with the grant's end, not with when it was noticed).
 */
export interface AccessEvent {
  readonly type: AccessEventType;
  readonly grantId: string;
  readonly actor: string;
  readonly at: string;
  readonly subject: string;
  readonly models: readonly string[];
  readonly activeFrom?: string;
  readonly activeUntil?: string;
  readonly reason?: string;
}

/** A grant ended early or on time; held requests relying on it must be refused now. */
export interface GrantEnded {
  readonly grantId: string;
  readonly subject: string;
  readonly why: 'revoked' | 'expired';
}

/** A grant as the API and CLI show it. */
export interface GrantView {
  id: string;
  state: GrantState;
  source: GrantRecord['source'];
  subject: string;
  models: string[];
  endpoints: string[];
  durationSeconds: number;
  reason: string;
  createdAt: string;
  approvals: { approver: string; at: string }[];
  activeFrom: string | null;
  activeUntil: string | null;
  denied: { by: string; at: string } | null;
  revoked: { by: string; at: string } | null;
}

export interface AccessRequestInput {
  models: readonly string[];
  endpoints?: readonly string[];
  durationMs: number;
  reason: string;
}

const DEFAULT_ENDPOINTS = ['/v1/embeddings'];
const MAX_REASON_LENGTH = 500;
const POLICY_ACTOR = 'policy';
const SYSTEM_ACTOR = 'system';

const iso = (ms: number) => new Date(ms).toISOString();

/** The state of a record at an instant; expiry is computed from the clock, never stored. */
export function grantState(record: GrantRecord, now: number): GrantState {
  if (record.revokedAt !== null) return 'revoked';
  if (record.deniedAt !== null) return 'denied';
  if (record.activeFrom === null || record.activeUntil === null) return 'pending';
  if (now < record.activeFrom) return 'scheduled';
  return now < record.activeUntil ? 'active' : 'expired';
}

/** The id under which an AccessGrant document lives in the grant store. */
function policyGrantId(grant: CompiledGrant): string {
  return `policy:${grant.name}`;
}

/**
 * AccessGrant documents as `decideAccess` takes them, without a grant store: for evaluating a
 * snapshot on its own (`embguard policy test`).
 */
export function policyGrantWindows(grants: readonly CompiledGrant[]): GrantWindow[] {
  return grants.map((grant) => ({
    id: policyGrantId(grant),
    subject: grant.subject,
    models: grant.models,
    endpoints: grant.endpoints,
    activeFrom: Date.parse(grant.notBefore),
    activeUntil: Date.parse(grant.expiresAt),
  }));
}

/** The decision's view of an approved, unrevoked grant; nothing for any other record. */
function grantWindowOf(record: GrantRecord): GrantWindow[] {
  if (record.activeFrom === null || record.activeUntil === null || record.revokedAt !== null || record.deniedAt !== null) return [];
  return [
    {
      id: record.id,
      subject: record.requester,
      models: record.models,
      endpoints: record.endpoints,
      activeFrom: record.activeFrom,
      activeUntil: record.activeUntil,
    },
  ];
}

function invalid(detail: string): GatewayError {
  return new GatewayError('access_request_invalid', { detail });
}

function validateRequest(input: AccessRequestInput, settings: JitApprovalSettings): void {
  if (input.models.length === 0 || input.models.some((model) => typeof model !== 'string' || model === '')) {
    throw invalid('Name at least one model.');
  }
  if (!Number.isInteger(input.durationMs) || input.durationMs < 1000) throw invalid('The duration must be at least 1s.');
  if (input.durationMs > settings.maxDurationMs) {
    throw invalid(`The duration exceeds the maximum of ${Math.floor(settings.maxDurationMs / 1000)}s.`);
  }
  if (typeof input.reason !== 'string' || input.reason.trim() === '') throw invalid('Give a reason.');
  if (input.reason.length > MAX_REASON_LENGTH) throw invalid(`The reason is longer than ${MAX_REASON_LENGTH} characters.`);
}

/**
 * Just-in-time access: requests, approvals with a quorum of approvers who are not the requester,
 * grants active from approval to approval + duration, revocation, and AccessGrant documents taken
 * as already approved. Every step is reported through `onEvent` (the audit log) and persisted in
 * the `GrantStore` so state survives restarts.
 */
export class JitAccess {
  readonly #store: GrantStore;
  readonly #clock: Clock;
  readonly #settings: () => JitApprovalSettings;
  readonly #onEvent: (event: AccessEvent) => void;
  readonly #newId: () => string;
  readonly #endedListeners = new Set<(ended: GrantEnded) => void>();
  #windows: { revision: number; windows: GrantWindow[] } = { revision: -1, windows: [] };

  constructor(options: {
    store: GrantStore;
    clock: Clock;
    /** A value, or a getter so a policy swap changes approvers without rebuilding the service. */
    settings: JitApprovalSettings | (() => JitApprovalSettings);
    onEvent: (event: AccessEvent) => void;
    newId?: () => string;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    const { settings } = options;
    this.#settings = typeof settings === 'function' ? settings : () => settings;
    this.#onEvent = options.onEvent;
    this.#newId = options.newId ?? (() => `acc_${crypto.randomBytes(8).toString('hex')}`);
  }

  /** Files a request for `requester`; it waits for approvers. */
  request(requester: Identity, input: AccessRequestInput): GrantView {
    validateRequest(input, this.#settings());
    const now = this.#clock.now();
    const id = this.#newId();
    this.#store.insert({
      id,
      source: 'request',
      requester: requester.subject,
      models: [...input.models],
      endpoints: [...(input.endpoints ?? DEFAULT_ENDPOINTS)],
      durationMs: input.durationMs,
      reason: input.reason,
      createdAt: now,
      activeFrom: null,
      activeUntil: null,
      deniedAt: null,
      deniedBy: null,
      revokedAt: null,
      revokedBy: null,
    });
    const record = this.#require(id);
    this.#emit('access.requested', record, requester.subject, now, { reason: input.reason });
    return this.#view(record);
  }

  /** Records one approval; when the quorum is reached the grant becomes active at once. */
  approve(id: string, approver: Identity): GrantView {
    const record = this.#decidable(id, approver);
    if (record.approvals.some((approval) => approval.approver === approver.subject)) {
      throw new GatewayError('access_request_conflict', { detail: 'You already approved this request.' });
    }
    const now = this.#clock.now();
    this.#store.addApproval(id, approver.subject, now);
    this.#emit('access.approved', this.#require(id), approver.subject, now);
    if (this.#require(id).approvals.length >= this.#settings().quorum) {
      this.#store.activate(id, now, now + record.durationMs);
      this.#emit('access.granted', this.#require(id), approver.subject, now);
      this.sweep();
    }
    return this.#view(this.#require(id));
  }

  /** Refuses a pending request; one approver's denial ends it. */
  deny(id: string, approver: Identity): GrantView {
    this.#decidable(id, approver);
    const now = this.#clock.now();
    this.#store.deny(id, approver.subject, now);
    this.#emit('access.denied', this.#require(id), approver.subject, now);
    return this.#view(this.#require(id));
  }

  /**
   * Ends a pending, scheduled or active grant now. Approvers may revoke any grant; a requester may
   * give up their own. Listeners registered with `onGrantEnded` hear of it synchronously.
   */
  revoke(id: string, actor: Identity): GrantView {
    const record = this.#require(id);
    if (record.requester !== actor.subject && !this.#isApprover(actor)) {
      throw new GatewayError('access_request_forbidden', { detail: 'Only approvers or the requester may revoke.' });
    }
    this.#revoke(record, actor.subject);
    return this.#view(this.#require(id));
  }

  /** Grants visible to `viewer`: all of them for approvers, their own for anyone else. */
  list(viewer: Identity): GrantView[] {
    this.#refresh();
    const all = this.#store.list();
    const visible = this.#isApprover(viewer) ? all : all.filter((record) => record.requester === viewer.subject);
    return visible.map((record) => this.#view(record));
  }

  get(id: string): GrantView | undefined {
    const record = this.#store.get(id);
    return record ? this.#view(record) : undefined;
  }

  /**
   * The approved, unrevoked grants as `decideAccess` takes them. In-memory; checks once whether
   * another process changed the store.
   */
  grantWindows(): GrantWindow[] {
    this.#refresh();
    if (this.#windows.revision !== this.#store.revision) {
      this.#windows = { revision: this.#store.revision, windows: this.#store.list().flatMap(grantWindowOf) };
    }
    const now = this.#clock.now();
    return this.#windows.windows.filter((window) => window.activeUntil > now);
  }

  /**
   * Takes the AccessGrant documents of the policy in force as approved grants (the merged pull
   * request is the approval). New ones are recorded, changed windows updated, and grants whose
   * document disappeared are revoked by `policy`.
   */
  syncPolicyGrants(grants: readonly CompiledGrant[]): void {
    const now = this.#clock.now();
    const wanted = new Map(grants.map((grant) => [policyGrantId(grant), grant]));
    for (const [id, grant] of wanted) {
      const activeFrom = Date.parse(grant.notBefore);
      const activeUntil = Date.parse(grant.expiresAt);
      const existing = this.#store.get(id);
      if (!existing) {
        this.#insertPolicyGrant(id, grant, activeFrom, activeUntil, now);
      } else if (existing.revokedAt === null && (existing.activeFrom !== activeFrom || existing.activeUntil !== activeUntil)) {
        this.#store.activate(id, activeFrom, activeUntil);
        this.#emit('access.granted', this.#require(id), POLICY_ACTOR, now);
      }
    }
    for (const record of this.#store.list()) {
      if (record.source === 'policy' && !wanted.has(record.id) && ['scheduled', 'active'].includes(grantState(record, now))) {
        this.#revoke(record, POLICY_ACTOR);
      }
    }
    this.sweep();
  }

  /**
   * Emits `access.activated` and `access.expired` for grants whose start or end has passed, once
   * each (persisted, so a restart does not repeat them). Call it on a timer (e.g. every second);
   * expiry itself is enforced by `decideAccess` whether or not this has run.
   */
  sweep(): void {
    this.#refresh();
    const now = this.#clock.now();
    for (const record of this.#store.list()) {
      if (record.activeFrom === null || record.activeUntil === null || record.revokedAt !== null) continue;
      if (!record.activatedEmitted && now >= record.activeFrom) {
        this.#store.markEmitted(record.id, 'activated');
        this.#emit('access.activated', record, record.source === 'policy' ? POLICY_ACTOR : SYSTEM_ACTOR, record.activeFrom);
      }
      if (!record.expiredEmitted && now >= record.activeUntil) {
        this.#store.markEmitted(record.id, 'expired');
        this.#emit('access.expired', record, SYSTEM_ACTOR, record.activeUntil);
        this.#notifyEnded({ grantId: record.id, subject: record.requester, why: 'expired' });
      }
    }
  }

  /**
   * Subscribes to grants ending (revoked here or in another process, or expired as seen by
   * `sweep`). The processor uses it to refuse requests it holds under that grant. Returns the
   * unsubscribe function.
   */
  onGrantEnded(listener: (ended: GrantEnded) => void): () => void {
    this.#endedListeners.add(listener);
    return () => this.#endedListeners.delete(listener);
  }

  /**
   * Runs `sweep` every `intervalMs` (default 1 s) so expiries and revocations made by another
   * process reach `onGrantEnded` listeners and the audit log promptly. The timer does not keep the
   * process alive. Returns the function that stops it.
   */
  startSweeper(options: { intervalMs?: number; onError?: (err: unknown) => void } = {}): () => void {
    const timer = setInterval(() => {
      try {
        this.sweep();
      } catch (err) {
        options.onError?.(err);
      }
    }, options.intervalMs ?? 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  #insertPolicyGrant(id: string, grant: CompiledGrant, activeFrom: number, activeUntil: number, now: number): void {
    this.#store.insert({
      id,
      source: 'policy',
      requester: grant.subject,
      models: [...grant.models],
      endpoints: [...grant.endpoints],
      durationMs: activeUntil - activeFrom,
      reason: grant.reason,
      createdAt: now,
      activeFrom,
      activeUntil,
      deniedAt: null,
      deniedBy: null,
      revokedAt: null,
      revokedBy: null,
    });
    const record = this.#require(id);
    this.#emit('access.requested', record, POLICY_ACTOR, now, { reason: grant.reason });
    this.#emit('access.granted', record, POLICY_ACTOR, now);
  }

  #revoke(record: GrantRecord, actor: string): void {
    const now = this.#clock.now();
    const state = grantState(record, now);
    if (state !== 'pending' && state !== 'scheduled' && state !== 'active') {
      throw new GatewayError('access_request_conflict', { detail: `The grant is ${state}.` });
    }
    this.#store.revoke(record.id, actor, now);
    this.#emit('access.revoked', this.#require(record.id), actor, now);
    this.#notifyEnded({ grantId: record.id, subject: record.requester, why: 'revoked' });
  }

  #decidable(id: string, approver: Identity): GrantRecord {
    const record = this.#require(id);
    if (record.requester === approver.subject) {
      throw new GatewayError('access_request_forbidden', { detail: 'Requesters cannot decide their own request.' });
    }
    if (!this.#isApprover(approver)) {
      throw new GatewayError('access_request_forbidden', { detail: 'You are not in an approver group.' });
    }
    const state = grantState(record, this.#clock.now());
    if (state !== 'pending') throw new GatewayError('access_request_conflict', { detail: `The request is ${state}.` });
    return record;
  }

  #isApprover(identity: Identity): boolean {
    return identity.groups.some((group) => this.#settings().approverGroups.includes(group));
  }

  #require(id: string): GrantRecord {
    const record = this.#store.get(id);
    if (!record) throw new GatewayError('access_request_not_found');
    return record;
  }

  #refresh(): void {
    for (const grantId of this.#store.refresh()) {
      const record = this.#store.get(grantId);
      if (record) this.#notifyEnded({ grantId, subject: record.requester, why: 'revoked' });
    }
  }

  #notifyEnded(ended: GrantEnded): void {
    for (const listener of this.#endedListeners) listener(ended);
  }

  #emit(type: AccessEventType, record: GrantRecord, actor: string, at: number, extra: { reason?: string } = {}): void {
    this.#onEvent({
      type,
      grantId: record.id,
      actor,
      at: iso(at),
      subject: record.requester,
      models: record.models,
      ...(record.activeFrom !== null ? { activeFrom: iso(record.activeFrom) } : {}),
      ...(record.activeUntil !== null ? { activeUntil: iso(record.activeUntil) } : {}),
      ...extra,
    });
  }

  #view(record: GrantRecord): GrantView {
    return {
      id: record.id,
      state: grantState(record, this.#clock.now()),
      source: record.source,
      subject: record.requester,
      models: [...record.models],
      endpoints: [...record.endpoints],
      durationSeconds: Math.round(record.durationMs / 1000),
      reason: record.reason,
      createdAt: iso(record.createdAt),
      approvals: record.approvals.map((approval) => ({ approver: approval.approver, at: iso(approval.at) })),
      activeFrom: record.activeFrom === null ? null : iso(record.activeFrom),
      activeUntil: record.activeUntil === null ? null : iso(record.activeUntil),
      denied: record.deniedAt === null ? null : { by: record.deniedBy ?? '', at: iso(record.deniedAt) },
      revoked: record.revokedAt === null ? null : { by: record.revokedBy ?? '', at: iso(record.revokedAt) },
    };
  }
}
