/** The parts of an AdmissionRequest the core decides on, already checked for type by the admission layer. */
export interface AdmissionInput {
  /** `request.kind`: the kind of the object as the API server sees it. */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  /** CREATE, UPDATE, DELETE or CONNECT. */
  readonly operation: string;
  /** `request.namespace` (the object's own metadata.namespace is often empty on CREATE). */
  readonly namespace: string;
  /** `request.object`: untrusted JSON. */
  readonly object: unknown;
}
