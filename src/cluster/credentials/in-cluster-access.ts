import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { ClusterAccessResult } from './access-types.js';
import { errorText, KEEP_ALIVE_MS } from './access-helpers.js';
import { TokenFile } from './token-file.js';

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
