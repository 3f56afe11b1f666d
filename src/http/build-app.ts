import Fastify, { type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { registerAdmissionRoutes } from './admission-routes.js';
import type { AppDependencies } from './app-dependencies.js';
import { BODY_LIMIT_BYTES } from './body-limit.js';
import { errorHandler, sendError } from './error-reply.js';
import { parseJsonBody } from './json-body-parser.js';
import { registerHealthRoutes } from './health-routes.js';

/** Transport options the server adds; tests leave them out and use `app.inject()`. */
export type TransportOptions = Partial<FastifyHttpsOptions<HttpsServer>> & Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout'>;

/**
 * Builds the whole HTTP application and never listens (server.ts owns TLS, listen and shutdown); JSON bodies are
 * parsed by {@link parseJsonBody}.
 */
export function buildApp(deps: AppDependencies, transport: TransportOptions = {}): FastifyInstance {
  const app = Fastify({
    ...transport,
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: false,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.setErrorHandler(errorHandler(deps.logger, deps.metrics));
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 100)}`));
  registerAdmissionRoutes(app, deps);
  registerHealthRoutes(app, deps);
  return app;
}
