import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerReview } from '../../src/admission/answer-review.js';
import { decodeReview, isReviewProblem } from '../../src/admission/decode-review.js';
import { encodeAnswer } from '../../src/admission/encode-answer.js';
import type { AdmissionResponse, AdmissionReviewAnswer, ReviewMode } from '../../src/admission/review-types.js';
import type { ClusterFacts } from '../../src/core/cluster-facts.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor } from '../support/test-app.js';

const config = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });

function answerFor(object: unknown, mode: ReviewMode = 'enforce', apiVersion?: string, facts: ClusterFacts = new InMemoryClusterFacts()): AdmissionReviewAnswer {
  const body = reviewFor(object as never) as Record<string, unknown>;
  if (apiVersion) body.apiVersion = apiVersion;
  const review = decodeReview(body);
  if (isReviewProblem(review)) throw new Error(review.message);
  return answerReview(review, mode, config, facts).answer;
}

/** Facts whose every lookup throws: the decision fails and the answer is the "admitted unchanged" one. */
const brokenFacts = new Proxy({}, { get: () => () => { throw new Error('facts unavailable'); } }) as ClusterFacts;

const answers: [string, () => AdmissionReviewAnswer][] = [
  ['a mutated template pod (patch, warnings, audit annotations)', () => answerFor(fixture('pods/coder-kubernetes-template.json'))],
  ['the same pod in audit mode (warnings, no patch)', () => answerFor(fixture('pods/coder-kubernetes-template.json'), 'audit')],
  ['a workspace PVC rewritten', () => answerFor(fixture('pvcs/coder-home-longhorn.json'))],
  ['a skipped pod (uid and allowed only)', () => answerFor(fixture('pods/not-a-workspace.json'))],
  ['admission.k8s.io/v1beta1', () => answerFor(fixture('pvcs/coder-home-longhorn.json'), 'enforce', 'admission.k8s.io/v1beta1')],
  ['an internal error (allowed unchanged, one warning)', () => answerFor(fixture('pods/coder-kubernetes-template.json'), 'enforce', undefined, brokenFacts)],
  ['a pod of 3,000 containers (the patch in pieces)', () => {
    const pod = fixture<{ spec: { containers: unknown[] } }>('pods/coder-kubernetes-template.json');
    pod.spec.containers = Array.from({ length: 3_000 }, (_, index) => ({ name: `c${index}`, image: 'busybox', volumeMounts: [{ name: 'home', mountPath: '/home/coder' }] }));
    return answerFor(pod);
  }],
  ['strings that need escaping', () => {
    const answer = answerFor(fixture('pods/coder-kubernetes-template.json'));
    answer.response.uid = 'quote " backslash \\ newline \n tab \t unicode é 😀 control \u0001 lone \ud800';
    answer.response.warnings = ['container "dev\\x": </script>\u2028\u2029'];
    answer.response.auditAnnotations = { tmpfs: '/home/"q"/node_modules=1Gi in d\nev', 'key"with\\quote': 'v' };
    return answer;
  }],
];

describe('encodeAnswer', () => {
  it.each(answers)('%s: the same bytes as JSON.stringify', (_name, make) => {
    const answer = make();
    const encoded = encodeAnswer(answer);
    expect(typeof encoded === 'string' ? encoded : Buffer.concat(encoded).toString('utf8')).toBe(JSON.stringify(answer));
  });

  it('the template pod answer really carries a patch, warnings and annotations (the table covers every key)', () => {
    const { response } = answerFor(fixture('pods/coder-kubernetes-template.json'));
    expect(Object.keys(response)).toEqual(['uid', 'allowed', 'patchType', 'patch', 'warnings', 'auditAnnotations']);
  });

  it('an internal error answer is the one with warnings and no patch', () => {
    const { response } = answerFor(fixture('pods/coder-kubernetes-template.json'), 'enforce', undefined, brokenFacts);
    expect(response.patch).toBeUndefined();
    expect(response.warnings?.[0]).toContain('internal error');
  });

  it('any uid, warnings and annotations: the same bytes as JSON.stringify', () => {
    const base64 = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    fc.assert(fc.property(
      fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.option(base64, { nil: undefined }),
      fc.option(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
      fc.option(fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), { minKeys: 1 }), { nil: undefined }),
      (apiVersion, uid, patch, warnings, auditAnnotations) => {
        const response: AdmissionResponse = { uid, allowed: true };
        if (patch !== undefined) {
          response.patchType = 'JSONPatch';
          response.patch = patch;
        }
        if (warnings !== undefined) response.warnings = warnings;
        if (auditAnnotations !== undefined) response.auditAnnotations = auditAnnotations;
        const answer = { apiVersion, kind: 'AdmissionReview', response } as AdmissionReviewAnswer;
        expect(encodeAnswer(answer)).toBe(JSON.stringify(answer));
      },
    ), { numRuns: 500 });
  });
});
