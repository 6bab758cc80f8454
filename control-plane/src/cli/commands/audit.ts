import type { Command } from 'commander';
import {
  configuredVerifiers,
  isAuditEventType,
  openAuditStore,
  proveEntry,
  verifyConfiguredStore,
  type AuditStore,
  type VerifyReport,
} from '../../audit/index.ts';
import { loadConfig } from '../../config/index.ts';

const FOLLOW_POLL_MS = 500;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function printEntries(store: AuditStore, from: number, to: number, types: readonly string[]): Promise<void> {
  for (const entry of await store.readEntries(from, to)) {
    if (types.length === 0 || types.includes(entry.type)) process.stdout.write(`${entry.leaf}\n`);
  }
}

async function tail(options: { follow?: boolean; type: string[]; lines: string }): Promise<void> {
  const unknown = options.type.filter((t) => !isAuditEventType(t));
  if (unknown.length > 0) throw new Error(`unknown event type(s): ${unknown.join(', ')}`);
  const store = await openAuditStore(loadConfig());
  try {
    let next = await store.size();
    await printEntries(store, Math.max(0, next - Number(options.lines)), next, options.type);
    while (options.follow) {
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      const size = await store.size();
      await printEntries(store, next, size, options.type);
      next = size;
    }
  } finally {
    await store.close();
  }
}

function printReport(report: VerifyReport): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${report.validEntries}/${report.entries} entries valid`);
  out(`${report.validCheckpoints}/${report.checkpoints} checkpoints valid`);
  if (report.uncovered > 0) out(`${report.uncovered} newest entries not yet covered by a signed checkpoint`);
  for (const gap of report.gaps) out(`heartbeat gap: ${gap.from} .. ${gap.to} (${gap.seconds} s without a checkpoint)`);
  for (const problem of report.problems) out(`FAIL ${problem.kind}: ${problem.message}`);
}

async function verify(options: { vkey: string[]; json?: boolean }): Promise<void> {
  const config = loadConfig();
  const verifiers = configuredVerifiers(config, options.vkey);
  if (verifiers.length === 0) throw new Error('no trusted key: pass --vkey or create the log key first');
  const report = await verifyConfiguredStore(config, verifiers);
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printReport(report);
  if (!report.ok) {
    const first = report.problems[0];
    process.stderr.write(`embguard: audit log verification failed: ${first?.message ?? 'unknown problem'}\n`);
    process.exitCode = 1;
  }
}

async function proof(eventId: string): Promise<void> {
  const store = await openAuditStore(loadConfig());
  try {
    process.stdout.write((await proveEntry(store, eventId)).proof);
  } finally {
    await store.close();
  }
}

/** `embguard audit tail|verify|proof`: read, verify and prove the tamper-evident audit log. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Read, verify and prove the tamper-evident audit log');
  audit
    .command('tail')
    .description('Print the newest entries as canonical JSON lines')
    .option('-f, --follow', 'keep printing new entries')
    .option('-t, --type <type>', 'only this event type (repeatable)', collect, [])
    .option('-n, --lines <n>', 'how many recent entries to print first', '20')
    .action(tail);
  audit
    .command('verify')
    .description('Recompute the tree, check every checkpoint signature and heartbeat; exit 1 naming the first bad entry')
    .option('--vkey <vkey>', 'trusted verifier key name+hash+base64 (repeatable; default: the local key files)', collect, [])
    .option('--json', 'print the full report as JSON')
    .action(verify);
  audit
    .command('proof')
    .description('Print a C2SP tlog-proof (inclusion receipt) for an event id')
    .argument('<event-id>')
    .action(proof);
}
