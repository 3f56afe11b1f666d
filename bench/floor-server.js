// The floor: the least an HTTPS admission webhook can do. node:https, read the body, JSON.parse it, answer a
// constant allowed AdmissionReview carrying the request's uid. No framework, no decision, no logging, no metrics.
// The webhook is measured against this in the same run, on the same core, with the same certificate.
//
// env: PORT (0 picks one; the bound port is printed on stdout as `listening <port>`), CERT_DIR (tls.crt, tls.key),
// FLOOR_PATCH (optional: a base64 JSONPatch put in every answer, so the cluster bench can tell the API server's cost
// of applying a patch from the webhook's cost of deciding it).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

const certDir = process.env.CERT_DIR ?? './certs';
const patch = process.env.FLOOR_PATCH;
const server = createServer(
  {
    key: readFileSync(join(certDir, 'tls.key')),
    cert: readFileSync(join(certDir, 'tls.crt')),
    minVersion: 'TLSv1.2',
    keepAliveTimeout: 65_000,
  },
  (request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let uid = '';
      let apiVersion = 'admission.k8s.io/v1';
      try {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        uid = review.request.uid;
        apiVersion = review.apiVersion;
      } catch {
        response.writeHead(400).end();
        return;
      }
      const body = JSON.stringify({ apiVersion, kind: 'AdmissionReview', response: patch ? { uid, allowed: true, patchType: 'JSONPatch', patch } : { uid, allowed: true } });
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  },
);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
