/**
 * A scripted, in-memory stand-in for the API server's list and watch, behind the reflector's ApiTransport:
 * collections with a shared resourceVersion counter, paginated lists, watch streams fed from an event history,
 * compaction (410 Gone), a source that disappears (404/403) and connections that drop.
 */
import { ApiError, type ApiTransport, type WatchHandlers } from '../../src/cluster/list-watch/api-transport.js';

type KubeObject = { metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown }; [key: string]: unknown };

interface HistoryEntry {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: unknown;
}

interface OpenWatch {
  readonly handlers: WatchHandlers;
  readonly end: (error?: Error) => void;
}

/** One collection (`/api/v1/nodes`, ...). */
export class FakeCollection {
  readonly objects = new Map<string, unknown>();
  readonly history: HistoryEntry[] = [];
  readonly watchers = new Set<OpenWatch>();
  /** Events at or below this resourceVersion are compacted: watching from there answers 410. */
  compactedThrough = 0;
  failure: ApiError | undefined;
  lists = 0;
  watchesOpened = 0;

  constructor(private readonly api: FakeApi) {}

  /** Creates or replaces an object and sends ADDED/MODIFIED. */
  put(object: KubeObject): void {
    const key = keyOf(object);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.emit(type, key, object);
  }

  /** Deletes an object and sends DELETED. */
  delete(namespaceOrName: string, name?: string): void {
    const key = name === undefined ? namespaceOrName : `${namespaceOrName}/${name}`;
    const object = this.objects.get(key);
    if (object === undefined) throw new Error(`fake: no ${key}`);
    this.emit('DELETED', key, object);
  }

  /** Stores an object without any event (e.g. a change made while no watch is open and then compacted). */
  putSilently(object: KubeObject): void {
    const rv = this.api.nextResourceVersion();
    const stored = withResourceVersion(object, rv);
    this.objects.set(keyOf(object), stored);
  }

  /** Raw event line, e.g. malformed objects or a BOOKMARK. */
  sendRaw(event: unknown): void {
    for (const watcher of [...this.watchers]) deliver(watcher, event);
  }

  /** Forgets history up to now: a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedThrough = this.api.resourceVersion;
  }

  /** The server ends every open watch normally (timeout, or storage torn down when a CRD is deleted). */
  endWatches(): void {
    for (const watcher of [...this.watchers]) watcher.end();
  }

  /** Every open watch connection breaks. */
  dropWatches(code = 'ECONNRESET'): void {
    for (const watcher of [...this.watchers]) watcher.end(Object.assign(new Error(`socket ${code}`), { code }));
  }

  /** From now on list and watch answer `status` (404 CRD missing, 403 forbidden); open watches stay open. */
  fail(status: number, reason: string, message = `fake ${status}`): void {
    this.failure = new ApiError(status, reason, message);
  }

  /** The resource is served again. */
  heal(): void {
    this.failure = undefined;
  }

  /** Deleting the CRD: objects go away with DELETED events, then the resource answers 404 and watches end. */
  removeResource(): void {
    for (const key of [...this.objects.keys()]) this.emit('DELETED', key, this.objects.get(key));
    this.fail(404, 'NotFound', 'the server could not find the requested resource');
    this.endWatches();
  }

  private emit(type: HistoryEntry['type'], key: string, object: unknown): void {
    const rv = this.api.nextResourceVersion();
    const stored = withResourceVersion(object as KubeObject, rv);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, stored);
    this.history.push({ rv, type, object: stored });
    for (const watcher of [...this.watchers]) deliver(watcher, { type, object: stored });
  }
}

/** The fake server: one ApiTransport, several collections. */
export class FakeApi implements ApiTransport {
  resourceVersion = 100;
  private readonly collections = new Map<string, FakeCollection>();
  /** Network failure for every request (API server down). */
  down: Error | undefined;

  /** The collection at `path`, created on first use. */
  collection(path: string): FakeCollection {
    let collection = this.collections.get(path);
    if (collection === undefined) {
      collection = new FakeCollection(this);
      this.collections.set(path, collection);
    }
    return collection;
  }

  nextResourceVersion(): number {
    this.resourceVersion += 1;
    return this.resourceVersion;
  }

  /** API server goes away: every request fails and open watches break. */
  stopServer(): void {
    this.down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    for (const collection of this.collections.values()) collection.dropWatches('ECONNRESET');
  }

  startServer(): void {
    this.down = undefined;
  }

  async getJson(pathAndQuery: string, signal: AbortSignal): Promise<unknown> {
    await Promise.resolve();
    if (signal.aborted) throw signal.reason;
    if (this.down) throw this.down;
    const { path, query } = split(pathAndQuery);
    const collection = this.collection(path);
    if (collection.failure) throw collection.failure;
    collection.lists += 1;
    const limit = Number(query.get('limit') ?? '0') || Number.MAX_SAFE_INTEGER;
    const token = query.get('continue');
    const [snapshotRv, offset] = token ? token.split(':').map(Number) : [this.resourceVersion, 0];
    const all = [...collection.objects.values()];
    const items = all.slice(offset, offset! + limit);
    const next = offset! + limit < all.length ? `${snapshotRv}:${offset! + limit}` : undefined;
    const page = { kind: 'List', metadata: { resourceVersion: String(snapshotRv), ...(next ? { continue: next } : {}) }, items };
    // Through JSON, as over the wire: the reflector must get fresh objects (and strings) it could wrongly retain.
    return JSON.parse(JSON.stringify(page)) as unknown;
  }

  async watch(pathAndQuery: string, signal: AbortSignal, handlers: WatchHandlers): Promise<void> {
    await Promise.resolve();
    if (signal.aborted) throw signal.reason;
    if (this.down) throw this.down;
    const { path, query } = split(pathAndQuery);
    const collection = this.collection(path);
    if (collection.failure) throw collection.failure;
    if (query.get('watch') !== '1') throw new Error('fake: not a watch request');
    const from = Number(query.get('resourceVersion') ?? '0');
    collection.watchesOpened += 1;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const watcher: OpenWatch = {
        handlers,
        end: (error?: Error) => {
          if (done) return;
          done = true;
          collection.watchers.delete(watcher);
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve();
        },
      };
      const onAbort = (): void => watcher.end(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort);
      handlers.onOpen();
      if (from < collection.compactedThrough) {
        // What the API server does: 200, then an ERROR event carrying a 410 Status, then the end.
        deliver(watcher, { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } });
        watcher.end();
        return;
      }
      collection.watchers.add(watcher);
      for (const entry of collection.history) {
        if (done) break;
        if (entry.rv > from) deliver(watcher, { type: entry.type, object: entry.object });
      }
    });
  }
}

/** Like the real transport: an exception from onEvent ends the stream with that error. */
function deliver(watcher: OpenWatch, event: unknown): void {
  try {
    watcher.handlers.onEvent(structuredClone(event));
  } catch (error) {
    watcher.end(error instanceof Error ? error : new Error(String(error)));
  }
}

function keyOf(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

function withResourceVersion(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}

function split(pathAndQuery: string): { path: string; query: URLSearchParams } {
  const at = pathAndQuery.indexOf('?');
  return at === -1
    ? { path: pathAndQuery, query: new URLSearchParams() }
    : { path: pathAndQuery.slice(0, at), query: new URLSearchParams(pathAndQuery.slice(at + 1)) };
}

/** Object builders shaped like what the API server sends. */
export const objects = {
  pvc(namespace: string, name: string, volumeName = ''): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { namespace, name, annotations: { secret: 'DO-NOT-LOG' } },
      spec: { storageClassName: 'longhorn', ...(volumeName ? { volumeName } : {}) },
    };
  },
  longhornPv(name: string, handle = name): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: { csi: { driver: 'driver.longhorn.io', volumeHandle: handle } },
    };
  },
  localPathPv(name: string, node: string): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: {
        hostPath: { path: `/opt/local-path-provisioner/${name}` },
        nodeAffinity: {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] },
        },
      },
    };
  },
  node(name: string, ready = true, unschedulable = false): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: unschedulable ? { unschedulable: true } : {},
      status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
  },
  replica(name: string, volumeName: string, nodeID: string, namespace = 'longhorn-system'): KubeObject {
    return {
      apiVersion: 'longhorn.io/v1beta2',
      kind: 'Replica',
      metadata: { namespace, name, labels: { longhornvolume: volumeName, longhornnode: nodeID } },
      spec: { volumeName, nodeID, dataDirectoryName: `${volumeName}-abc` },
    };
  },
  storageClass(name: string, provisioner: string): KubeObject {
    return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner };
  },
};

/** Collection paths the informer uses. */
export const PATHS = {
  claims: '/api/v1/persistentvolumeclaims',
  volumes: '/api/v1/persistentvolumes',
  nodes: '/api/v1/nodes',
  replicas: (namespace = 'longhorn-system'): string => `/apis/longhorn.io/v1beta2/namespaces/${namespace}/replicas`,
  storageClasses: '/apis/storage.k8s.io/v1/storageclasses',
};
