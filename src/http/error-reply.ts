import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebhookMetrics } from '../metrics/webhook-metrics.js';

/** The JSON body of every 4xx/5xx this server sends: what went wrong, in words. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  uid?: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Sends an error body with `statusCode`. */
export function sendError(reply: FastifyReply, statusCode: number, message: string, uid?: string): FastifyReply {
  const body: ErrorBody = { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', message };
  if (uid !== undefined) body.uid = uid;
  return reply.code(statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The error handler: framework errors (body too large, bad content type, unparsable JSON) keep their 4xx status
 * and get a clear JSON body; anything else is a bug, logged and answered 500 without internals.
 */
export function errorHandler(logger: Logger, metrics: WebhookMetrics) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 500;
    metrics.badRequest(status);
    if (status === 500) {
      logger.error({ err: { message: error.message, stack: error.stack }, url: request.routeOptions.url }, 'request failed');
      return sendError(reply, 500, 'internal error');
    }
    // The reason is the framework's or the body parser's own words (body-free: see json-body-parser.ts).
    logger.warn({ statusCode: status, code: error.code, url: request.routeOptions.url, reason: error.message }, 'bad request');
    return sendError(reply, status, error.message);
  };
}
