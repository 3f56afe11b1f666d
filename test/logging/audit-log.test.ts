import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { answerReview } from '../../src/admission/answer-review.js';
import type { ReviewRecord } from '../../src/admission/review-record.js';
import { decodeReview, isReviewProblem } from '../../src/admission/decode-review.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { AUDIT_MESSAGE, AuditLog } from '../../src/logging/audit-log.js';
import { loggerOptions } from '../../src/logging/log-format.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor } from '../support/test-app.js';

const config = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });

/** The record the HTTP layer would log for `object` (durationMs filled in as it does). */
function recordFor(object: unknown, mode: 'enforce' | 'audit' = 'enforce'): ReviewRecord {
  const review = decodeReview(reviewFor(object as never));
  if (isReviewProblem(review)) throw new Error(review.message);
  return answerReview(review, mode, config, new InMemoryClusterFacts()).recordWith(0.123);
}

const FIXED_TIME = '2026-12-04T17:16:30.123Z';

/** A logger in the server's format writing into `lines`, with a fixed time so lines can be compared byte for byte. */
function capturing(level = 'info'): { logger: Logger; lines: string[]; sink: { write(line: string): void } } {
  const lines: string[] = [];
  const sink = { write: (line: string) => void lines.push(line) };
  const logger = pino({ ...loggerOptions(level), timestamp: () => `,"time":"${FIXED_TIME}"` }, sink);
  return { logger, lines, sink };
}

const records: [string, () => ReviewRecord][] = [
  ['a mutated Coder template pod (operations, warnings, notes)', () => recordFor(fixture('pods/coder-kubernetes-template.json'))],
  ['a workspace PVC rewritten', () => recordFor(fixture('pvcs/coder-home-longhorn.json'))],
  ['a skipped pod (no name, only generateName)', () => recordFor(fixture('pods/not-a-workspace.json'))],
  ['audit mode (would-mutate)', () => recordFor(fixture('pods/coder-kubernetes-template.json'), 'audit')],
  ['strings that need escaping', () => ({
    ...recordFor(fixture('pvcs/coder-home-longhorn.json')),
    name: 'quote " backslash \\ newline \n tab \t unicode é 😀 control \u0001',
    user: '</script>\u2028\u2029',
  })],
];

describe('AuditLog', () => {
  it.each(records)('writes, pre-serialised to the logger\'s destination, the same line as pino itself for %s', (_name, make) => {
    const record = make();
    const direct = capturing();
    const viaPino = capturing();
    new AuditLog(direct.logger, direct.sink, () => FIXED_TIME).write(record);
    viaPino.logger.info(record, AUDIT_MESSAGE);
    expect(direct.lines).toHaveLength(1);
    expect(direct.lines[0]).toBe(viaPino.lines[0]);
    const parsed = JSON.parse(direct.lines[0] ?? '') as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 'info', time: FIXED_TIME, service: 'workspace-storage-webhook', msg: AUDIT_MESSAGE, uid: record.uid });
  });

  it('writes an ISO-8601 time of now by default', () => {
    const { logger, lines, sink } = capturing();
    const before = Date.now();
    new AuditLog(logger, sink).write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    const parsed = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(parsed.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(parsed.time as string)).toBeGreaterThanOrEqual(before - 1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
  });

  it('writes nothing when the level is above info, and follows a level changed at run time', () => {
    const { logger, lines, sink } = capturing('warn');
    const audit = new AuditLog(logger, sink);
    audit.write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    expect(lines).toEqual([]);
    logger.level = 'debug';
    audit.write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    expect(lines).toHaveLength(1);
  });

  it('without a destination of its own, writes through pino (a child logger\'s bindings included)', () => {
    const { logger, lines } = capturing();
    const record = recordFor(fixture('pods/coder-kubernetes-template.json'));
    new AuditLog(logger.child({ replica: 'a' })).write(record);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', msg: AUDIT_MESSAGE, uid: record.uid, replica: 'a', service: 'workspace-storage-webhook' });
  });

  it('never writes the object: no env value of the pod reaches the line', () => {
    const pod = fixture<{ spec: { containers: { env?: { name: string; value: string }[] }[] } }>('pods/coder-kubernetes-template.json');
    pod.spec.containers[0]?.env?.push({ name: 'CODER_AGENT_TOKEN', value: 'secret-token-value-7f3e' });
    const { logger, lines, sink } = capturing();
    new AuditLog(logger, sink).write(recordFor(pod));
    expect(lines[0]).not.toContain('secret-token-value-7f3e');
  });
});
