import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { GatewayError } from '../../errors/index.ts';
import {
  createMaskingEngine,
  maskingRulesFromPolicies,
  rulesTokenize,
  type Finding,
  type MaskingEngine,
  type MaskingPolicyInput,
  type ScanScope,
} from '../../masking/index.ts';

interface MaskOptions {
  policy?: string;
  text?: string;
  jsonl?: boolean;
  model?: string;
  group: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function yamlFiles(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs
    .readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(target, f));
}

/**
 * The `MaskingPolicy` specs in a YAML file or directory. Until the policy compiler hands over
 * compiled rules this reads the documents directly; full validation is `embguard policy validate`.
 */
function loadMaskingPolicies(target: string): MaskingPolicyInput[] {
  const specs: MaskingPolicyInput[] = [];
  for (const file of yamlFiles(target)) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJS();
      if (typeof value !== 'object' || value === null || !('kind' in value) || value.kind !== 'MaskingPolicy') continue;
      if (!('spec' in value) || typeof value.spec !== 'object' || value.spec === null) throw new Error(`${file}: MaskingPolicy without spec`);
      specs.push(value.spec as MaskingPolicyInput); // shape checked by createMaskingEngine's rule checks
    }
  }
  if (specs.length === 0) throw new Error(`no MaskingPolicy document in ${target}`);
  return specs;
}

function buildEngine(policy: string | undefined): MaskingEngine {
  if (!policy) return createMaskingEngine();
  const rules = maskingRulesFromPolicies(loadMaskingPolicies(policy));
  if (!rulesTokenize(rules)) return createMaskingEngine(rules);
  // Token keys are secrets kept outside policy; the CLI has none, so tokens are only stable within one run.
  process.stderr.write('embguard mask: tokenizing with a one-off key; tokens differ between runs\n');
  return createMaskingEngine(rules, { tokenKeys: [{ version: 1, key: randomBytes(32) }] });
}

/** A finding as the CLI prints it: offsets into the input, never the value. */
function printable(f: Finding): { type: string; start: number; end: number; action: string; rule: string } {
  return { type: f.type, start: f.start, end: f.end, action: f.action, rule: f.ruleId };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function scanLine(engine: MaskingEngine, line: string, scope: ScanScope, lineNo: number): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`line ${lineNo}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || !('text' in parsed) || typeof parsed.text !== 'string') {
    throw new Error(`line ${lineNo}: expected {"id","text"}`);
  }
  const id = 'id' in parsed ? parsed.id : null;
  const result = engine.scan(parsed.text, scope);
  return JSON.stringify({ id, masked: result.masked, findings: result.findings.map(printable) });
}

async function maskJsonl(engine: MaskingEngine, scope: ScanScope): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      process.stdout.write(`${scanLine(engine, line, scope, lineNo)}\n`);
    } catch (err) {
      // The message names the line and the error code only, never the text.
      process.stderr.write(`embguard mask: ${err instanceof GatewayError ? `line ${lineNo}: ${err.code}` : (err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}

async function mask(options: MaskOptions): Promise<void> {
  const engine = buildEngine(options.policy);
  const scope: ScanScope = { ...(options.model ? { model: options.model } : {}), groups: options.group };
  if (options.jsonl) return maskJsonl(engine, scope);
  const text = options.text ?? (await readStdin());
  const result = engine.scan(text, scope);
  process.stdout.write(`${JSON.stringify({ masked: result.masked, findings: result.findings.map(printable) })}\n`);
}

/** `embguard mask`: masks text from `--text`, stdin, or JSON lines, as a policy (or mask-everything) says. */
export function registerMaskCommands(program: Command): void {
  program
    .command('mask')
    .description('Mask PII and secrets in text; prints {"masked","findings"} (never a raw value)')
    .option('--policy <file|dir>', 'YAML file or directory with MaskingPolicy documents (default: mask every type)')
    .option('--text <text>', 'the text to mask (default: read stdin)')
    .option('--jsonl', 'read {"id","text"} JSON lines from stdin, write {"id","masked","findings"} lines')
    .option('--model <name>', 'model name, for rules scoped to models')
    .option('--group <name>', 'caller group, for rules scoped to groups (repeatable)', collect, [])
    .action(mask);
}
