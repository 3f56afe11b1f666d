/**
 * Small conveniences over the harness's {@link ControlPlane} for the webhook suites: kubectl that fails loudly,
 * reads of stored objects, namespaces that are usable at once, audit-log queries.
 */
import type { AuditEvent, ControlPlane, KubectlResult } from '../harness/control-plane.js';
import { pollUntil } from '../harness/poll.js';

/** The parts of a stored object the suites look at. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    generateName?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A list answer of the API server. */
export interface KubeList<T = KubeObject> {
  items: T[];
}

/** The stored-object accessors and kubectl wrappers the suites share. */
export class Cluster {
  constructor(readonly cp: ControlPlane) {}

  /** Runs kubectl; never throws (check `code`). */
  kubectlResult(args: string[], input?: string): Promise<KubectlResult> {
    return this.cp.kubectl(args, input === undefined ? {} : { input });
  }

  /** Runs kubectl and throws, with its stderr, on a non-zero exit. */
  async kubectl(args: string[], input?: string): Promise<KubectlResult> {
    const result = await this.kubectlResult(args, input);
    if (result.code !== 0) {
      // A crashed API server explains a failed kubectl better than "connection refused".
      this.cp.assertRunning();
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    }
    return result;
  }

  /** `kubectl apply` of the objects as one List. */
  apply(...objects: unknown[]): Promise<KubectlResult> {
    return this.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  }

  /** `kubectl create` of one object; stdout is the stored object as JSON, stderr carries the warnings. */
  async create(object: unknown): Promise<{ object: KubeObject; stderr: string }> {
    const result = await this.kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(object));
    return { object: JSON.parse(result.stdout) as KubeObject, stderr: result.stderr };
  }

  /** GET as admin; throws unless 200. */
  async get<T = KubeObject>(path: string): Promise<T> {
    const res = await this.cp.request('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
    return res.json as T;
  }

  /** Creates a namespace and waits for its default ServiceAccount token (1.20 rejects pods until it exists). */
  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    await this.cp.waitForServiceAccount(name);
  }

  /** The pods matching `labelSelector` that are not being deleted, oldest first. */
  async pods(namespace: string, labelSelector: string): Promise<KubeObject[]> {
    const list = await this.get<KubeList>(`/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(labelSelector)}`);
    return list.items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
  }

  /**
   * Waits for a pod matching `labelSelector` whose name is not in `seen` (the ReplicaSet controller creating
   * one, or a replacement) and returns it as stored.
   */
  newPod(namespace: string, labelSelector: string, seen: readonly string[] = [], timeoutMs = 60_000): Promise<KubeObject> {
    return this.poll(
      `a new pod matching ${labelSelector} in ${namespace}`,
      async () => (await this.pods(namespace, labelSelector)).find((pod) => !seen.includes(pod.metadata.name ?? '')),
      timeoutMs,
    );
  }

  /** {@link pollUntil} with the control plane's crash guard. */
  poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
    return pollUntil(what, probe, { timeoutMs, intervalMs, guard: () => this.cp.assertRunning() });
  }

  /** ResponseComplete audit events matching `filter`. */
  async auditEvents(filter: (event: AuditEvent) => boolean): Promise<AuditEvent[]> {
    return (await this.cp.auditEvents()).filter((event) => event.stage === 'ResponseComplete' && filter(event));
  }

  /** The ResponseComplete audit event of creating `resource` `namespace/name` (waits for it to be written). */
  auditEventOfCreate(resource: string, namespace: string, name: string): Promise<AuditEvent> {
    return this.poll(
      `the audit event of creating ${resource} ${namespace}/${name}`,
      async () =>
        (await this.auditEvents((e) => e.verb === 'create' && e.objectRef?.resource === resource && e.objectRef.namespace === namespace && e.objectRef.name === name))[0],
      15_000,
    );
  }
}

/** Annotations of `event` whose key starts with `prefix` (e.g. a webhook's name and `/`). */
export function annotationsWithPrefix(event: AuditEvent, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(event.annotations ?? {}).filter(([key]) => key.startsWith(prefix)));
}
