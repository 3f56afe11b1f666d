// A small keep-alive client for the benchmark's kube-apiserver (admin token), with bulk creation.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

/** Talks to `server` (https://127.0.0.1:port) as the harness's admin. */
export class ApiClient {
  constructor({ server, token, caFile }, maxSockets = 16) {
    this.url = new URL(server);
    this.token = token;
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: readFileSync(caFile) });
  }

  /**
   * One request; resolves with status, headers, parsed JSON body (when JSON) and elapsed ms. Never rejects on a status.
   * `contentType` is for PATCH (`application/merge-patch+json`).
   */
  call(method, path, body, contentType = 'application/json') {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request({ host: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent, timeout: 60_000 }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, json, text, ms: performance.now() - started });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Creates `object` at `path`; 409 (exists already) counts as done. Throws on anything else. */
  async create(path, object) {
    const result = await this.call('POST', path, object);
    if (result.status !== 201 && result.status !== 409 && result.status !== 200) {
      throw new Error(`POST ${path} ${object.metadata?.name}: ${result.status} ${result.text.slice(0, 300)}`);
    }
    return result;
  }

  /** Creates every [path, object] pair, `concurrency` at a time; resolves with objects per second. */
  async createAll(items, concurrency = 16, onProgress) {
    let next = 0;
    let done = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < items.length) {
        const [path, object] = items[next++];
        await this.create(path, object);
        done++;
        if (onProgress && done % 5000 === 0) onProgress(done, items.length);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    return { objects: items.length, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(items.length / seconds) };
  }

  close() {
    this.agent.destroy();
  }
}

/** Collection paths. */
export const paths = {
  namespaces: '/api/v1/namespaces',
  nodes: '/api/v1/nodes',
  volumes: '/api/v1/persistentvolumes',
  claims: (ns) => `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
  serviceAccounts: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  pods: (ns) => `/api/v1/namespaces/${ns}/pods`,
  replicas: (ns) => `/apis/longhorn.io/v1beta2/namespaces/${ns}/replicas`,
  crds: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  mutatingWebhooks: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
};
