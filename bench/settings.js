// Settings shared by bench/run.js and bench/cluster-scale.js.
import { readFileSync } from 'node:fs';

/** A non-negative number from the environment variable `name`, or `fallback` when it is unset or empty. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}="${raw}" must be a non-negative number`);
  return value;
}

/** The NODE_OPTIONS the container image runs the webhook with (its Dockerfile's `ENV NODE_OPTIONS=...`). */
function imageNodeOptions() {
  try {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const match = /^\s*ENV\s.*\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(dockerfile);
    return match ? (match[1] ?? match[2]) : '';
  } catch {
    return '';
  }
}

/**
 * Node options for the webhook process, space-separated: BENCH_WEBHOOK_NODE_OPTIONS to try runtime flags, else
 * the image's own NODE_OPTIONS, so the numbers are those of the webhook as it is deployed.
 */
export function webhookNodeOptions() {
  return (process.env.BENCH_WEBHOOK_NODE_OPTIONS ?? imageNodeOptions()).split(' ').filter((option) => option !== '');
}
