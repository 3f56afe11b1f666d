import type { AdmissionInput } from '../core/admission-input.js';
import type { Base64Pieces } from './patch-base64.js';

/** The AdmissionReview versions the API server may send; the answer uses the same one. */
export type ReviewApiVersion = 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';

/** `enforce` answers with patches (/mutate); `audit` reports what would change (/audit). */
export type ReviewMode = 'enforce' | 'audit';

/** A decoded, type-checked AdmissionRequest. */
export interface DecodedReview {
  readonly apiVersion: ReviewApiVersion;
  readonly uid: string;
  readonly input: AdmissionInput;
  /** `request.name`, or the object's metadata.name, or undefined on CREATE with generateName. */
  readonly name: string | undefined;
  readonly generateName: string | undefined;
  readonly user: string | undefined;
  readonly dryRun: boolean;
}

/** An AdmissionResponse (admission.k8s.io/v1). */
export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  /** The JSON patch, base64; a very large one in pieces (see patch-base64.ts). */
  patch?: string | Base64Pieces;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** The AdmissionReview envelope the webhook answers with. */
export interface AdmissionReviewAnswer {
  apiVersion: ReviewApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}
