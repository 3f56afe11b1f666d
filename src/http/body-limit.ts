/**
 * Largest request body accepted: 7 MiB. The API server caps an object at 3 MiB (etcd's request limit,
 * apiserver `MaxRequestBodyBytes`), and an UPDATE review carries both `object` and `oldObject`: 2 x 3 MiB plus
 * 1 MiB for the envelope, the same derivation as controller-runtime's webhook (pkg/webhook/admission/http.go).
 */
export const BODY_LIMIT_BYTES = 7 * 1024 * 1024;
