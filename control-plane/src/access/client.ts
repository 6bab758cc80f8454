import type { GrantView } from './jit.ts';

/** A refusal from the control-plane API, with its OpenAI-shaped error code. */
export class AccessApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AccessApiError';
    this.status = status;
    this.code = code;
  }
}

/** A small client of the access routes of the control-plane API, for the CLI and tests. */
export class AccessApiClient {
  readonly #baseUrl: string;
  readonly #token: string;

  constructor(options: { baseUrl: string; token: string }) {
    this.#baseUrl = options.baseUrl.replace(/\/$/, '');
    this.#token = options.token;
  }

  request(input: { models: readonly string[]; duration: string; reason: string }): Promise<GrantView> {
    return this.#call('POST', '/v1/access/requests', input);
  }

  approve(id: string): Promise<GrantView> {
    return this.#call('POST', `/v1/access/requests/${encodeURIComponent(id)}/approve`);
  }

  deny(id: string): Promise<GrantView> {
    return this.#call('POST', `/v1/access/requests/${encodeURIComponent(id)}/deny`);
  }

  revoke(id: string): Promise<GrantView> {
    return this.#call('POST', `/v1/access/grants/${encodeURIComponent(id)}/revoke`);
  }

  async list(state?: string): Promise<GrantView[]> {
    const query = state ? `?state=${encodeURIComponent(state)}` : '';
    const page = await this.#call<{ data: GrantView[] }>('GET', `/v1/access/grants${query}`);
    return page.data;
  }

  async #call<T = GrantView>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.#baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!response.ok) {
      throw new AccessApiError(response.status, json.error?.code ?? 'unknown', json.error?.message ?? `HTTP ${response.status}`);
    }
    return json as T;
  }
}
