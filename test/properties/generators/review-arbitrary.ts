import fc from 'fast-check';
import { validPod } from './pod-arbitrary.js';
import { validPvc } from './pvc-arbitrary.js';

/** Any JSON value, `__proto__`, `constructor` and unicode keys included. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/**
 * Replaces the value at a random path inside `value` (walking `steps`, each picking a key or index) with
 * `replacement`: a valid object with one hole of the wrong type, where a webhook's assumptions break.
 */
function punch(value: unknown, steps: readonly number[], replacement: unknown): unknown {
  if (steps.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const [step, ...rest] = steps as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const copy = [...value];
    copy[step % value.length] = punch(copy[step % value.length], rest, replacement);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[step % keys.length] as string;
  return { ...value, [key]: punch((value as Record<string, unknown>)[key], rest, replacement) };
}

/** A valid Pod or PVC with one to three values somewhere inside replaced by arbitrary JSON. */
export const holedObject: fc.Arbitrary<unknown> = fc
  .tuple(fc.oneof(validPod, validPvc), fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), anyJson), { minLength: 1, maxLength: 3 }))
  .map(([object, holes]) => holes.reduce<unknown>((current, [steps, replacement]) => punch(current, steps, replacement), object));

/** What request.object may be: valid, valid with holes, or anything at all. */
export const requestObject: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.oneof(validPod, validPvc) },
  { weight: 4, arbitrary: holedObject },
  { weight: 1, arbitrary: anyJson },
);

/** A non-empty uid the API server could send (UUID) or a stranger string. */
export const goodUid = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }));

const kindOf = (kind: string) => ({ group: '', version: 'v1', kind });

/**
 * An "almost valid" AdmissionReview: the right envelope mostly, with request fields of random types (uid,
 * kind, operation, namespace, object, userInfo, name, dryRun) and now and then a wrong apiVersion or kind.
 */
export const almostValidReview: fc.Arbitrary<Record<string, unknown>> = fc.record({
  apiVersion: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1') },
    { weight: 1, arbitrary: anyJson },
  ),
  kind: fc.oneof({ weight: 8, arbitrary: fc.constant('AdmissionReview') }, { weight: 1, arbitrary: anyJson }),
  request: fc.record({
    uid: fc.oneof({ weight: 8, arbitrary: goodUid }, { weight: 1, arbitrary: anyJson }),
    kind: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(kindOf('Pod'), kindOf('PersistentVolumeClaim')) },
      { weight: 1, arbitrary: fc.record({ group: anyJson, version: anyJson, kind: anyJson }) },
      { weight: 1, arbitrary: anyJson },
    ),
    operation: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT') }, { weight: 1, arbitrary: anyJson }),
    namespace: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('ns', 'coder') }, { weight: 1, arbitrary: anyJson }),
    name: anyJson,
    object: requestObject,
    oldObject: fc.constantFrom(null, {}),
    userInfo: fc.oneof(fc.record({ username: fc.string() }), anyJson),
    dryRun: anyJson,
  }, { requiredKeys: ['uid', 'kind', 'operation', 'object'] }),
}, { requiredKeys: [] });
