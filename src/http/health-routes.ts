import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from './app-dependencies.js';

/**
 * GET /healthz: the process serves (liveness). GET /readyz: ready to take reviews (the cluster caches have
 * synced, or co-location is off or degraded and says why in the detail); 503 while not. GET /metrics: Prometheus.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: AppDependencies): void {
  app.get('/healthz', async (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { ready, detail } = deps.readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', ...detail });
  });
  app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(deps.metrics.render()));
}
