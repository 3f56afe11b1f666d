import type { FastifyRequest } from 'fastify';

/** An error the error handler answers with `statusCode` and `message`. */
function withStatus(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/**
 * The `application/json` body parser (Fastify's `parseAs: 'string'` form): plain JSON.parse, which is iterative in
 * V8 (a 100k-deep document does not overflow the stack) and creates `__proto__` as an own property, harmless because
 * the core reads fields and never merges objects. A body that is not JSON is a 400; a compressed one a 415.
 */
export function parseJsonBody(request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  // The API server never compresses review bodies; a compressed one would only fail as "not JSON". Checked here,
  // where only bodies arrive, rather than in an onRequest hook that every request would pay for.
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    done(withStatus(415, `Content-Encoding ${encoding.slice(0, 40)} is not supported; send identity`), undefined);
    return;
  }
  try {
    done(null, JSON.parse(body as string));
  } catch (error) {
    done(withStatus(400, `body is not valid JSON: ${parserReason((error as Error).message)}`), undefined);
  }
}

/**
 * JSON.parse's reason without the piece of the body V8 quotes in some messages (`Unexpected token 'x', "…" is not
 * valid JSON`): the reason is logged, and a body may carry secrets. Positions stay, they say where to look.
 */
export function parserReason(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ', not valid JSON').slice(0, 160);
}
