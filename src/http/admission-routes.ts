import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerReview } from '../admission/answer-review.js';
import type { ReviewRecord } from '../admission/review-record.js';
import { decodeReview, isReviewProblem } from '../admission/decode-review.js';
import { encodeAnswer } from '../admission/encode-answer.js';
import type { ReviewMode } from '../admission/review-types.js';
import type { WorkspaceScope } from '../core/skip-reason.js';
import { AuditLog } from '../logging/audit-log.js';
import type { AppDependencies } from './app-dependencies.js';
import { sendError } from './error-reply.js';
import { admitWithin, DEFAULT_IN_FLIGHT_BYTES, holdAnswer, InFlightBudget, memoryGate } from './in-flight-budget.js';

const ANSWER_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The audit line: the record itself (identifiers and the decision, never the object). A review whose decision
 * threw is logged at error level with the error instead.
 */
function logRecord(deps: AppDependencies, audit: AuditLog, record: ReviewRecord, error: Error | undefined): void {
  if (error) deps.logger.error({ ...record, err: { message: error.message, stack: error.stack } }, 'admission review failed');
  else audit.write(record);
}

/** A synchronous handler (it sends and returns nothing): no promise to settle per review. */
function reviewHandler(deps: AppDependencies, audit: AuditLog, budget: InFlightBudget, mode: ReviewMode, scope: WorkspaceScope) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const started = performance.now();
    const review = decodeReview(request.body);
    if (isReviewProblem(review)) {
      deps.metrics.badRequest(400);
      deps.logger.warn({ mode, uid: review.uid, problem: review.message }, 'not an admission review');
      sendError(reply, 400, review.message, review.uid);
      return;
    }
    const { answer, recordWith, error } = answerReview(review, mode, deps.config, deps.facts, scope);
    const payload = encodeAnswer(answer);
    const answerBytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.reduce((sum, piece) => sum + piece.length, 0);
    holdAnswer(budget, reply, answerBytes);
    const seconds = (performance.now() - started) / 1000;
    const record = recordWith(Math.round(seconds * 1e6) / 1e3);
    logRecord(deps, audit, record, error);
    deps.metrics.review(record, seconds);
    // Straight to Node's response, as reply.send would end up writing a string, without the serialiser and send-hook
    // machinery this one shape does not need (~1 µs a review; bench/README.md, "Findings"). Headers set on the raw
    // response before (Connection: close while draining, see server.ts) are merged in by writeHead.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': ANSWER_CONTENT_TYPE, 'content-length': answerBytes });
    if (typeof payload === 'string') {
      reply.raw.end(payload);
      return;
    }
    // A patch in pieces: written piece by piece (Node queues them), never joined into one string or buffer.
    for (const piece of payload) reply.raw.write(piece);
    reply.raw.end();
  };
}

/**
 * POST /mutate (enforce: answers with patches) and POST /audit (report-only: the same decision, no patch,
 * warnings say what would change), for objects matching the workspace selectors; POST /mutate-all and /audit-all
 * the same for every Pod and PVC (namespaces labelled `workspace-storage.dev/workspaces=all`). Which one a namespace
 * gets is decided by the webhook configuration's namespaceSelectors, so relabelling a namespace needs no restart.
 */
export function registerAdmissionRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const audit = new AuditLog(deps.logger, deps.auditDestination);
  const memory = deps.memoryLimitBytes === undefined ? undefined : memoryGate(deps.memoryLimitBytes);
  const budget = new InFlightBudget(deps.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES, memory);
  const onRequest = admitWithin(budget, () => { deps.metrics.badRequest(429); });
  app.post('/mutate', { onRequest }, reviewHandler(deps, audit, budget, 'enforce', 'selectors'));
  app.post('/audit', { onRequest }, reviewHandler(deps, audit, budget, 'audit', 'selectors'));
  app.post('/mutate-all', { onRequest }, reviewHandler(deps, audit, budget, 'enforce', 'namespace'));
  app.post('/audit-all', { onRequest }, reviewHandler(deps, audit, budget, 'audit', 'namespace'));
}
