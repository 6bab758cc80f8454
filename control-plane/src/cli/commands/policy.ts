import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.ts';
import {
  compilePolicy,
  formatProblem,
  githubAnnotation,
  loadPolicyTests,
  runPolicyTests,
  validatePolicySet,
  type PolicyDecider,
  type PolicyProblem,
} from '../../policy/index.ts';

/** What `policy test` needs from the processor: its request decision (wired by `cli/main.ts`). */
export interface PolicyCommandDeps {
  decide?: PolicyDecider;
}

/** Prints problems as `file:line:col: message` (stderr) and, under GitHub Actions, as annotations (stdout). */
function reportProblems(config: Readonly<Config>, problems: readonly PolicyProblem[]): void {
  for (const problem of problems) {
    process.stderr.write(`${formatProblem(problem)}\n`);
    if (config.ci.githubActions) process.stdout.write(`${githubAnnotation(problem)}\n`);
  }
}

function appendStepSummary(config: Readonly<Config>, markdown: string): void {
  if (config.ci.stepSummaryFile) fs.appendFileSync(config.ci.stepSummaryFile, `${markdown}\n`);
}

function validated(config: Readonly<Config>, dir: string) {
  const result = validatePolicySet(path.resolve(dir));
  reportProblems(config, result.problems);
  return result;
}

/** `embguard policy validate|test`: the checks CI runs on every pull request. */
export function registerPolicyCommands(program: Command, deps: PolicyCommandDeps = {}): void {
  const policy = program.command('policy').description('Validate and test the policy files');

  policy
    .command('validate')
    .description('Parse, schema-check and cross-check policies/*.yaml; exit 1 on any problem')
    .option('--dir <dir>', 'policy directory (default: EMBGUARD_POLICY_DIR or ./policies)')
    .action((options: { dir?: string }) => {
      const config = loadConfig();
      const dir = options.dir ?? config.policyDir;
      const result = validated(config, dir);
      const files = new Set(result.documents.map((d) => d.file)).size;
      process.stdout.write(`${JSON.stringify({ ok: result.ok, documents: result.documents.length, problems: result.problems })}\n`);
      const summary = result.ok
        ? `policy: ${result.documents.length} documents in ${files} files are valid`
        : `policy: ${result.problems.length} problem(s)`;
      process.stderr.write(`${summary}\n`);
      appendStepSummary(config, `### embguard policy validate\n\n${summary}\n${result.problems.map((p) => `- \`${formatProblem(p)}\``).join('\n')}`);
      if (!result.ok) process.exitCode = 1;
    });

  policy
    .command('test')
    .description('Run the policy test cases (claims + request + time → expected decision) with the processor\'s decision code')
    .option('--dir <dir>', 'policy directory (default: EMBGUARD_POLICY_DIR or ./policies)')
    .option('--tests <dir>', 'test case directory (default: <dir>/tests)')
    .action(async (options: { dir?: string; tests?: string }) => {
      const config = loadConfig();
      const dir = options.dir ?? config.policyDir;
      if (!deps.decide) {
        process.stderr.write('embguard: policy test needs the processor decision function, which this build does not wire\n');
        process.exitCode = 2;
        return;
      }
      const result = validated(config, dir);
      const tests = loadPolicyTests(options.tests ?? path.join(dir, 'tests'));
      reportProblems(config, tests.problems);
      if (!result.ok || tests.problems.length > 0) {
        process.exitCode = 1;
        return;
      }
      const report = await runPolicyTests(compilePolicy(result.documents.map((d) => d.document)), tests.cases, deps.decide);
      const failures = report.failed.map(({ case: c, mismatches }) => ({
        file: c.file,
        line: c.line,
        col: c.col,
        message: `${c.suite}: "${c.name}": ${mismatches.join('; ')}`,
      }));
      reportProblems(config, failures);
      process.stdout.write(`${JSON.stringify({ passed: report.passed, failed: failures })}\n`);
      const summary = `policy test: ${report.passed} passed, ${failures.length} failed`;
      process.stderr.write(`${summary}\n`);
      appendStepSummary(config, `### embguard policy test\n\n${summary}\n${failures.map((f) => `- \`${formatProblem(f)}\``).join('\n')}`);
      if (failures.length > 0) process.exitCode = 1;
    });
}
