// The framework floor: the floor's work (read the body, JSON.parse it, answer a constant allowed AdmissionReview with
// the request's uid) done inside Fastify, set up as the webhook sets it up: its JSON body parser, body limit, and TLS
// and timeout options, all taken from the build (as the webhook reads them with no environment set), and the answer
// written straight to Node's response. What this costs over bench/floor-server.js is the framework's share of the
// webhook's distance from the floor; what the webhook costs over this is its own work (the decision, the patch, the
// answer, the audit line, the metrics).
//
// env: PORT (0 picks one; the bound port is printed on stdout as `listening <port>`), CERT_DIR (tls.crt, tls.key).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { serverSettings } from '../dist/config/server-settings.js';
import { BODY_LIMIT_BYTES } from '../dist/http/body-limit.js';
import { parseJsonBody } from '../dist/http/json-body-parser.js';
import { transportOptions } from '../dist/http/transport-options.js';

const certDir = process.env.CERT_DIR ?? './certs';
const settings = serverSettings({});
const pair = { key: readFileSync(join(certDir, 'tls.key'), 'utf8'), cert: readFileSync(join(certDir, 'tls.crt'), 'utf8') };
const app = Fastify({ ...transportOptions(settings, pair), logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
app.post('/mutate', (request, reply) => {
  const review = request.body;
  const answer = JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: true } });
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
  reply.raw.end(answer);
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
app.server.headersTimeout = settings.headersTimeoutMs;
process.stdout.write(`listening ${app.server.address().port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
