import { describe, expect, it } from 'vitest';
import type { ReviewRecord } from '../../src/admission/review-record.js';
import { METRIC_PREFIX, WebhookMetrics, type CacheState } from '../../src/metrics/webhook-metrics.js';
import { parseExposition, type ParsedFamily } from './support/exposition-format.js';

/** The fields review() reads; the rest of a record is the audit line and does not matter here. */
type Counted = Pick<ReviewRecord, 'kind' | 'operation' | 'mode' | 'outcome' | 'mutationTypes' | 'warnings'>;

const POD_CREATE: Counted = { kind: 'Pod', operation: 'CREATE', mode: 'enforce', outcome: 'mutated', mutationTypes: [], warnings: [] };

function record(fields: Partial<Counted> = {}): ReviewRecord {
  return { ...POD_CREATE, ...fields } as ReviewRecord;
}

function scrape(metrics: WebhookMetrics): Map<string, ParsedFamily> {
  return parseExposition(metrics.render());
}

function family(families: Map<string, ParsedFamily>, name: string): ParsedFamily {
  const found = families.get(`${METRIC_PREFIX}${name}`);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}

/** A family's samples as `labels -> value`, labels written `a=x,b=y` in the order rendered. */
function allSeries(families: Map<string, ParsedFamily>, name: string, sampleName = name): Record<string, number> {
  return Object.fromEntries(family(families, name).samples
    .filter((sample) => sample.name === `${METRIC_PREFIX}${sampleName}`)
    .map((sample) => [Object.entries(sample.labels).map(([label, value]) => `${label}=${value}`).join(','), sample.value]));
}

/** The series that have been counted (the main series are exported at 0 from the start: see the test for them). */
function series(families: Map<string, ParsedFamily>, name: string, sampleName = name): Record<string, number> {
  return Object.fromEntries(Object.entries(allSeries(families, name, sampleName)).filter(([, value]) => value !== 0));
}

/** A process or Node.js family: standard unprefixed names. */
function standardFamily(families: Map<string, ParsedFamily>, name: string): ParsedFamily {
  const found = families.get(name);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}

describe('WebhookMetrics families', () => {
  it.each([
    ['reviews_total', 'counter', 'Admission reviews answered, by object kind, operation, mode and outcome.'],
    ['review_duration_seconds', 'histogram', 'Time to decide and encode one review, from decoded body to answer.'],
    ['mutations_total', 'counter', 'Mutations made (enforce) or reported (audit), by type.'],
    ['warnings_total', 'counter', 'Warnings returned to API clients.'],
    ['invalid_requests_total', 'counter', 'Requests answered with a 4xx/5xx status instead of a review.'],
    ['certificate_expiry_timestamp_seconds', 'gauge', 'notAfter of the serving certificate, Unix time.'],
    ['cache_synced', 'gauge', 'Whether a cluster cache has completed its initial list (1) or not (0).'],
    ['cache_age_seconds', 'gauge', 'Seconds since a cluster cache last heard from the API server.'],
    ['build_info', 'gauge', 'Always 1; the version label says which build is running.'],
    ['dry_run_reviews_total', 'counter', 'Admission reviews of dry-run requests (also in reviews_total): nothing was stored.'],
    ['workspace_volumes', 'gauge', 'Workspace PVCs by where their data is against their pod (the report command\'s verdict; remote = the incident).'],
  ])('%s is a %s with its HELP, once, before its samples', (name, type, help) => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.review(record({ mutationTypes: ['tmpfs'], warnings: ['w'] }), 0.001);
    metrics.badRequest(400);
    metrics.watchCaches(() => [{ name: 'pvcs', synced: true, ageSeconds: 2 }]);
    // parseExposition throws on a repeated HELP/TYPE, a sample before them, or a sample outside its family.
    expect(family(scrape(metrics), name)).toMatchObject({ type, help });
  });

  it('has the exposition content type', () => {
    expect(new WebhookMetrics({ defaultMetrics: false }).contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('exports the main counters at 0 from the start (so rate() and absent() alerts work), and nothing else yet', () => {
    const families = scrape(new WebhookMetrics({ defaultMetrics: false, version: '1.2.3' }));
    const reviews = allSeries(families, 'reviews_total');
    const expected: Record<string, number> = {};
    for (const kind of ['Pod', 'PersistentVolumeClaim']) {
      for (const mode of ['enforce', 'audit']) {
        for (const outcome of ['mutated', 'would-mutate', 'unchanged', 'skipped', 'error']) expected[`kind=${kind},operation=CREATE,mode=${mode},outcome=${outcome}`] = 0;
      }
    }
    expect(reviews).toEqual(expected);
    expect(Object.keys(allSeries(families, 'mutations_total')).sort()).toEqual(
      ['affinity', 'container-storage', 'storage-class', 'tmpfs'].flatMap((type) => [`type=${type},mode=audit`, `type=${type},mode=enforce`]).sort(),
    );
    expect(allSeries(families, 'warnings_total')).toEqual({ 'mode=enforce': 0, 'mode=audit': 0 });
    expect(allSeries(families, 'invalid_requests_total')).toEqual({ 'code=400': 0, 'code=413': 0, 'code=415': 0 });
    for (const name of ['review_duration_seconds', 'dry_run_reviews_total', 'cache_synced', 'cache_age_seconds']) {
      expect(family(families, name).samples, name).toEqual([]);
    }
    expect(series(families, 'certificate_expiry_timestamp_seconds')).toEqual({});
    expect(allSeries(families, 'build_info')).toEqual({ 'version=1.2.3': 1 });
  });

  it('counts dry-run reviews as such, besides reviews_total', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.review({ ...record(), dryRun: true }, 0.001);
    metrics.review({ ...record(), dryRun: false }, 0.001);
    const families = scrape(metrics);
    expect(series(families, 'reviews_total')).toEqual({ 'kind=Pod,operation=CREATE,mode=enforce,outcome=mutated': 2 });
    expect(series(families, 'dry_run_reviews_total')).toEqual({ 'kind=Pod,operation=CREATE,mode=enforce,outcome=mutated': 1 });
  });
});

describe('reviews_total', () => {
  it.each<[string, Partial<Counted>, string]>([
    ['a pod creation', {}, 'kind=Pod,operation=CREATE,mode=enforce,outcome=mutated'],
    ['a PVC update in audit mode', { kind: 'PersistentVolumeClaim', operation: 'UPDATE', mode: 'audit', outcome: 'would-mutate' }, 'kind=PersistentVolumeClaim,operation=UPDATE,mode=audit,outcome=would-mutate'],
    ['a group kind', { kind: 'apps/Deployment', outcome: 'skipped' }, 'kind=other,operation=CREATE,mode=enforce,outcome=skipped'],
    ['a made-up kind and operation', { kind: 'K'.repeat(1000), operation: 'PATCH', outcome: 'error' }, 'kind=other,operation=other,mode=enforce,outcome=error'],
    ['a kind named other', { kind: 'other', operation: 'CONNECT', outcome: 'unchanged' }, 'kind=other,operation=CONNECT,mode=enforce,outcome=unchanged'],
  ])('%s counts as %j', (_name, fields, labels) => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.review(record(fields), 0.001);
    metrics.review(record(fields), 0.001);
    expect(series(scrape(metrics), 'reviews_total')).toEqual({ [labels]: 2 });
  });

  it('keeps every combination of kind, operation, mode and outcome apart', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    const expected: Record<string, number> = {};
    let times = 0;
    for (const kind of ['Pod', 'PersistentVolumeClaim', 'other']) {
      for (const operation of ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'other']) {
        for (const mode of ['enforce', 'audit'] as const) {
          for (const outcome of ['mutated', 'would-mutate', 'unchanged', 'skipped', 'error'] as const) {
            times++;
            for (let index = 0; index < times; index++) metrics.review(record({ kind, operation, mode, outcome }), 0);
            expected[`kind=${kind},operation=${operation},mode=${mode},outcome=${outcome}`] = times;
          }
        }
      }
    }
    expect(series(scrape(metrics), 'reviews_total')).toEqual(expected);
  });
});

describe('review_duration_seconds', () => {
  const BOUNDS = ['0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.1', '1', '+Inf'];

  it('has cumulative buckets (upper bounds inclusive), +Inf equal to the count, and the sum, per mode', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    const enforce = [0.00005, 0.0001, 0.0003, 0.0003, 0.02, 0.5, 2];
    for (const seconds of enforce) metrics.review(record(), seconds);
    metrics.review(record({ mode: 'audit' }), 0.003);
    const families = scrape(metrics);
    const buckets = allSeries(families, 'review_duration_seconds', 'review_duration_seconds_bucket');
    const cumulative = { enforce: [2, 2, 4, 4, 4, 4, 4, 5, 5, 6, 7], audit: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1] };
    expect(buckets).toEqual(Object.fromEntries(Object.entries(cumulative).flatMap(([mode, counts]) =>
      BOUNDS.map((le, index) => [`mode=${mode},le=${le}`, counts[index]]))));
    expect(series(families, 'review_duration_seconds', 'review_duration_seconds_count')).toEqual({ 'mode=enforce': 7, 'mode=audit': 1 });
    const sums = series(families, 'review_duration_seconds', 'review_duration_seconds_sum');
    expect(sums['mode=enforce']).toBeCloseTo(enforce.reduce((sum, seconds) => sum + seconds, 0), 12);
    expect(sums['mode=audit']).toBeCloseTo(0.003, 12);
  });
});

describe('mutations, warnings, invalid requests', () => {
  it('counts each mutation type and every warning under the review mode', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.review(record({ mutationTypes: ['tmpfs', 'affinity'], warnings: ['a', 'b', 'c'] }), 0);
    metrics.review(record({ mutationTypes: ['tmpfs'] }), 0);
    metrics.review(record({ kind: 'PersistentVolumeClaim', mode: 'audit', outcome: 'would-mutate', mutationTypes: ['storage-class', 'container-storage'], warnings: ['d'] }), 0);
    const families = scrape(metrics);
    expect(series(families, 'mutations_total')).toEqual({
      'type=tmpfs,mode=enforce': 2,
      'type=container-storage,mode=audit': 1,
      'type=storage-class,mode=audit': 1,
      'type=affinity,mode=enforce': 1,
    });
    expect(series(families, 'warnings_total')).toEqual({ 'mode=enforce': 3, 'mode=audit': 1 });
  });

  it('counts requests answered with an error status by code', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    for (const code of [400, 400, 413, 415, 500]) metrics.badRequest(code);
    expect(series(scrape(metrics), 'invalid_requests_total')).toEqual({ 'code=400': 2, 'code=413': 1, 'code=415': 1, 'code=500': 1 });
  });
});

describe('gauges read at scrape time', () => {
  it('reports the certificate expiry as set last', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.setCertificateExpiry(1_800_000_000);
    metrics.setCertificateExpiry(1_900_000_000.5);
    expect(series(scrape(metrics), 'certificate_expiry_timestamp_seconds')).toEqual({ '': 1_900_000_000.5 });
  });

  it('reads the cache states on every scrape; a cache never heard from has no age', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    let states: CacheState[] = [{ name: 'pvcs', synced: false, ageSeconds: undefined }];
    metrics.watchCaches(() => states);
    expect(allSeries(scrape(metrics), 'cache_synced')).toEqual({ 'cache=pvcs': 0 });
    expect(allSeries(scrape(metrics), 'cache_age_seconds')).toEqual({});
    states = [{ name: 'pvcs', synced: true, ageSeconds: 1.25 }, { name: 'nodes', synced: true, ageSeconds: 0 }];
    const families = scrape(metrics);
    expect(allSeries(families, 'cache_synced')).toEqual({ 'cache=pvcs': 1, 'cache=nodes': 1 });
    expect(allSeries(families, 'cache_age_seconds')).toEqual({ 'cache=pvcs': 1.25, 'cache=nodes': 0 });
  });

  it('workspace_volumes: one series per verdict from the census at scrape time, none while it is unknown', () => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    let counts: Record<string, number> | undefined;
    metrics.watchWorkspaceLocalities(() => counts);
    expect(allSeries(scrape(metrics), 'workspace_volumes')).toEqual({});
    counts = { local: 7, remote: 1, longhorn: 0 };
    expect(allSeries(scrape(metrics), 'workspace_volumes')).toEqual({ 'locality=local': 7, 'locality=remote': 1, 'locality=longhorn': 0 });
    counts = { local: 8, remote: 0, longhorn: 0 };
    expect(allSeries(scrape(metrics), 'workspace_volumes')).toEqual({ 'locality=local': 8, 'locality=remote': 0, 'locality=longhorn': 0 });
  });

  it.each([
    ['double quote', 'a"b', 'a\\"b'],
    ['backslash', 'a\\b', 'a\\\\b'],
    ['line feed', 'a\nb', 'a\\nb'],
    ['all three, and a lone backslash before n', 'x\\n"\ny', 'x\\\\n\\"\\ny'],
  ])('escapes a %s in a label value', (_name, cache, escaped) => {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    metrics.watchCaches(() => [{ name: cache, synced: true, ageSeconds: 3 }]);
    const text = metrics.render();
    expect(text).toContain(`${METRIC_PREFIX}cache_synced{cache="${escaped}"} 1\n`);
    expect(family(parseExposition(text), 'cache_age_seconds').samples).toEqual([
      { name: `${METRIC_PREFIX}cache_age_seconds`, labels: { cache }, value: 3 },
    ]);
  });
});

describe('process metrics', () => {
  const PROCESS_FAMILIES: [string, string][] = [
    ['process_cpu_user_seconds_total', 'counter'],
    ['process_cpu_system_seconds_total', 'counter'],
    ['process_cpu_seconds_total', 'counter'],
    ['process_start_time_seconds', 'gauge'],
    ['process_resident_memory_bytes', 'gauge'],
    ['nodejs_heap_size_total_bytes', 'gauge'],
    ['nodejs_heap_size_used_bytes', 'gauge'],
    ['nodejs_external_memory_bytes', 'gauge'],
    ['nodejs_version_info', 'gauge'],
  ];

  it.each(PROCESS_FAMILIES)('%s is a %s with one plausible sample', (name, type) => {
    const families = scrape(new WebhookMetrics());
    const found = standardFamily(families, name);
    expect(found.type).toBe(type);
    expect(found.samples).toHaveLength(1);
    expect(found.samples[0]!.value).toBeGreaterThan(0);
  });

  it('adds up CPU time, dates the start before now and names the Node version', () => {
    const families = scrape(new WebhookMetrics());
    const value = (name: string) => standardFamily(families, name).samples[0]!.value;
    expect(value('process_cpu_seconds_total')).toBeCloseTo(value('process_cpu_user_seconds_total') + value('process_cpu_system_seconds_total'), 6);
    expect(value('process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(value('process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 24 * 3600);
    expect(value('nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(value('nodejs_heap_size_total_bytes'));
    const [major, minor, patch] = process.versions.node.split('.');
    expect(standardFamily(families, 'nodejs_version_info').samples[0]!.labels).toEqual({ version: process.version, major, minor, patch });
  });

  it('renders the heap figures bench/run.js reads under their standard unprefixed names, as plain numbers', () => {
    const text = new WebhookMetrics().render();
    expect(text).not.toMatch(/^workspace_storage_webhook_(process|nodejs)_/m);
    for (const name of ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes']) {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      expect(Number(match?.[1])).toBeGreaterThan(1024 * 1024);
    }
  });

  it('are absent with defaultMetrics: false', () => {
    const names = [...scrape(new WebhookMetrics({ defaultMetrics: false })).keys()];
    expect(names.filter((name) => /(?:process|nodejs)_/.test(name))).toEqual([]);
  });
});
