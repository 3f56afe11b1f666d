import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { InMemoryClusterFacts } from '../../support/in-memory-cluster-facts.js';
import { parseConfig } from '../../../src/config/parse-config.js';
import { buildApp } from '../../../src/http/build-app.js';
import { WebhookMetrics } from '../../../src/metrics/webhook-metrics.js';

/** Log lines counted by message and level, never kept (megabyte lines must not inflate a memory measurement). */
export class LogTally {
  readonly byMessage = new Map<string, number>();
  bytes = 0;
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      this.bytes += chunk.length;
      const text = chunk.toString('utf8');
      // pino ends every line with `"msg":"..."}`; reading it from the tail avoids parsing megabytes.
      const message = /"msg":"([^"]*)"\}\s*$/.exec(text.slice(-200))?.[1] ?? '(none)';
      this.byMessage.set(message, (this.byMessage.get(message) ?? 0) + 1);
      callback();
    },
  });

  count(message: string): number {
    return this.byMessage.get(message) ?? 0;
  }
}

/** The real app (tmpfs for /home/coder/app) with logs tallied instead of kept, and its metrics. */
export function quietApp(): { app: FastifyInstance; logs: LogTally; metrics: WebhookMetrics } {
  const logs = new LogTally();
  const metrics = new WebhookMetrics({ defaultMetrics: false });
  const app = buildApp({
    config: parseConfig({ tmpfs: { projects: ['/home/coder/app'] } }),
    facts: new InMemoryClusterFacts(),
    logger: pino({ level: 'info' }, logs.stream),
    metrics,
    readiness: () => ({ ready: true, detail: {} }),
  });
  return { app, logs, metrics };
}
