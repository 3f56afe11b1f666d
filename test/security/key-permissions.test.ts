import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhook, type RunningWebhook } from '../hostile/support/running-webhook.js';

let webhook: RunningWebhook;
let previousUmask: number;
beforeAll(async () => {
  // The most permissive umask: the modes must come from the code, not from the environment's umask.
  previousUmask = process.umask(0);
  webhook = await startWebhook();
});
afterAll(async () => {
  process.umask(previousUmask);
  await webhook.stop();
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('certificates generated at start-up into an empty CERT_DIR (umask 000)', () => {
  it.each(['tls.key', 'ca.key'])('%s is readable by its owner only (0600)', async (name) => {
    expect(await mode(join(webhook.certDir, name))).toBe(0o600);
  });

  it('the directory it created is private to its owner (0700)', async () => {
    expect(await mode(webhook.certDir)).toBe(0o700);
  });

  it.each(['tls.crt', 'ca.crt'])('%s (public) is not writable by others', async (name) => {
    expect((await mode(join(webhook.certDir, name))) & 0o022).toBe(0);
  });
});
