import Fastify, { type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { registerAdmissionRoutes } from './admission-routes.js';
import type { AppDependencies } from './app-dependencies.js';
import { BODY_LIMIT_BYTES } from './body-limit.js';
import { errorHandler, sendError } from './error-reply.js';
import { registerHealthRoutes } from './health-routes.js';

/** Transport options the server adds; tests leave them out and use `app.inject()`. */
export type TransportOptions = Partial<FastifyHttpsOptions<HttpsServer>> & Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout'>;

/**
 * Builds the whole HTTP application and never listens (server.ts owns TLS, listen and shutdown). The JSON parser
 * is plain JSON.parse: it is iterative in V8 (a 100k-deep document does not overflow the stack) and creates
 * `__proto__` as an own property, which is harmless because the core reads fields and never merges objects.
 */
export function buildApp(deps: AppDependencies, transport: TransportOptions = {}): FastifyInstance {
  const app = Fastify({
    ...transport,
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: false,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      const wrapped = new Error(`body is not valid JSON: ${(error as Error).message.slice(0, 120)}`) as Error & { statusCode: number };
      wrapped.statusCode = 400;
      done(wrapped, undefined);
    }
  });
  // Callback style, not async: an async hook costs a promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    // The API server never compresses review bodies; a compressed one would only fail as "not JSON".
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      deps.metrics.badRequest(415);
      sendError(reply, 415, `Content-Encoding ${String(encoding).slice(0, 40)} is not supported; send identity`);
      return; // answered: fastify must not go on (done is not called)
    }
    done();
  });
  app.setErrorHandler(errorHandler(deps.logger, deps.metrics));
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 100)}`));
  registerAdmissionRoutes(app, deps);
  registerHealthRoutes(app, deps);
  return app;
}
