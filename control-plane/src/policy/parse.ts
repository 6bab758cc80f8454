import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments, visit, isAlias, isMap, isScalar, isNode, type Document, type Node } from 'yaml';
import type { PolicyProblem } from './types.ts';

/** A YAML path as ajv and `doc.getIn` use it: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** One YAML document from a policy file, with what is needed to point at any of its nodes. */
export interface SourceDocument {
  /** The file as shown in messages (relative to the working directory). */
  file: string;
  /** Position of the document in its file (files may hold several, separated by `---`). */
  index: number;
  /** The plain JavaScript value of the document. */
  value: unknown;
  /** `line:col` of the node at `path`, or of its nearest ancestor that exists. */
  locate(path: YamlPath, options?: { key?: string }): { line: number; col: number };
}

export interface ParseResult {
  documents: SourceDocument[];
  problems: PolicyProblem[];
  /** The raw text of every file read, for checks that look past the YAML structure (comments too). */
  files: { file: string; text: string }[];
}

/** Policy files are the `.yaml`/`.yml` files directly in the policy directory; `tests/` holds test cases. */
export function listPolicyFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}

/**
 * Parses one policy file strictly: YAML 1.2 core schema, duplicate keys rejected, and no anchors,
 * aliases or merge keys, so the diff a reviewer approves shows every value literally.
 */
export function parsePolicySource(file: string, source: string): ParseResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: false });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);
  const problems: PolicyProblem[] = [];
  // An empty stream (no documents) is returned as a non-array; it simply contributes nothing.
  const list = Array.isArray(docs) ? docs : [];
  const documents: SourceDocument[] = [];
  list.forEach((doc, index) => {
    const before = problems.length;
    for (const err of [...doc.errors, ...doc.warnings]) {
      problems.push({ file, ...at(err.pos[0]), message: firstLine(err.message) });
    }
    problems.push(...literalValueProblems(file, doc, at));
    if (problems.length === before && doc.contents !== null) {
      documents.push(sourceDocument(file, index, doc, at));
    }
  });
  return { documents, problems, files: [{ file, text: source }] };
}

/** Reads and parses every policy file of a directory; unreadable files become problems, not exceptions. */
export function parsePolicyDirectory(dir: string, cwd: string = process.cwd()): ParseResult {
  return parsePolicyFiles(listPolicyFiles(dir).map((abs) => ({ file: path.relative(cwd, abs) || abs, source: fs.readFileSync(abs, 'utf8') })));
}

/** Parses several files (read from disk or from a Git tree) into one result. */
export function parsePolicyFiles(files: readonly { file: string; source: string }[]): ParseResult {
  const result: ParseResult = { documents: [], problems: [], files: [] };
  for (const { file, source } of files) {
    const parsed = parsePolicySource(file, source);
    result.documents.push(...parsed.documents);
    result.problems.push(...parsed.problems);
    result.files.push(...parsed.files);
  }
  return result;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function literalValueProblems(
  file: string,
  doc: Document.Parsed,
  at: (offset: number) => { line: number; col: number },
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const report = (node: Node, message: string): void => {
    problems.push({ file, ...at(node.range?.[0] ?? 0), message });
  };
  visit(doc, {
    Alias(_, node) {
      report(node, `alias *${node.source} is not allowed: write the value out so reviewers see it`);
    },
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<') report(pair.key, 'merge keys (<<) are not allowed');
    },
    Node(_, node) {
      if (!isAlias(node) && node.anchor) report(node, `anchor &${node.anchor} is not allowed`);
    },
  });
  return problems;
}

function sourceDocument(
  file: string,
  index: number,
  doc: Document.Parsed,
  at: (offset: number) => { line: number; col: number },
): SourceDocument {
  return {
    file,
    index,
    value: doc.toJS({ maxAliasCount: 0 }),
    locate(yamlPath, options = {}) {
      for (let depth = yamlPath.length; depth >= 0; depth--) {
        const node = depth === 0 ? doc.contents : doc.getIn(yamlPath.slice(0, depth), true);
        if (!isNode(node)) continue;
        if (options.key !== undefined && depth === yamlPath.length && isMap(node)) {
          const pair = node.items.find((item) => isScalar(item.key) && item.key.value === options.key);
          if (pair && isNode(pair.key)) return at(pair.key.range?.[0] ?? 0);
        }
        return at(node.range?.[0] ?? 0);
      }
      return { line: 1, col: 1 };
    }
  };
}
