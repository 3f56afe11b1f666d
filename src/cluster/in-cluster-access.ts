import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { ClusterAccessResult } from './cluster-access.js';
import { TokenFile } from './token-file.js';

/** TCP keep-alive probe delay for API connections: 30 s, as client-go, below common load-balancer idle timeouts. */
export const KEEP_ALIVE_MS = 30_000;

/**
 * Access through the pod's service account: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the
 * mounted CA and the (rotating) mounted token.
 */
export function inClusterAccess(host: string, port: string, serviceAccountDir: string): ClusterAccessResult {
  const caFile = join(serviceAccountDir, 'ca.crt');
  let ca: Buffer;
  let token: TokenFile;
  try {
    ca = readFileSync(caFile);
    token = new TokenFile(join(serviceAccountDir, 'token'));
  } catch (error) {
    return { ok: false, reason: `in-cluster service account unusable: ${errorText(error)}` };
  }
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const agent = new Agent({ ca, keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS });
  return {
    ok: true,
    access: {
      server,
      source: 'in-cluster service account',
      async requestOptions() {
        return { agent, headers: { Authorization: `Bearer ${await token.value()}` } };
      },
    },
  };
}

/** A short description of a file-system or parse error (no file contents). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    return code !== undefined && path !== undefined ? `${code} ${path}` : error.message;
  }
  return String(error);
}
