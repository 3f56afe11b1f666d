import Fastify, { type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { registerAdmissionRoutes } from './admission-routes.js';
import type { AppDependencies } from './app-dependencies.js';
import { BODY_LIMIT_BYTES } from './body-limit.js';
import { errorHandler, sendError } from './error-reply.js';
import { registerHealthRoutes } from './health-routes.js';

/** Transport options the server adds; tests leave them out and use `app.inject()`. */
export type TransportOptions = Partial<FastifyHttpsOptions<HttpsServer>> & Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout'>;

/** An error the error handler answers with `statusCode` and `message`. */
function withStatus(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

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
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // The API server never compresses review bodies; a compressed one would only fail as "not JSON". Checked here,
    // where only bodies arrive, rather than in an onRequest hook that every request would pay for.
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      done(withStatus(415, `Content-Encoding ${String(encoding).slice(0, 40)} is not supported; send identity`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(withStatus(400, `body is not valid JSON: ${(error as Error).message.slice(0, 120)}`), undefined);
    }
  });
  app.setErrorHandler(errorHandler(deps.logger, deps.metrics));
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 100)}`));
  registerAdmissionRoutes(app, deps);
  registerHealthRoutes(app, deps);
  return app;
}
