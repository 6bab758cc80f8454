import { afterAll, afterEach, beforeAll, expect, type TestContext } from 'vitest';
import { requireEnvoy } from '../../helpers/envoy.ts';
import { startProcessStack, type AuditRecord, type ProcessStack, type ProcessStackOptions } from '../process-stack.ts';

/** PII canaries: unusual enough that finding one anywhere means it leaked. */
export const CANARY_EMAIL = 'canary.f4u1t@leak-test.example';
export const CANARY_CARD = '4539 1488 0343 6467';
export const CANARY_CARD_DIGITS = CANARY_CARD.replaceAll(' ', '');
export const CANARIES = [CANARY_EMAIL, CANARY_CARD, CANARY_CARD_DIGITS] as const;

/** An embeddings request carrying both canaries, masked (email tokenized, card redacted) by the demo policy. */
export function piiRequest(n: number): { model: string; input: string[] } {
  return { model: 'demo-embed', input: [`ticket ${n}: mail ${CANARY_EMAIL} about the invoice`, `card ${CANARY_CARD} on file`] };
}

/** Prints the child logs of `stack()` when the test that just ran failed (logs stay quiet otherwise). */
export function printLogsOnFailure(stack: () => ProcessStack | undefined): void {
  afterEach((context: TestContext) => {
    const state = context.task.result?.state;
    if (state === 'fail') process.stderr.write(`\n===== logs of ${context.task.name} =====\n${stack()?.logs() ?? '(no stack)'}\n`);
  });
}

/**
 * One multi-process stack for the calling `describe`: started before its tests (Envoy required),
 * stopped after them, its child logs printed when a test fails. Returns the accessor tests use.
 */
export function useProcessStack(options: ProcessStackOptions = {}): () => ProcessStack {
  requireEnvoy();
  let stack: ProcessStack | undefined;
  printLogsOnFailure(() => stack);
  beforeAll(async () => {
    stack = await startProcessStack(options);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the process stack did not start');
    return stack;
  };
}

/** The `request.received` audit records by request id. */
export function receivedById(records: readonly AuditRecord[]): Map<string, AuditRecord> {
  return new Map(records.filter((r) => r.type === 'request.received' && r.event.request?.id).map((r) => [r.event.request?.id as string, r]));
}

/** Asserts `embguard audit verify` passes with every entry valid. */
export async function expectAuditVerifies(stack: ProcessStack): Promise<void> {
  const verify = await stack.verifyAudit();
  expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
  expect(verify.stdout).toMatch(/(\d+)\/\1 entries valid/);
}

/** Asserts an error body is the OpenAI error shape with a code. */
export function expectOpenAIError(text: string): { code: string; type: string; message: string } {
  const parsed = JSON.parse(text) as { error?: { code?: string; type?: string; message?: string } };
  expect(parsed.error, text).toBeDefined();
  expect(typeof parsed.error?.code, text).toBe('string');
  return parsed.error as { code: string; type: string; message: string };
}
