import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReviewRecord } from '../admission/answer-review.js';

/** Every metric name starts with this (Prometheus naming: one prefix per exporter, units as suffixes). */
export const METRIC_PREFIX = 'workspace_storage_webhook_';

/**
 * The label values a review is counted under; anything else counts as `other`. kind and operation come from the
 * request, and every distinct label value is a series kept for the life of the process: without a closed set, a
 * client posting reviews with made-up (or megabyte-long) kinds would grow memory and /metrics without bound.
 */
const KIND_LABELS: ReadonlySet<string> = new Set(['Pod', 'PersistentVolumeClaim']);
const OPERATION_LABELS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** One cache's state as the metrics see it (filled from the cluster caches' details). */
export interface CacheState {
  readonly name: string;
  readonly synced: boolean;
  /** Seconds since the cache last heard from the API server (list or event), or undefined if never. */
  readonly ageSeconds: number | undefined;
}

/**
 * The webhook's Prometheus metrics, in their own registry (so tests can build several apps side by side).
 * Recording is a few map look-ups per review; rendering happens only when /metrics is scraped.
 */
export class WebhookMetrics {
  readonly registry = new Registry();
  private readonly reviews: Counter<'kind' | 'operation' | 'mode' | 'outcome'>;
  private readonly duration: Histogram<'mode'>;
  private readonly mutations: Counter<'type' | 'mode'>;
  private readonly warnings: Counter<'mode'>;
  private readonly rejected: Counter<'code'>;
  private readonly certificateExpiry: Gauge;
  private cacheStates: () => readonly CacheState[] = () => [];

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reviews = new Counter({
      name: `${METRIC_PREFIX}reviews_total`, help: 'Admission reviews answered, by object kind, operation, mode and outcome.',
      labelNames: ['kind', 'operation', 'mode', 'outcome'], registers,
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}review_duration_seconds`, help: 'Time to decide and encode one review, from decoded body to answer.',
      labelNames: ['mode'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1], registers,
    });
    this.mutations = new Counter({
      name: `${METRIC_PREFIX}mutations_total`, help: 'Mutations made (enforce) or reported (audit), by type.',
      labelNames: ['type', 'mode'], registers,
    });
    this.warnings = new Counter({
      name: `${METRIC_PREFIX}warnings_total`, help: 'Warnings returned to API clients.', labelNames: ['mode'], registers,
    });
    this.rejected = new Counter({
      name: `${METRIC_PREFIX}invalid_requests_total`, help: 'Requests answered with a 4xx/5xx status instead of a review.',
      labelNames: ['code'], registers,
    });
    this.certificateExpiry = new Gauge({
      name: `${METRIC_PREFIX}certificate_expiry_timestamp_seconds`, help: 'notAfter of the serving certificate, Unix time.', registers,
    });
    const states = () => this.cacheStates();
    new Gauge({
      name: `${METRIC_PREFIX}cache_synced`, help: 'Whether a cluster cache has completed its initial list (1) or not (0).',
      labelNames: ['cache'], registers,
      collect() {
        this.reset();
        for (const state of states()) this.set({ cache: state.name }, state.synced ? 1 : 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}cache_age_seconds`, help: 'Seconds since a cluster cache last heard from the API server.',
      labelNames: ['cache'], registers,
      collect() {
        this.reset();
        for (const state of states()) if (state.ageSeconds !== undefined) this.set({ cache: state.name }, state.ageSeconds);
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  /** Counts one answered review. */
  review(record: ReviewRecord, seconds: number): void {
    const kind = KIND_LABELS.has(record.kind) ? record.kind : 'other';
    const operation = OPERATION_LABELS.has(record.operation) ? record.operation : 'other';
    this.reviews.inc({ kind, operation, mode: record.mode, outcome: record.outcome });
    this.duration.observe({ mode: record.mode }, seconds);
    for (const type of record.mutationTypes) this.mutations.inc({ type, mode: record.mode });
    if (record.warnings.length > 0) this.warnings.inc({ mode: record.mode }, record.warnings.length);
  }

  /** Counts one request answered with an error status. */
  badRequest(code: number): void {
    this.rejected.inc({ code: String(code) });
  }

  /** Sets the serving certificate's expiry (Unix seconds). */
  setCertificateExpiry(unixSeconds: number): void {
    this.certificateExpiry.set(unixSeconds);
  }

  /** Where the cache gauges read their state from at scrape time. */
  watchCaches(source: () => readonly CacheState[]): void {
    this.cacheStates = source;
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The exposition content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
