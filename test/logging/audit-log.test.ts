import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { answerReview, type ReviewRecord } from '../../src/admission/answer-review.js';
import { decodeReview, isReviewProblem } from '../../src/admission/decode-review.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { AUDIT_MESSAGE, AuditLog } from '../../src/logging/audit-log.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor } from '../support/test-app.js';

const config = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });

/** The record the HTTP layer would log for `object` (durationMs filled in as it does). */
function recordFor(object: unknown, mode: 'enforce' | 'audit' = 'enforce'): ReviewRecord {
  const review = decodeReview(reviewFor(object as never));
  if (isReviewProblem(review)) throw new Error(review.message);
  const { record } = answerReview(review, mode, config, new InMemoryClusterFacts());
  record.durationMs = 0.123;
  return record;
}

/** A logger writing into `lines`, with a fixed time so two loggers' lines can be compared byte for byte. */
function capturing(options: pino.LoggerOptions = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info', base: { service: 'workspace-storage-webhook' }, timestamp: () => ',"time":1700000000000', ...options }, {
    write: (line: string) => void lines.push(line),
  });
  return { logger, lines };
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
  it.each(records)('writes the same line as pino itself for %s', (_name, make) => {
    const record = make();
    const direct = capturing();
    const viaPino = capturing();
    new AuditLog(direct.logger).write(record);
    viaPino.logger.info(record, AUDIT_MESSAGE);
    expect(direct.lines).toHaveLength(1);
    expect(direct.lines[0]).toBe(viaPino.lines[0]);
    const parsed = JSON.parse(direct.lines[0] ?? '') as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 30, time: 1700000000000, service: 'workspace-storage-webhook', msg: AUDIT_MESSAGE, uid: record.uid });
  });

  it('keeps a child logger\'s bindings and pino\'s default time', () => {
    const lines: string[] = [];
    const logger = pino({ base: { service: 's' } }, { write: (line: string) => void lines.push(line) }).child({ replica: 'a' });
    const before = Date.now();
    new AuditLog(logger).write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    const parsed = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 30, service: 's', replica: 'a', kind: 'PersistentVolumeClaim', outcome: 'mutated' });
    expect(parsed.time).toBeGreaterThanOrEqual(before);
    expect(lines[0]?.endsWith('\n')).toBe(true);
  });

  it('writes nothing when the level is above info, and follows a level changed at run time', () => {
    const { logger, lines } = capturing({ level: 'warn' });
    const audit = new AuditLog(logger);
    audit.write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    expect(lines).toEqual([]);
    logger.level = 'debug';
    audit.write(recordFor(fixture('pvcs/coder-home-longhorn.json')));
    expect(lines).toHaveLength(1);
  });

  it('writes through pino when the destination needs per-line metadata (multistream)', () => {
    const lines: string[] = [];
    const logger = pino({ base: { service: 's' } }, pino.multistream([{ stream: { write: (line: string) => void lines.push(line) } }]));
    const record = recordFor(fixture('pods/coder-kubernetes-template.json'));
    new AuditLog(logger).write(record);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: AUDIT_MESSAGE, uid: record.uid, outcome: 'mutated', service: 's' });
  });

  it('never writes the object: no env value of the pod reaches the line', () => {
    const pod = fixture<{ spec: { containers: { env?: { name: string; value: string }[] }[] } }>('pods/coder-kubernetes-template.json');
    pod.spec.containers[0]?.env?.push({ name: 'CODER_AGENT_TOKEN', value: 'secret-token-value-7f3e' });
    const { logger, lines } = capturing();
    new AuditLog(logger).write(recordFor(pod));
    expect(lines[0]).not.toContain('secret-token-value-7f3e');
  });
});
