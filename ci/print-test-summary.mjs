// Prints the suite's closing line in the plain form any CI reads: "tests: N passed, N failed, N skipped".
// Input: the JSON file vitest's json reporter wrote.
import fs from 'node:fs';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  console.error(`print-test-summary: no results file ${file ?? ''}`);
  process.exit(1);
}
const results = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
