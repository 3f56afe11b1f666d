/**
 * A second mutating webhook, in the test process, that adds one label to every pod it sees (once: it is
 * idempotent itself). Registered to run after ours, its change makes the API server call ours again
 * (reinvocationPolicy IfNeeded): the way to prove our patch is applied exactly once.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueServingCertificate } from '../harness/pki.js';
import type { KubeObject } from './cluster.js';

/** The label the labeller adds. */
export const LABELLER_LABEL = 'e2e.wsw.dev/labelled';

/** What the labeller saw: one entry per call. */
export interface LabellerCall {
  readonly uid: string;
  readonly name: string;
  readonly patched: boolean;
}

/** A running labeller. */
export interface LabellingWebhook {
  readonly port: number;
  readonly caPem: string;
  readonly calls: LabellerCall[];
  close(): Promise<void>;
}

/** Starts the labeller on 127.0.0.1 with its own CA. */
export async function startLabellingWebhook(): Promise<LabellingWebhook> {
  const ca = createCertificateAuthority('wsw-e2e-labeller-ca');
  const serving = issueServingCertificate(ca, { hosts: ['127.0.0.1'] });
  const calls: LabellerCall[] = [];
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string; object: KubeObject } };
      const { uid, object } = review.request;
      const labels = object.metadata.labels;
      const key = LABELLER_LABEL.replace(/~/g, '~0').replace(/\//g, '~1');
      const patch =
        labels?.[LABELLER_LABEL] !== undefined
          ? []
          : labels
            ? [{ op: 'add', path: `/metadata/labels/${key}`, value: 'true' }]
            : [{ op: 'add', path: '/metadata/labels', value: { [LABELLER_LABEL]: 'true' } }];
      calls.push({ uid, name: object.metadata.name ?? object.metadata.generateName ?? '', patched: patch.length > 0 });
      const response: Record<string, unknown> = { uid, allowed: true };
      if (patch.length > 0) {
        response.patchType = 'JSONPatch';
        response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caPem: ca.certPem,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
