// Entry point of the SQLite audit writer thread. A worker thread does not get loader hooks the
// parent registered at run time (vitest's transform, `register()` in bin/embguard.js), so it
// registers tsx itself before importing the TypeScript module.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serveSqliteWriter } = await import('./sqlite-writer.ts');
serveSqliteWriter(parentPort, workerData.file);
