import { connect, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';

/** What a client saw in one TLS handshake. */
export interface Handshake {
  readonly authorized: boolean;
  readonly authorizationError: string | undefined;
  readonly peer: X509Certificate;
  readonly peerCertificate: PeerCertificate;
}

/**
 * Opens a new TLS connection, completes the handshake and closes it. `ca` is pinned, and with `checkIdentity`
 * Node's default checkServerIdentity runs against `servername` (or `host` when no servername is given).
 */
export function handshake(options: {
  readonly port: number;
  readonly host?: string;
  readonly servername?: string;
  readonly ca: string | string[];
}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host ?? '127.0.0.1',
      port: options.port,
      ca: options.ca,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      // Verification result is read from the socket, so a wrong certificate is an observation, not a throw.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    socket.once('secureConnect', () => {
      // One call only: after getPeerX509Certificate(), Node 24's getPeerCertificate() returns {}.
      const peerCertificate = socket.getPeerCertificate();
      const result = {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError?.toString(),
        peerCertificate,
      };
      socket.end();
      if (peerCertificate.raw === undefined) reject(new Error('no peer certificate'));
      else resolve({ ...result, peer: new X509Certificate(peerCertificate.raw) });
    });
    socket.once('error', reject);
  });
}
