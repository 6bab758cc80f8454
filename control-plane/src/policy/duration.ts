/** Durations in policy are `<n><unit>` with s, m, h, d or y (365 days); see `DURATION_PATTERN`. */
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  y: 365 * 86_400_000,
};

/** Milliseconds of a policy duration string, or `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,5})([smhdy])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Upper (and where it matters lower) bounds of the durations policy may set. Long-lived grants and
 * tickets defeat just-in-time access; an inline hold longer than the proxy timeout cannot complete.
 */
export const DURATION_BOUNDS = {
  holdTime: { max: parseDuration('30s')! },
  ticketLifetime: { max: parseDuration('7d')! },
  grant: { max: parseDuration('30d')! },
  keepMetadataFor: { min: parseDuration('30d')!, max: parseDuration('10y')! },
  keepMaskedContentFor: { max: parseDuration('10y')! },
} as const;
