import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ClusterAccess, ClusterAccessResult, RequestOptions } from './access-types.js';
import { errorText, KEEP_ALIVE_MS } from './access-helpers.js';
import { TokenFile } from './token-file.js';
import { asObject } from '../../kube/json-value.js';

type Entry = Record<string, unknown>;

/** One named entry of a kubeconfig list (`clusters`, `users`, `contexts`) with relative paths made absolute. */
interface Named {
  readonly name: string;
  readonly body: Entry;
}

/** Fields holding file paths, resolved against the directory of the kubeconfig that names them (as kubectl). */
const PATH_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

/**
 * Access described by kubeconfig files (the `KUBECONFIG` list or `~/.kube/config`). Tokens, token files, client
 * certificates, CA and insecure-skip-tls-verify are handled here; exec and auth-provider plugins, proxies and
 * impersonation are handed to client-node, loaded only then (it is heavy; see cluster-access.ts).
 * Merging follows kubectl: the first file that defines a name or `current-context` wins; missing files are skipped.
 */
export async function kubeconfigAccess(paths: readonly string[], origin: string): Promise<ClusterAccessResult> {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let currentContext = '';
  let read = 0;
  for (const path of paths) {
    let document: unknown;
    try {
      document = parseYaml(readFileSync(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { ok: false, reason: `${origin} ${path}: ${errorText(error)}` };
    }
    read += 1;
    const root = asObject(document);
    collect(root.clusters, 'cluster', dirname(path), clusters);
    collect(root.users, 'user', dirname(path), users);
    collect(root.contexts, 'context', dirname(path), contexts);
    if (currentContext === '' && typeof root['current-context'] === 'string') currentContext = root['current-context'];
  }
  const where = `${origin} ${paths.join(',')}`;
  if (read === 0) return { ok: false, reason: `${where}: no such file` };
  if (currentContext === '') return { ok: false, reason: `${where}: no current-context` };
  const context = contexts.get(currentContext);
  if (context === undefined) return { ok: false, reason: `${where}: context "${currentContext}" not found` };
  const clusterName = stringField(context.body, 'cluster');
  const cluster = clusters.get(clusterName);
  if (cluster === undefined) return { ok: false, reason: `${where}: cluster "${clusterName}" not found` };
  const server = stringField(cluster.body, 'server').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(server)) return { ok: false, reason: `${where}: cluster "${clusterName}" has no http(s) server` };
  const userName = stringField(context.body, 'user');
  // A context without a user is legal (anonymous, or an unauthenticated `kubectl proxy`).
  const user = users.get(userName) ?? { name: userName, body: {} };
  const source = `${origin} ${paths.length === 1 ? paths[0] : paths.join(',')} (context ${currentContext})`;
  const namespace = stringField(context.body, 'namespace');
  try {
    const access = needsClientNode(cluster.body, user.body)
      ? await clientNodeAccess(server, source, currentContext, context, cluster, user)
      : plainAccess(server, source, cluster.body, user.body);
    return { ok: true, access: namespace === '' ? access : { ...access, namespace } };
  } catch (error) {
    return { ok: false, reason: `${where}: ${errorText(error)}` };
  }
}

function plainAccess(server: string, source: string, cluster: Entry, user: Entry): ClusterAccess {
  const tls = {
    ca: bytes(cluster, 'certificate-authority'),
    cert: bytes(user, 'client-certificate'),
    key: bytes(user, 'client-key'),
    // Only an explicit `insecure-skip-tls-verify: true` turns verification off; never NODE_TLS_REJECT_UNAUTHORIZED.
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: stringField(cluster, 'tls-server-name') || undefined,
  };
  const agent = server.startsWith('http:')
    ? new HttpAgent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS })
    : new HttpsAgent({ ...tls, keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS });
  const token = stringField(user, 'token');
  const tokenFile = token === '' && stringField(user, 'tokenFile') !== '' ? new TokenFile(stringField(user, 'tokenFile')) : undefined;
  const username = stringField(user, 'username');
  const basic = username === '' ? '' : Buffer.from(`${username}:${stringField(user, 'password')}`).toString('base64');
  return {
    server,
    source,
    async requestOptions(): Promise<RequestOptions> {
      const bearer = tokenFile !== undefined ? await tokenFile.value() : token;
      const headers: Record<string, string> =
        bearer !== '' ? { Authorization: `Bearer ${bearer}` } : basic !== '' ? { Authorization: `Basic ${basic}` } : {};
      return { agent, headers };
    },
  };
}

function needsClientNode(cluster: Entry, user: Entry): boolean {
  return (
    user.exec !== undefined ||
    user['auth-provider'] !== undefined ||
    user.as !== undefined ||
    user['as-groups'] !== undefined ||
    cluster['proxy-url'] !== undefined
  );
}

/**
 * Hands the chosen context (paths already absolute) to client-node, whose authenticators run exec and
 * auth-provider plugins and refresh what they return; `applyToHTTPSOptions` yields an agent and headers per request.
 */
async function clientNodeAccess(
  server: string,
  source: string,
  contextName: string,
  context: Named,
  cluster: Named,
  user: Named,
): Promise<ClusterAccess> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(
    stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': contextName,
      contexts: [{ name: context.name, context: context.body }],
      clusters: [{ name: cluster.name, cluster: cluster.body }],
      users: [{ name: user.name, user: user.body }],
    }),
  );
  return {
    server,
    source: `${source} via client-node`,
    async requestOptions(): Promise<RequestOptions> {
      const options: HttpsRequestOptions = {};
      await kubeConfig.applyToHTTPSOptions(options);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        if (value !== undefined) headers[name] = String(value);
      }
      if (!(options.agent instanceof HttpAgent)) throw new Error('client-node returned no HTTP agent');
      return { agent: options.agent, headers };
    },
  };
}

function collect(list: unknown, field: string, baseDir: string, into: Map<string, Named>): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    const entry = asObject(item);
    const name = stringField(entry, 'name');
    if (name === '' || into.has(name)) continue;
    const body = { ...asObject(entry[field]) };
    for (const key of PATH_FIELDS) {
      const value = body[key];
      if (typeof value === 'string' && value !== '' && !isAbsolute(value)) body[key] = join(baseDir, value);
    }
    into.set(name, { name, body });
  }
}

/** `<field>-data` (base64) wins over the file `<field>`, as in kubectl. */
function bytes(entry: Entry, field: string): Buffer | undefined {
  const data = stringField(entry, `${field}-data`);
  if (data !== '') return Buffer.from(data, 'base64');
  const file = stringField(entry, field);
  return file === '' ? undefined : readFileSync(file);
}


function stringField(entry: Entry, field: string): string {
  const value = entry[field];
  return typeof value === 'string' ? value : '';
}
