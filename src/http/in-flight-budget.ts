import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fullGc } from '../runtime/full-gc.js';
import { chargedMemoryReader } from '../runtime/memory-usage.js';
import { BODY_LIMIT_BYTES } from './body-limit.js';
import { sendError } from './error-reply.js';

/**
 * Bytes of review work in flight: request bodies being read and parsed, and answers being written. A review
 * costs several times its body in memory (the buffered body, the string, the parsed object, the patch and its
 * base64); without a bound, eight 5 MiB reviews at once took the server past its 256Mi limit and the kernel
 * killed it (test/hostile/memory-ceiling.e2e.test.ts). Past the budget a review is answered 429 at once, its body
 * drained unparsed; the API server applies the webhook's failurePolicy and the server stays up.
 */
export class InFlightBudget {
  private inFlight = 0;

  constructor(
    /** Most bytes admitted at once; one body of the limit fits, whatever else is in flight, unless memory says no. */
    readonly maxBytes: number,
    /** The process's memory ceiling, when known: large bodies are admitted only while their cost fits under it. */
    private readonly memory?: MemoryGate,
  ) {}

  /** Bytes currently held. */
  get bytes(): number {
    return this.inFlight;
  }

  /** Takes `bytes` when they fit (or nothing else is in flight); false when the review must be shed. */
  tryTake(bytes: number): boolean {
    if (this.inFlight > 0 && this.inFlight + bytes > this.maxBytes) return false;
    if (this.memory !== undefined && bytes >= LARGE_BODY_BYTES &&
      this.memory.used() + REVIEW_MEMORY_PER_BODY_BYTE * (this.inFlight + bytes) > this.memory.ceilingBytes) return false;
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

/** What the budget needs to know of memory: the ceiling to stay under and what the process is charged now. */
export interface MemoryGate {
  readonly ceilingBytes: number;
  /** The memory charged to the process now (runtime/memory-usage.ts). */
  readonly used: () => number;
}

/**
 * Memory a review takes per byte of its body, at its peak: measured in a cgroup, a 50,000-container review
 * (4.5 MiB body, 19 MB answer) took the process from 36 to 204 MiB (37 per byte), a 3 MiB annotation far less; the
 * gate counts every large body at the worst ratio seen, rounded up.
 */
export const REVIEW_MEMORY_PER_BODY_BYTE = 40;
/**
 * Bodies from this size on pass the memory gate (an ordinary pod's review is ~10 KB: it is held by the byte budget
 * alone, and reading the charged memory, a file read, stays off the common path).
 */
export const LARGE_BODY_BYTES = 256 * 1024;
/** Share of the container's memory limit the gate keeps under: the rest is headroom for what it does not count. */
export const MEMORY_CEILING_SHARE = 0.9;

/** The gate for a container memory limit of `limitBytes` (the Deployment passes it with the downward API). */
export function memoryGate(limitBytes: number, used: () => number = chargedMemoryReader()): MemoryGate {
  return { ceilingBytes: limitBytes * MEMORY_CEILING_SHARE, used };
}

/**
 * Default budget: one body of the limit and 1 MiB beside it (a hundred ordinary reviews of ~10 KB), so a second
 * body near the limit is not admitted while one is in flight (the memory gate above bounds what one can cost).
 */
export const DEFAULT_IN_FLIGHT_BYTES = BODY_LIMIT_BYTES + 1024 * 1024;

/** The bytes a request holds, for the response's close to give back (answers add theirs, see admission-routes). */
const HELD = Symbol('in-flight bytes');
type Held = { [HELD]?: number };

/**
 * Route-level onRequest hook: takes the body's declared length (a chunked body: the body limit) from the budget
 * or answers 429 with Retry-After; gives it back when the response is closed (sent or aborted). One close listener
 * per budget, not a closure per review.
 */
export function admitWithin(budget: InFlightBudget, onShed: () => void) {
  function onClose(this: ServerResponse & Held): void {
    const held = this[HELD] ?? 0;
    budget.release(held);
    if (held >= LARGE_BODY_BYTES) collectSoon();
  }
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const declared = Number(request.headers['content-length']);
    const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, BODY_LIMIT_BYTES) : BODY_LIMIT_BYTES;
    if (!budget.tryTake(bytes)) {
      onShed();
      // The body is read and thrown away as it arrives (held nowhere), so the client, still sending, gets the 429
      // rather than a reset connection.
      request.raw.resume();
      void reply.header('retry-after', '1');
      sendError(reply, 429, `busy: ${Math.round(budget.bytes / 1048576)} MiB of reviews in flight; retry`);
      return;
    }
    (reply.raw as Held)[HELD] = bytes;
    // `on`, not `once`: a response closes once and is then dropped, and `once` would wrap onClose in a new
    // closure per review.
    reply.raw.on('close', onClose);
    done();
  };
}

/** Adds an answer's size to what its request holds until the response closes. */
export function holdAnswer(budget: InFlightBudget, reply: FastifyReply, bytes: number): void {
  budget.charge(bytes);
  const raw = reply.raw as Held;
  raw[HELD] = (raw[HELD] ?? 0) + bytes;
}

let collecting = false;

/**
 * A full collection right after a large review (body and answer): its garbage (tens of MB for the largest) otherwise stays resident
 * until allocation forces a collection, and the memory gate would shed the next large review meanwhile. At most one
 * is queued at a time; ordinary reviews never cause one.
 */
function collectSoon(): void {
  if (collecting) return;
  collecting = true;
  setImmediate(() => {
    collecting = false;
    fullGc();
  });
}
