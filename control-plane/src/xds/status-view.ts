import path from 'node:path';
import { XDS_STATUS_PATH } from './api.ts';
import { isStatusDocument, readStatusFile, type XdsStatusDocument } from './status.ts';

/** Where the xDS server of an embguard home persists node status. */
export function xdsStatusFile(home: string): string {
  return path.join(home, 'run', 'xds-status.json');
}

/** Where {@link loadXdsStatus} found the status. */
export interface LoadedXdsStatus {
  source: 'api' | 'file';
  document: XdsStatusDocument;
}

const API_TIMEOUT_MS = 1_500;

/**
 * Node status from the running control plane's API (`GET /v1/xds/status`), or, when it does
 * not answer, from the status file it last wrote. Throws when neither is available.
 */
export async function loadXdsStatus(options: { apiBaseUrl: string; statusFile: string; timeoutMs?: number }): Promise<LoadedXdsStatus> {
  let apiProblem: string;
  try {
    const response = await fetch(new URL(XDS_STATUS_PATH, options.apiBaseUrl), {
      signal: AbortSignal.timeout(options.timeoutMs ?? API_TIMEOUT_MS),
    });
    const body: unknown = await response.json();
    if (response.ok && isStatusDocument(body)) return { source: 'api', document: body };
    apiProblem = `API answered ${response.status}`;
  } catch (err) {
    apiProblem = err instanceof Error ? err.message : String(err);
  }
  try {
    return { source: 'file', document: await readStatusFile(options.statusFile) };
  } catch (err) {
    const fileProblem = err instanceof Error ? err.message : String(err);
    throw new Error(`no xDS status: API ${options.apiBaseUrl} (${apiProblem}); file ${options.statusFile} (${fileProblem})`);
  }
}

const COLUMNS = ['NODE', 'STATE', 'CONNECTED', 'ACCEPTED', 'REJECTED', 'LAST PUSH', 'ERROR'] as const;

/** The status as a plain-text table, one row per node; error texts are shortened to one line. */
export function formatStatusTable(document: XdsStatusDocument): string {
  const rows = document.nodes.map((node) => [
    node.nodeId,
    node.state,
    node.connected ? 'yes' : 'no',
    node.acceptedVersion ?? (Object.values(node.types).some((t) => t?.acceptedVersion) ? 'mixed' : '-'),
    node.rejectedVersion ?? '-',
    node.lastPushAt ?? '-',
    oneLine(node.error ?? '-', 100),
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const header = `snapshot served: ${document.snapshotVersion ?? '(none)'}`;
  if (rows.length === 0) return `${header}\nno Envoy node has connected yet\n`;
  return [header, line(COLUMNS), ...rows.map(line)].join('\n') + '\n';
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
