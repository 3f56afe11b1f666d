import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import type { ClusterFacts } from '../core/cluster-facts.js';
import type { LineSink } from '../logging/audit-log.js';
import type { WebhookMetrics } from '../metrics/webhook-metrics.js';

/** What /readyz reports. */
export interface Readiness {
  readonly ready: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Everything the HTTP layer needs, built by the server (or a test) and handed in. */
export interface AppDependencies {
  readonly config: Config;
  readonly facts: ClusterFacts;
  /** Receives one audit line per review and error lines; never the objects' contents. */
  readonly logger: Logger;
  /** The destination `logger` writes to, when the caller owns it: audit lines are written there pre-serialised. */
  readonly auditDestination?: LineSink;
  readonly metrics: WebhookMetrics;
  readonly readiness: () => Readiness;
  /** Review bytes admitted at once (bodies and answers in flight); past it, 429 (default: two bodies of the limit). */
  readonly inFlightBytes?: number;
  /** The container's memory limit in bytes, when known: large reviews are shed before they would pass it. */
  readonly memoryLimitBytes?: number;
}
