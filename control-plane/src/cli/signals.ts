/** Resolves with the first SIGINT or SIGTERM, so a command can stop what it started. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Re-reads the upstream credentials on SIGHUP (the conventional "reload your secrets" signal) and
 * says what changed on stderr; returns a function that stops listening.
 */
export function reloadCredentialsOnHangup(credentials: { reload(): { rotated: readonly unknown[]; failed: readonly unknown[] } }): () => void {
  const onHangup = () => {
    const result = credentials.reload();
    process.stderr.write(`embguard: SIGHUP: credentials reloaded (${result.rotated.length} rotated, ${result.failed.length} unreadable)\n`);
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
