import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../config/index.ts';

/** The checked-in bootstrap template (ADS-only; see the comments in the file). */
export const BOOTSTRAP_TEMPLATE = path.join(PROJECT_ROOT, 'envoy', 'bootstrap.yaml');

export interface BootstrapParams {
  nodeId: string;
  /** 0 lets Envoy pick (read the address back with `--admin-address-path`). */
  adminPort: number;
  xdsPort: number;
}

const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;

function checkPort(name: string, port: number, min = 1): string {
  if (!Number.isInteger(port) || port < min || port > 65535) throw new Error(`bootstrap: ${name} ${port} is not a port`);
  return String(port);
}

/** Renders `envoy/bootstrap.yaml` for one Envoy instance. */
export function renderBootstrap(params: BootstrapParams, template = fs.readFileSync(BOOTSTRAP_TEMPLATE, 'utf8')): object {
  if (!NODE_ID.test(params.nodeId)) throw new Error(`bootstrap: node id ${JSON.stringify(params.nodeId)} is not allowed`);
  const values: Record<string, string> = {
    NODE_ID: params.nodeId,
    ADMIN_PORT: checkPort('admin port', params.adminPort, 0),
    XDS_PORT: checkPort('xDS port', params.xdsPort),
  };
  const rendered = template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`bootstrap: unknown placeholder \${${name}}`);
    return value;
  });
  return parse(rendered) as object;
}
