import type { PolicyProblem } from './types.ts';

/** `file:line:col: message`, the form editors and CI logs link to. */
export function formatProblem(problem: PolicyProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.message}`;
}

// Workflow-command escaping: data escapes %, CR, LF; property values also `:` and `,`
// (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands).
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A GitHub Actions `::error` annotation that shows the problem on the pull request diff. */
export function githubAnnotation(problem: PolicyProblem): string {
  return `::error file=${escapeProperty(problem.file)},line=${problem.line},col=${problem.col}::${escapeData(problem.message)}`;
}
