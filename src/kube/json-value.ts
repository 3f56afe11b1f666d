/**
 * Reading decoded JSON (API objects, reviews, config documents) without trusting its shape: every field is
 * `unknown` until one of these has checked it. One home for the guards that were written in six places.
 */

/** A JSON object as decoded: its fields not yet checked. */
export type JsonObject = Record<string, unknown>;

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` when it is a JSON object, else an empty one: for reading optional fields of API objects. */
export function asObject(value: unknown): JsonObject {
  return isRecord(value) ? value : {};
}

/** `value` when it is a JSON object, else undefined: for optional chaining through fields that may be absent. */
export function maybeObject(value: unknown): JsonObject | undefined {
  return isRecord(value) ? value : undefined;
}

/** `value` when it is a string, else the empty string. */
export function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** `value` when it is an array, else an empty one. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
