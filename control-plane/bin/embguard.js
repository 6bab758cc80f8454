#!/usr/bin/env -S node --min-semi-space-size=16
// The CLI runs the TypeScript sources directly through tsx, so a fresh clone needs no build step.
// The processor makes short-lived garbage on every request (about 30 KB for a PII-dense 2 KB text);
// V8's young generation starts small and stays small when nothing survives, so it collected about
// every 130th such request, and each collection stalls the request it lands in. Starting it at
// 16 MB makes that about every 500th (docs/masking.md, "Speed"). Tests and benchmarks that start
// the CLI with `node` read these flags from this line (`test/helpers/cli.ts`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
