/** One RFC 6902 operation as this webhook emits them: it only ever adds or replaces. */
export type PatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown };
