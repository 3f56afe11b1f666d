import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { fixture } from '../support/fixtures.js';
import { configFile, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { reviewFor } from '../support/test-app.js';

describe('the listening HTTPS server with generated certificates', () => {
  const certs = mkdtempSync(join(tmpdir(), 'wsw-generated-'));
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({
      CERT_DIR: certs,
      CONFIG_FILE: configFile('tmpfs: {projects: [/home/coder/app]}\naffinity: {mode: "off"}\n'),
      SHUTDOWN_DELAY_SECONDS: '0',
    });
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('generated a CA and a serving certificate, keys 0600', () => {
    for (const name of ['ca.crt', 'tls.crt', 'tls.key']) expect(statSync(join(certs, name)).isFile()).toBe(true);
    expect(statSync(join(certs, 'tls.key')).mode & 0o777).toBe(0o600);
  });

  it('answers a review over TLS verified against the generated CA (supertest)', async () => {
    const ca = readFileSync(join(certs, 'ca.crt'));
    const response = await request(`https://localhost:${server.port}`)
      .post('/mutate?timeout=5s')
      .ca(ca)
      .send(reviewFor(fixture('pods/coder-kubernetes-template.json')))
      .expect(200)
      .expect('content-type', /application\/json/);
    expect(response.body.response.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
    expect(response.body.response.patchType).toBe('JSONPatch');
    await request(`https://127.0.0.1:${server.port}`).get('/healthz').ca(ca).expect(200, { status: 'ok' });
  });

  it('logs to its stdout pipe through a second, non-blocking descriptor of that pipe, audit lines included', async () => {
    const fdDir = `/proc/${server.child.pid}/fd`;
    const stdoutPipe = readlinkSync(join(fdDir, '1'));
    expect(statSync(join(fdDir, '1')).isFIFO()).toBe(true);
    const nonBlocking = readdirSync(fdDir).filter((fd) => {
      // A descriptor the server closes between readdir and these reads (a finished connection) is not the pipe.
      const target = readOrUndefined(() => readlinkSync(join(fdDir, fd)));
      if (fd === '1' || target !== stdoutPipe) return false;
      const info = readOrUndefined(() => readFileSync(`/proc/${server.child.pid}/fdinfo/${fd}`, 'utf8'));
      const flags = info === undefined ? null : /^flags:\s+([0-7]+)$/m.exec(info);
      return flags !== null && (Number.parseInt(flags[1]!, 8) & constants.O_NONBLOCK) !== 0;
    });
    expect(nonBlocking).toHaveLength(1);
    // The review of the test before is logged through it (a partial batch goes out within a second).
    const deadline = Date.now() + 5_000;
    while (!server.output().includes('"uid":"705ab4f5-6393-11e8-b7cc-42010a800002"') && Date.now() < deadline) await sleep(50);
    expect(server.output()).toMatch(/"uid":"705ab4f5-6393-11e8-b7cc-42010a800002".*"msg":"admission review"/);
  });

  it('refuses a client that does not trust the CA', async () => {
    await expect(request(`https://localhost:${server.port}`).get('/healthz')).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});

/** `read()`, or undefined when the file vanished meanwhile (ENOENT). */
function readOrUndefined(read: () => string): string | undefined {
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
