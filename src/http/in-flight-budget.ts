import type { FastifyReply, FastifyRequest } from 'fastify';
import { BODY_LIMIT_BYTES } from './body-limit.js';
import { sendError } from './error-reply.js';

/**
 * Bytes of review work in flight: request bodies being read and parsed, and answers being written. A review
 * costs several times its body in memory (the buffered body, the string, the parsed object, the patch and its
 * base64); without a bound, eight 5 MiB reviews at once took the server past its 256Mi limit and the kernel
 * killed it (test/hostile/memory-ceiling.e2e.test.ts). Past the budget a review is answered 429 at once, before
 * its body is read; the API server retries (or applies the webhook's failurePolicy) and the server stays up.
 */
export class InFlightBudget {
  private inFlight = 0;

  constructor(
    /** Most bytes admitted at once; one body of the limit always fits, whatever else is in flight. */
    readonly maxBytes: number,
  ) {}

  /** Bytes currently held. */
  get bytes(): number {
    return this.inFlight;
  }

  /** Takes `bytes` when they fit (or nothing else is in flight); false when the review must be shed. */
  tryTake(bytes: number): boolean {
    if (this.inFlight > 0 && this.inFlight + bytes > this.maxBytes) return false;
    this.inFlight += bytes;
    return true;
  }

  /** Adds `bytes` already being spent (an answer built), whether or not they fit. */
  charge(bytes: number): void {
    this.inFlight += bytes;
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
  }
}

/**
 * Default budget: one body of the limit and 1 MiB beside it (a hundred ordinary reviews of ~10 KB). Measured in a
 * 256Mi cgroup: one review of 50,000 containers (4.5 MiB body, 27 MiB answer) alone peaks at ~230 MiB, so a second
 * large one cannot be admitted while it is in flight.
 */
export const DEFAULT_IN_FLIGHT_BYTES = BODY_LIMIT_BYTES + 1024 * 1024;

/** The bytes a request holds, for the response's close to give back (answers add theirs, see admission-routes). */
const HELD = Symbol('in-flight bytes');
type Held = { [HELD]?: number };

/**
 * Route-level onRequest hook: takes the body's declared length (a chunked body: the body limit) from the budget
 * or answers 429 with Retry-After; gives it back when the response is closed (sent or aborted).
 */
export function admitWithin(budget: InFlightBudget, onShed: () => void) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const declared = Number(request.headers['content-length']);
    const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, BODY_LIMIT_BYTES) : BODY_LIMIT_BYTES;
    if (!budget.tryTake(bytes)) {
      onShed();
      // The body is not read: close the connection rather than leave it half-consumed.
      void reply.header('connection', 'close').header('retry-after', '1');
      sendError(reply, 429, `busy: ${Math.round(budget.bytes / 1048576)} MiB of reviews in flight; retry`);
      return;
    }
    (reply.raw as Held)[HELD] = bytes;
    reply.raw.once('close', () => { budget.release((reply.raw as Held)[HELD] ?? 0); });
    done();
  };
}

/** Adds an answer's size to what its request holds until the response closes. */
export function holdAnswer(budget: InFlightBudget, reply: FastifyReply, bytes: number): void {
  budget.charge(bytes);
  const raw = reply.raw as Held;
  raw[HELD] = (raw[HELD] ?? 0) + bytes;
}
