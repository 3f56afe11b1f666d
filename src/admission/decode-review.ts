import type { DecodedReview } from './review-types.js';
import { isRecord } from '../kube/json-value.js';

/** Why a body is not an AdmissionReview the webhook can answer; the HTTP layer sends it as a 400. */
export interface ReviewProblem {
  readonly message: string;
  /** The request's uid when the body had one, so even the error carries it. */
  readonly uid?: string;
}

/** Longest uid accepted: the API server sends a UUID (36 characters); anything huge is not from it. */
const MAX_UID_LENGTH = 256;


function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks that `body` is an AdmissionReview request (admission.k8s.io/v1 or v1beta1) and pulls out what the
 * core and the audit line need. Only types are checked here; what the object means is the core's business.
 */
export function decodeReview(body: unknown): DecodedReview | ReviewProblem {
  if (!isRecord(body)) return { message: 'body must be a JSON object (an AdmissionReview)' };
  const request = body.request;
  const uid = isRecord(request) && typeof request.uid === 'string' && request.uid.length <= MAX_UID_LENGTH
    ? request.uid
    : undefined;
  const problem = (message: string): ReviewProblem => (uid ? { message, uid } : { message });

  const apiVersion = body.apiVersion;
  if (apiVersion !== 'admission.k8s.io/v1' && apiVersion !== 'admission.k8s.io/v1beta1') {
    return problem(`apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, got ${shown(apiVersion)}`);
  }
  if (body.kind !== 'AdmissionReview') {
    return problem(`kind must be AdmissionReview, got ${shown(body.kind)}`);
  }
  if (!isRecord(request)) return problem('request is missing or not an object');
  if (uid === undefined || uid === '') return problem(`request.uid must be a non-empty string of at most ${MAX_UID_LENGTH} characters`);
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.group !== 'string' || typeof kind.version !== 'string' || typeof kind.kind !== 'string') {
    return problem('request.kind must be an object with string group, version and kind');
  }
  if (typeof request.operation !== 'string') return problem('request.operation must be a string');
  if (request.namespace !== undefined && typeof request.namespace !== 'string') return problem('request.namespace must be a string');

  const object = request.object;
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : undefined;
  const userInfo = isRecord(request.userInfo) ? request.userInfo : undefined;
  return {
    apiVersion: apiVersion,
    uid,
    input: {
      kind: { group: kind.group, version: kind.version, kind: kind.kind },
      operation: request.operation,
      namespace: optionalString(request.namespace) ?? optionalString(metadata?.namespace) ?? '',
      object,
    },
    name: optionalString(request.name) || optionalString(metadata?.name) || undefined,
    generateName: optionalString(metadata?.generateName),
    user: optionalString(userInfo?.username),
    dryRun: request.dryRun === true,
  };
}

/** Whether decodeReview failed. */
export function isReviewProblem(value: DecodedReview | ReviewProblem): value is ReviewProblem {
  return 'message' in value;
}

/** A value in an error message: its JSON, cut to 80 characters; `none` for undefined (which has no JSON text). */
function shown(value: unknown): string {
  return (JSON.stringify(value) as string | undefined)?.slice(0, 80) ?? 'none';
}
