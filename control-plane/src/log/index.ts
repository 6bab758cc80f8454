import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Human-readable output for a terminal; JSON lines otherwise. */
  pretty?: boolean;
  /** Where JSON lines go; standard error by default so stdout stays for command output. */
  destination?: DestinationStream;
}

/**
 * Paths removed from every log line whatever a caller passes: a second line of defence behind the
 * rule that bodies, inputs and finding values are never logged at all.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'body',
  'input',
  'text',
  'value',
  'secret',
  'privateKey',
  'credential.value',
];

/** The root operational logger. Modules receive it (or a child of it); none imports a global. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { service: 'embguard' },
  };
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(base, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything; for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
