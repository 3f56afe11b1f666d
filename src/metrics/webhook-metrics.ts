// Hand-written, not prom-client: prom-client 15 with its default metrics adds ~7 MB RSS to the server (the RSS contract is 120 MB, at 120.0 in the last cluster run) and 0.66 µs a review; Prometheus names and text format kept (bench/README.md, "Metrics without prom-client").
import type { ReviewOutcome, ReviewRecord } from '../admission/review-record.js';
import type { ReviewMode } from '../admission/review-types.js';
import type { MutationType } from '../core/decision-types.js';
import { ClosedLabel, OTHER_LABEL_VALUE } from './closed-label.js';
import { LabelledCounter } from './labelled-counter.js';
import { LabelledHistogram } from './labelled-histogram.js';
import { ProcessMetrics } from './process-metrics.js';
import { CONTENT_TYPE, familyText, metricFamily, type MetricFamily } from './prometheus-text.js';

/** Every metric name starts with this (Prometheus naming: one prefix per exporter, units as suffixes). */
export const METRIC_PREFIX = 'workspace_storage_webhook_';

/** The label values a review is counted under; anything else counts as `other` (see ClosedLabel for why). */
const KIND = new ClosedLabel('kind', ['Pod', 'PersistentVolumeClaim']);
const OPERATION = new ClosedLabel('operation', ['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const MODE = ClosedLabel.ofUnion<ReviewMode>('mode', { enforce: true, audit: true });
const OUTCOME = ClosedLabel.ofUnion<ReviewOutcome>('outcome', {
  mutated: true, 'would-mutate': true, unchanged: true, skipped: true, error: true,
});
const MUTATION_TYPE = ClosedLabel.ofUnion<MutationType>('type', {
  tmpfs: true, 'container-storage': true, 'storage-class': true, affinity: true,
});
/** Every HTTP status code (a counter of 500 slots is 4 KB); one outside 100-599 would count as `other`. */
const STATUS_CODE = new ClosedLabel('code', Array.from({ length: 500 }, (_, index) => String(100 + index)));

/** A closed label's own values, without the catch-all `other`. */
const known = (label: ClosedLabel): readonly string[] => label.values.filter((value) => value !== OTHER_LABEL_VALUE);

const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];

const gauge = (name: string, help: string): MetricFamily => metricFamily(`${METRIC_PREFIX}${name}`, 'gauge', help);
const CERTIFICATE_EXPIRY = gauge('certificate_expiry_timestamp_seconds', 'notAfter of the serving certificate, Unix time.');
const CACHE_SYNCED = gauge('cache_synced', 'Whether a cluster cache has completed its initial list (1) or not (0).');
const CACHE_AGE = gauge('cache_age_seconds', 'Seconds since a cluster cache last heard from the API server.');
const BUILD_INFO = gauge('build_info', 'Always 1; the version label says which build is running.');
const WORKSPACE_VOLUMES = gauge(
  'workspace_volumes',
  'Workspace PVCs by where their data is against their pod (the report command\'s verdict; remote = the incident).',
);

/** One cache's state as the metrics see it (filled from the cluster caches' details). */
export interface CacheState {
  readonly name: string;
  readonly synced: boolean;
  /** Seconds since the cache last heard from the API server (list or event), or undefined if never. */
  readonly ageSeconds: number | undefined;
}

/**
 * The webhook's Prometheus metrics, held per instance (so tests can build several apps side by side). Recording
 * a review is a few map look-ups and array increments, allocating nothing; the text is built only when /metrics
 * is scraped, and the cache gauges and process metrics are read then.
 */
export class WebhookMetrics {
  private readonly reviews = new LabelledCounter(
    { name: `${METRIC_PREFIX}reviews_total`, help: 'Admission reviews answered, by object kind, operation, mode and outcome.' },
    [KIND, OPERATION, MODE, OUTCOME],
  );
  private readonly duration = new LabelledHistogram(
    { name: `${METRIC_PREFIX}review_duration_seconds`, help: 'Time to decide and encode one review, from decoded body to answer.' },
    [MODE],
    DURATION_BUCKETS,
  );
  private readonly mutations = new LabelledCounter(
    { name: `${METRIC_PREFIX}mutations_total`, help: 'Mutations made (enforce) or reported (audit), by type.' },
    [MUTATION_TYPE, MODE],
  );
  private readonly warnings = new LabelledCounter(
    { name: `${METRIC_PREFIX}warnings_total`, help: 'Warnings returned to API clients.' },
    [MODE],
  );
  private readonly dryRuns = new LabelledCounter(
    { name: `${METRIC_PREFIX}dry_run_reviews_total`, help: 'Admission reviews of dry-run requests (also in reviews_total): nothing was stored.' },
    [KIND, OPERATION, MODE, OUTCOME],
  );
  private readonly rejected = new LabelledCounter(
    { name: `${METRIC_PREFIX}invalid_requests_total`, help: 'Requests answered with a 4xx/5xx status instead of a review.' },
    [STATUS_CODE],
  );
  /** 0 until set (as before, with prom-client); the server sets it before it listens. */
  private certificateExpiry = 0;
  private cacheStates: () => readonly CacheState[] = () => [];
  private workspaceLocalities: () => Readonly<Record<string, number>> | undefined = () => undefined;
  private readonly processMetrics: ProcessMetrics | undefined;

  private readonly buildLabels: readonly (readonly [string, string])[];

  constructor(options: { defaultMetrics?: boolean; version?: string } = {}) {
    this.processMetrics = options.defaultMetrics === false ? undefined : new ProcessMetrics();
    this.buildLabels = [['version', options.version ?? 'unknown']];
    this.exposeMainSeries();
  }

  /** The series alerts and dashboards select on, exported at 0 from the start (see LabelledCounter.expose). */
  private exposeMainSeries(): void {
    const create = OPERATION.indexOf('CREATE');
    for (const kind of ['Pod', 'PersistentVolumeClaim']) {
      for (const mode of known(MODE)) {
        for (const outcome of known(OUTCOME)) {
          this.reviews.expose(this.reviews.slot(KIND.indexOf(kind), create, MODE.indexOf(mode), OUTCOME.indexOf(outcome)));
        }
      }
    }
    for (const mode of known(MODE)) {
      for (const type of known(MUTATION_TYPE)) this.mutations.expose(this.mutations.slot(MUTATION_TYPE.indexOf(type), MODE.indexOf(mode)));
      this.warnings.expose(this.warnings.slot(MODE.indexOf(mode)));
    }
    for (const code of ['400', '413', '415']) this.rejected.expose(this.rejected.slot(STATUS_CODE.indexOf(code)));
  }

  /** Counts one answered review. */
  review(record: ReviewRecord, seconds: number): void {
    const mode = MODE.indexOf(record.mode);
    const { reviews, mutations } = this;
    const slot = reviews.slot(KIND.indexOf(record.kind), OPERATION.indexOf(record.operation), mode, OUTCOME.indexOf(record.outcome));
    reviews.add(slot);
    if (record.dryRun) this.dryRuns.add(slot);
    this.duration.observe(this.duration.slot(mode), seconds);
    // An index loop, not for-of: no iterator, even where V8 does not optimise this function.
    const types = record.mutationTypes;
    for (let index = 0; index < types.length; index++) mutations.add(mutations.slot(MUTATION_TYPE.indexOf(types[index]!), mode));
    if (record.warnings.length > 0) this.warnings.add(this.warnings.slot(mode), record.warnings.length);
  }

  /** Counts one request answered with an error status. */
  badRequest(code: number): void {
    this.rejected.add(this.rejected.slot(STATUS_CODE.indexOf(String(code))));
  }

  /** Sets the serving certificate's expiry (Unix seconds). */
  setCertificateExpiry(unixSeconds: number): void {
    this.certificateExpiry = unixSeconds;
  }

  /** Where the cache gauges read their state from at scrape time. */
  watchCaches(source: () => readonly CacheState[]): void {
    this.cacheStates = source;
  }

  /** Where the workspace_volumes gauge reads its counts at scrape time (undefined: no series, the caches are not there). */
  watchWorkspaceLocalities(source: () => Readonly<Record<string, number>> | undefined): void {
    this.workspaceLocalities = source;
  }

  /** The exposition text, built now. */
  render(): string {
    const states = this.cacheStates();
    const localities = this.workspaceLocalities();
    return this.reviews.render()
      + this.duration.render()
      + this.mutations.render()
      + this.warnings.render()
      + this.dryRuns.render()
      + this.rejected.render()
      + familyText(BUILD_INFO, [{ labels: this.buildLabels, value: 1 }])
      + familyText(CERTIFICATE_EXPIRY, [{ value: this.certificateExpiry }])
      + familyText(CACHE_SYNCED, states.map((state) => ({ labels: [['cache', state.name]], value: state.synced ? 1 : 0 })))
      + familyText(CACHE_AGE, states.flatMap((state) => (state.ageSeconds === undefined ? [] : [{ labels: [['cache', state.name]], value: state.ageSeconds }])))
      + familyText(WORKSPACE_VOLUMES, Object.entries(localities ?? {}).map(([locality, value]) => ({ labels: [['locality', locality]], value })))
      + (this.processMetrics?.render() ?? '');
  }

  /** The exposition content type (text format 0.0.4). */
  get contentType(): string {
    return CONTENT_TYPE;
  }
}
