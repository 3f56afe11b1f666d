/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), reduced to what sizes need: a decimal
 * number with an optional binary (Ki..Ei), decimal (k..E, m) or exponent (e3, E3) suffix.
 */
import { boundedMemo } from './bounded-memo.js';

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = {
  m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(m|k|M|G|T|P|E)?)$/;
/** Longest quantity text accepted; anything longer is not a size a person wrote. */
const MAX_QUANTITY_LENGTH = 64;
/** Largest unit first, as formatBytes tries them. */
const FORMAT_UNITS = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

function parseQuantityText(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const number = Number(match[1]);
  if (match[2] !== undefined) return number * (BINARY[match[2]] ?? 1);
  if (match[3] !== undefined) return number * 10 ** Number(match[3].slice(1));
  return number * (DECIMAL[match[4] ?? ''] ?? 1);
}

/** Memoized: every review reads the same few memory limits and requests ("8Gi", "512Mi"). */
const parseQuantityTextMemo = boundedMemo(parseQuantityText, { limit: 256, maxKeyLength: MAX_QUANTITY_LENGTH });

/** Parses a quantity to a number of base units (bytes for memory), or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > MAX_QUANTITY_LENGTH) return undefined;
  return parseQuantityTextMemo(value);
}

/** Formats bytes for a human in a warning: the largest binary unit that keeps one decimal, e.g. `24Gi`. */
export function formatBytes(bytes: number): string {
  for (const unit of FORMAT_UNITS) {
    const size = BINARY[unit] ?? 1;
    if (bytes >= size) {
      const scaled = Math.round((bytes / size) * 10) / 10;
      return `${scaled}${unit}`;
    }
  }
  return `${Math.round(bytes)}`;
}
