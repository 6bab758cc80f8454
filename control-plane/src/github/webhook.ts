import { verify } from '@octokit/webhooks-methods';

/** The webhook event that triggers a snapshot rebuild; the evidence itself is read from the API. */
export const REVIEW_WEBHOOK_EVENT = 'pull_request_review';

/**
 * Checks a webhook delivery's `X-Hub-Signature-256` header: HMAC-SHA256 of the raw body with the
 * webhook secret, compared in constant time (GitHub docs, "Validating webhook deliveries").
 * Returns false for a missing or malformed header instead of throwing.
 */
export async function verifyWebhookSignature(secret: string, rawBody: string, signatureHeader: string | undefined): Promise<boolean> {
  if (!signatureHeader || !/^sha256=[0-9a-f]{64}$/.test(signatureHeader)) return false;
  return verify(secret, rawBody, signatureHeader);
}
