// The framework floor: the floor's work (read the body, JSON.parse it, answer a constant allowed AdmissionReview with
// the request's uid) done inside Fastify, set up as the webhook sets it up (src/http/build-app.ts, src/server.ts):
// the same plain JSON.parse content-type parser, body limit, TLS and timeout options (read from the build, as the
// webhook reads them with no environment set), and the answer written straight to Node's response. What this costs over bench/floor-server.js is the framework's share of the webhook's
// distance from the floor; what the webhook costs over this is its own work (the decision, the patch, the answer,
// the audit line, the metrics).
//
// env: PORT (0 picks one; the bound port is printed on stdout as `listening <port>`), CERT_DIR (tls.crt, tls.key).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { serverSettings } from '../dist/config/server-settings.js';
import { BODY_LIMIT_BYTES } from '../dist/http/body-limit.js';

const certDir = process.env.CERT_DIR ?? './certs';
const { headersTimeoutMs, requestTimeoutMs } = serverSettings({});
const app = Fastify({
  https: {
    key: readFileSync(join(certDir, 'tls.key')),
    cert: readFileSync(join(certDir, 'tls.crt')),
    minVersion: 'TLSv1.2',
    handshakeTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs / 2),
  },
  requestTimeout: requestTimeoutMs,
  connectionTimeout: 0,
  keepAliveTimeout: 65_000,
  logger: false,
  bodyLimit: BODY_LIMIT_BYTES,
  return503OnClosing: false,
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
  try {
    done(null, JSON.parse(body));
  } catch (error) {
    done(Object.assign(error, { statusCode: 400 }), undefined);
  }
});
app.post('/mutate', (request, reply) => {
  const review = request.body;
  const answer = JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: true } });
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
  reply.raw.end(answer);
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
app.server.headersTimeout = headersTimeoutMs;
process.stdout.write(`listening ${app.server.address().port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
