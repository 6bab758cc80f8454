import fs from 'node:fs';
import { MASKING_CONTENT_CHECKS } from './checks.ts';
import { parsePolicyDirectory, parsePolicyFiles, type ParseResult } from './parse.ts';
import { checkSemantics, literalSecretProblems } from './semantics.ts';
import type { PolicyDocument, PolicyProblem } from './types.ts';
import { validateSchemas, type ContentChecks } from './validate.ts';

/** A validated policy document and the file it came from. */
export interface PolicyFileDocument {
  file: string;
  document: PolicyDocument;
}

/** The outcome of `validatePolicySet`: `documents` is only complete when `problems` is empty. */
export interface PolicySetResult {
  ok: boolean;
  problems: PolicyProblem[];
  documents: PolicyFileDocument[];
}

export interface ValidateOptions {
  /** The masking engine's checks (`MASKING_CONTENT_CHECKS`) unless a test injects others. */
  checks?: ContentChecks;
  /** Base for the file names in messages; the process working directory by default. */
  cwd?: string;
}

/** Runs the schema and semantic stages on parsed documents. */
function validateSources(parsed: ParseResult, label: string, checks: ContentChecks): PolicySetResult {
  const schema = validateSchemas(parsed.documents);
  const problems = [...parsed.problems, ...schema.problems];
  // Cross-document checks assume a complete, schema-valid set; on a broken set they would only add
  // misleading "unknown reference" noise. A literal secret is reported whatever else is wrong.
  if (problems.length === 0) problems.push(...checkSemantics(schema.documents, checks, label));
  for (const { file, text } of parsed.files) problems.push(...literalSecretProblems(file, text, checks));
  const documents = schema.documents.map((d) => ({ file: d.source.file, document: d.doc }));
  return { ok: problems.length === 0, problems: sortProblems(problems), documents };
}

function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/**
 * Parses and validates every policy file in `dir`: strict YAML, one JSON Schema per
 * (apiVersion, kind), then cross-document semantics. Never throws for bad input.
 */
export function validatePolicySet(dir: string, options: ValidateOptions = {}): PolicySetResult {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { ok: false, problems: [{ file: dir, line: 1, col: 1, message: 'policy directory does not exist' }], documents: [] };
  }
  const parsed = parsePolicyDirectory(dir, options.cwd);
  return validateSources(parsed, dir, options.checks ?? MASKING_CONTENT_CHECKS);
}

/** Validates policy files given as `{file, source}` pairs (e.g. read from a Git tree, not the disk). */
export function validatePolicySources(
  files: readonly { file: string; source: string }[],
  options: ValidateOptions & { label: string },
): PolicySetResult {
  return validateSources(parsePolicyFiles(files), options.label, options.checks ?? MASKING_CONTENT_CHECKS);
}
