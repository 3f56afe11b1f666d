import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/parse-config.js';
import type { ClusterFacts } from '../../src/core/cluster-facts.js';
import { InMemoryClusterFacts } from './in-memory-cluster-facts.js';
import type { Readiness } from '../../src/http/app-dependencies.js';
import { buildApp } from '../../src/http/build-app.js';
import { WebhookMetrics } from '../../src/metrics/webhook-metrics.js';

/** Log lines written by the app, parsed (real pino JSON, captured from its output stream). */
export class LogCapture {
  readonly raw: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) this.raw.push(line);
      callback();
    },
  });

  /** Every line parsed as JSON. */
  get lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Options for a test app. */
export interface TestAppOptions {
  config?: unknown;
  facts?: ClusterFacts;
  readiness?: () => Readiness;
  inFlightBytes?: number;
  memoryLimitBytes?: number;
}

/** Builds the real app with a captured logger, for `app.inject()`. */
export function testApp(options: TestAppOptions = {}): { app: FastifyInstance; logs: LogCapture; metrics: WebhookMetrics } {
  const logs = new LogCapture();
  const metrics = new WebhookMetrics({ defaultMetrics: false });
  const app = buildApp({
    config: parseConfig(options.config ?? { tmpfs: { projects: ['/home/coder/app'] } }),
    facts: options.facts ?? new InMemoryClusterFacts(),
    logger: pino({ level: 'info' }, logs.stream),
    metrics,
    readiness: options.readiness ?? (() => ({ ready: true, detail: {} })),
    ...(options.inFlightBytes === undefined ? {} : { inFlightBytes: options.inFlightBytes }),
    ...(options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: options.memoryLimitBytes }),
  });
  return { app, logs, metrics };
}

/** An AdmissionReview (v1 unless told) for creating `object`. */
export function reviewFor(object: { kind?: string; metadata?: { name?: string; namespace?: string } }, overrides: Record<string, unknown> = {}) {
  const kind = object.kind ?? 'Pod';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: kind === 'Pod' ? 'pods' : 'persistentvolumeclaims' },
      requestKind: { group: '', version: 'v1', kind },
      requestResource: { group: '', version: 'v1', resource: kind === 'Pod' ? 'pods' : 'persistentvolumeclaims' },
      name: object.metadata?.name,
      namespace: object.metadata?.namespace ?? 'coder',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'x', groups: ['system:serviceaccounts'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      ...overrides,
    },
  };
}
