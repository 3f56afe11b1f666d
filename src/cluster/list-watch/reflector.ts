import type { Logger } from 'pino';
import { ApiError, apiErrorFromBody, type ApiTransport } from './api-transport.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { FactEntry, FactSink } from './fact-store.js';
import type { ListGate } from './list-gate.js';
import { objectIdentity } from '../facts/object-facts.js';
import { asString, maybeObject } from '../../kube/json-value.js';

/** What one reflector follows and where it puts what it learns. */
export interface ReflectorOptions<F> {
  /** Short name for logs, /readyz and metrics: the resource, e.g. `nodes`, `replicas.longhorn.io`. */
  readonly name: string;
  /** How status reasons name the source, e.g. `longhorn replicas`. */
  readonly label: string;
  /** Collection path without query, e.g. `/api/v1/nodes`. */
  readonly path: string;
  /** Object -> compact fact; undefined drops the object (and its previous fact). Must not throw. */
  readonly decode: (object: unknown) => F | undefined;
  readonly sink: FactSink<F>;
  readonly transport: ApiTransport;
  readonly logger: Logger;
  /** Reason shown for a 404, e.g. `CRD replicas.longhorn.io not found`. */
  readonly notFound?: string;
  readonly backoff?: BackoffOptions;
  /** Objects per list page (default 500, like client-go's pager). */
  readonly pageSize?: number;
  /** Shared with other reflectors so that their lists run one at a time (bounded memory peak). */
  readonly listGate?: ListGate;
  /** Server-side watch duration in seconds; default random in [300, 600) as client-go, to spread reconnects. */
  readonly watchTimeoutSeconds?: () => number;
  /** A watch ending sooner than this without any event counts as a failure for backoff (no hot reconnect loop). */
  readonly minHealthyWatchMs?: number;
  /** Called whenever `synced` or the problem changes (to wake up sync waiters). */
  readonly onChange?: () => void;
  /** Called after every complete list (the first and each relist) with the number of objects it held. */
  readonly onListed?: (objects: number) => void;
  readonly now?: () => number;
}

/** Per-cache report for /readyz and metrics. */
export interface ReflectorDetails {
  /** The resource followed, e.g. `persistentvolumeclaims`. */
  readonly name: string;
  /** The initial list is done and the source is available: lookups are answered from this cache. */
  readonly synced: boolean;
  /** Objects held. */
  readonly objects: number;
  /** When the last full list completed (ISO 8601). */
  readonly lastSyncTime: string | undefined;
  /**
   * Seconds since the cache last heard from the API server: a completed list, a watch opened, or a watch event
   * (bookmarks included). On a quiet cluster this grows up to the watch duration (5-10 min) while healthy.
   */
  readonly lastEventAgeSeconds: number | undefined;
  /** The current problem as a status reason, or undefined while healthy. */
  readonly lastError: string | undefined;
  /** Completed full lists (1 + re-lists after 410 Gone or a lost source). */
  readonly lists: number;
  /** Watch streams opened. */
  readonly watches: number;
  /** Watch events applied. */
  readonly events: number;
}

/** How a failure affects the cache. */
type FailureKind = 'expired' | 'gone' | 'transient';

/**
 * Generic list+watch of one collection into a {@link FactSink}: client-go's Reflector reduced to what the facts
 * need. Objects are decoded into facts on arrival and never retained. Lists are paginated (`limit` + `continue`)
 * from etcd (no `resourceVersion=0`: the 1.20 watch cache ignores `limit` then and would send 10k objects in one
 * body); a relist collects all pages and then replaces the sink's content at once, so lookups see the old or the
 * new content, never a mix.
 * Watches resume from the last resourceVersion; 410 Gone means relist; 404/403 mean the source is gone (Longhorn
 * CRD deleted, RBAC missing): the data is dropped, not served stale, and the list is retried with capped backoff,
 * which also picks up a CRD installed later. Other failures keep the (possibly stale) data and retry with backoff.
 * Never throws to its owner: problems are logged once per change and reported by {@link details}.
 */
export class Reflector<F> {
  private readonly controller = new AbortController();
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private running: Promise<void> | undefined;
  private resourceVersion = '';
  private synced = false;
  private attempted = false;
  private problem: string | undefined;
  private lastSyncAt: number | undefined;
  private lastEventAt: number | undefined;
  private lists = 0;
  private watches = 0;
  private events = 0;
  /** 410 Gone answers with no watch event in between: the first one relists at once, later ones back off. */
  private expiredInARow = 0;

  constructor(private readonly options: ReflectorOptions<F>) {
    this.backoff = new Backoff(options.backoff);
    this.now = options.now ?? Date.now;
  }

  /** The resource name given in the options. */
  get name(): string {
    return this.options.name;
  }

  /** How status reasons name the source. */
  get label(): string {
    return this.options.label;
  }

  /** Lookups may use the sink: the initial list is done and the source has not gone away since. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** The first list has completed or failed: waiting longer for this cache will not change the status by itself. */
  get isSettled(): boolean {
    return this.synced || (this.attempted && this.problem !== undefined);
  }

  /** The current problem as a status reason (`<label> unavailable: ...`), or undefined while healthy. */
  get currentProblem(): string | undefined {
    return this.problem;
  }

  /** Starts listing and watching in the background; idempotent. */
  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      // Not expected (every step catches), but a rejected background promise must not kill the process.
      this.options.logger.error({ cache: this.name, error: describeError(error) }, 'cluster cache loop failed');
    });
  }

  /** Ends the watch and any pending retry; resolves when the loop has returned. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  /** Report for /readyz and metrics. */
  details(): ReflectorDetails {
    const now = this.now();
    return {
      name: this.name,
      synced: this.synced,
      objects: this.options.sink.size,
      lastSyncTime: this.lastSyncAt === undefined ? undefined : new Date(this.lastSyncAt).toISOString(),
      lastEventAgeSeconds: this.lastEventAt === undefined ? undefined : Math.max(0, Math.round((now - this.lastEventAt) / 1000)),
      lastError: this.problem,
      lists: this.lists,
      watches: this.watches,
      events: this.events,
    };
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const gate = this.options.listGate;
        await (gate === undefined ? this.list() : gate.run(() => this.list()));
      } catch (error) {
        if (this.hasStopped()) return;
        const kind = this.fail('list', error);
        const delay = this.backoff.next();
        // A continue token that expired mid-list (410) is routine: start over at once, once.
        if (kind !== 'expired' || this.expiredInARow > 1) await this.sleep(delay);
        continue;
      }
      if (await this.watchUntilRelist()) await this.sleep(this.backoff.next());
    }
  }

  /** Lists the collection page by page, replaces the sink's content with it, and records the resourceVersion. */
  private async list(): Promise<void> {
    if (this.stopped) throw new Error('stopped');
    const { path, transport, pageSize = 500 } = this.options;
    const entries: FactEntry<F>[] = [];
    let continueToken = '';
    let resourceVersion = '';
    do {
      const query = `?limit=${pageSize}${continueToken === '' ? '' : `&continue=${encodeURIComponent(continueToken)}`}`;
      const page = maybeObject(await transport.getJson(path + query, this.controller.signal));
      const metadata = maybeObject(page?.metadata);
      resourceVersion = asString(metadata?.resourceVersion);
      continueToken = asString(metadata?.continue);
      const items = page?.items;
      if (!Array.isArray(items)) throw new Error('list answer has no items');
      for (const item of items) {
        const identity = objectIdentity(item);
        if (identity === undefined) continue;
        const fact = this.options.decode(item);
        if (fact !== undefined) entries.push([identity.namespace, identity.name, fact]);
      }
    } while (continueToken !== '');
    this.options.sink.replaceAll(entries);
    this.resourceVersion = resourceVersion;
    this.lists += 1;
    this.lastSyncAt = this.now();
    this.lastEventAt = this.lastSyncAt;
    this.attempted = true;
    this.backoff.reset();
    const wasSynced = this.synced;
    this.synced = true;
    this.recover(this.lists === 1 ? 'synced' : 'relisted');
    if (!wasSynced) this.options.onChange?.();
    this.options.onListed?.(entries.length);
  }

  /**
   * Watches from the last resourceVersion until a relist is needed. Returns true when the relist should wait for
   * the backoff (source gone), false for an immediate relist (410 Gone: the resourceVersion is too old).
   */
  private async watchUntilRelist(): Promise<boolean> {
    const { path, transport, watchTimeoutSeconds = defaultWatchTimeout, minHealthyWatchMs = 1_000 } = this.options;
    while (!this.stopped) {
      const timeoutSeconds = Math.max(1, Math.round(watchTimeoutSeconds()));
      // Backstop for a connection that died silently (no FIN/RST): the server would have ended the watch by now.
      const deadline = AbortSignal.timeout((timeoutSeconds + 30) * 1000);
      const started = this.now();
      const eventsBefore = this.events;
      const query =
        `?watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}` +
        `&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
      try {
        await transport.watch(path + query, AbortSignal.any([this.controller.signal, deadline]), {
          onOpen: () => {
            this.watches += 1;
            this.lastEventAt = this.now();
            this.recover('watch resumed');
          },
          onEvent: (event) => { this.apply(event); },
        });
      } catch (error) {
        if (this.hasStopped()) return false;
        if (!deadline.aborted) {
          const kind = this.fail('watch', error);
          // 410 after a watch made progress: relist at once; again without progress: something is off, back off.
          if (kind === 'expired') return this.expiredInARow > 1;
          if (kind === 'gone') return true;
          await this.sleep(this.backoff.next());
          continue;
        }
      }
      if (this.events > eventsBefore || this.now() - started >= minHealthyWatchMs) this.backoff.reset();
      else await this.sleep(this.backoff.next());
    }
    return false;
  }

  /** Whether {@link stop} was called: read through a call after an await, where `stop()` may have run meanwhile. */
  private hasStopped(): boolean {
    return this.stopped;
  }

  /** Applies one watch event; throws an ApiError for an ERROR event so the transport ends the stream. */
  private apply(event: unknown): void {
    const record = maybeObject(event);
    const type = asString(record?.type);
    const object = record?.object;
    this.lastEventAt = this.now();
    if (type === 'ERROR') {
      const status = maybeObject(object);
      throw apiErrorFromBody(typeof status?.code === 'number' ? status.code : 500, status);
    }
    this.events += 1;
    this.expiredInARow = 0;
    if (type === 'BOOKMARK') {
      const resourceVersion = asString(maybeObject(maybeObject(object)?.metadata)?.resourceVersion);
      if (resourceVersion !== '') this.resourceVersion = resourceVersion;
      return;
    }
    const identity = objectIdentity(object);
    if (identity === undefined) return; // nameless: cannot be keyed, and carries no usable resourceVersion either
    const { namespace, name } = identity;
    if (type === 'ADDED' || type === 'MODIFIED') {
      const fact = this.options.decode(object);
      if (fact === undefined) this.options.sink.delete(namespace, name);
      else this.options.sink.set(namespace, name, fact);
    } else if (type === 'DELETED') {
      this.options.sink.delete(namespace, name);
    } else {
      return;
    }
    if (identity.resourceVersion !== '') this.resourceVersion = identity.resourceVersion;
  }

  /** Records a failed list or watch; returns how it affects the cache. */
  private fail(phase: 'list' | 'watch', error: unknown): FailureKind {
    const { label, logger, notFound } = this.options;
    this.attempted = true;
    const apiError = error instanceof ApiError ? error : undefined;
    if (apiError?.status === 410 || apiError?.reason === 'Expired' || apiError?.reason === 'Gone') {
      // Routine: the resourceVersion (or continue token) is older than etcd's compaction window.
      this.expiredInARow += 1;
      logger.debug({ cache: this.name, phase }, 'cluster cache resourceVersion expired, relisting');
      return 'expired';
    }
    let kind: FailureKind = 'transient';
    let problem: string;
    if (apiError?.status === 404 || apiError?.status === 403) {
      kind = 'gone';
      problem =
        apiError.status === 404
          ? `${label} unavailable: ${notFound ?? 'resource not found (404)'}`
          : `${label} unavailable: list/watch forbidden (403), check RBAC`;
    } else if (apiError !== undefined) {
      problem = `${label} ${phase} failed: HTTP ${apiError.status}${apiError.reason === '' ? '' : ` ${apiError.reason}`}`;
    } else {
      problem = `${label} ${phase} failed: ${describeError(error)}`;
    }
    const wasSynced = this.synced;
    if (kind === 'gone') {
      // Stale replica placement is worse than none: without it the decision degrades with a warning instead of
      // pinning a pod to a node that no longer holds its data.
      this.synced = false;
      this.options.sink.clear();
    }
    const changed = problem !== this.problem;
    this.problem = problem;
    const fields = { cache: this.name, phase, status: apiError?.status, error: describeError(error), objects: this.options.sink.size };
    if (changed) logger.warn(fields, `cluster cache degraded: ${problem}`);
    else logger.debug(fields, 'cluster cache still failing');
    if (changed || wasSynced !== this.synced) this.options.onChange?.();
    return kind;
  }

  private recover(what: string): void {
    if (this.problem === undefined) {
      if (this.lists === 1 && what === 'synced') {
        this.options.logger.info({ cache: this.name, objects: this.options.sink.size }, 'cluster cache synced');
      }
      return;
    }
    this.options.logger.info(
      { cache: this.name, objects: this.options.sink.size, was: this.problem },
      `cluster cache recovered (${what})`,
    );
    this.problem = undefined;
    this.options.onChange?.();
  }

  /** Waits `ms`, or less when stopped. The timer is unref'd: a cache never keeps the process alive by itself. */
  private sleep(ms: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function defaultWatchTimeout(): number {
  return 300 + Math.random() * 300;
}

/** A short, content-free description of an error for logs and reasons: the errno code or the message. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const status = `HTTP ${error.status}${error.reason === '' ? '' : ` ${error.reason}`}`;
    return error.message === `HTTP ${error.status}` ? status : `${status}: ${error.message}`;
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' && code !== '' && code !== 'ERR_UNHANDLED_ERROR' ? code : error.message;
  }
  return String(error);
}

