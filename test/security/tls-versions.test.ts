import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, connect, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_HOST, startWebhook, type RunningWebhook } from '../hostile/support/running-webhook.js';

let webhook: RunningWebhook;
beforeAll(async () => {
  webhook = await startWebhook();
});
afterAll(() => webhook.stop());

/** Handshakes with exactly `version`, offering every cipher OpenSSL knows (so only the server can say no). */
function handshake(port: number, version: SecureVersion, ca?: string): Promise<{ protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1', port, servername: SERVICE_HOST, minVersion: version, maxVersion: version,
      ciphers: 'DEFAULT@SECLEVEL=0', ...(ca ? { ca } : { rejectUnauthorized: false }),
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol() });
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('TLS versions on the real listening server', () => {
  it('the probing client can speak TLS 1.1 at all (control: a server that allows it completes the handshake)', async () => {
    const dir = webhook.certDir;
    const control = createServer({
      key: await readFile(join(dir, 'tls.key')), cert: await readFile(join(dir, 'tls.crt')),
      minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0',
    }, (socket) => socket.end());
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    const port = (control.address() as { port: number }).port;
    expect(await handshake(port, 'TLSv1.1')).toEqual({ protocol: 'TLSv1.1' });
    await new Promise((resolve) => control.close(resolve));
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses a %s handshake with a protocol_version alert', async (version) => {
    const result = await handshake(webhook.port, version);
    expect(result).toEqual({ error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('completes a %s handshake, certificate verified against the generated CA', async (version) => {
    expect(await handshake(webhook.port, version, webhook.ca)).toEqual({ protocol: version });
  });
});
