import type { SecureContextOptions } from 'node:tls';
import type { ServerSettings } from '../config/server-settings.js';
import type { TransportOptions } from './build-app.js';

/** TLS 1.2 is the floor (kube-apiserver speaks 1.2 and 1.3); set again on every reload, see CertificateReloader. */
export const TLS_OPTIONS: SecureContextOptions = { minVersion: 'TLSv1.2' };

/**
 * How the server listens: HTTPS with `pair`, and bounded time per connection and request so that slow clients
 * (slow-loris) cannot hold sockets open. Node's `headersTimeout` is not a Fastify option: set it on the listening
 * server (server.ts does).
 */
export function transportOptions(
  settings: Pick<ServerSettings, 'headersTimeoutMs' | 'requestTimeoutMs'>,
  pair: { readonly key: string; readonly cert: string },
): TransportOptions {
  return {
    https: {
      key: pair.key,
      cert: pair.cert,
      ...TLS_OPTIONS,
      // A client that opens a socket and never finishes the handshake holds it for tls' default 120 s otherwise.
      handshakeTimeout: settings.headersTimeoutMs,
      // Node enforces the headers and request deadlines only when it sweeps connections, every 30 s by default:
      // a 10 s headers timeout would really be up to 40 s.
      connectionsCheckingInterval: Math.min(1_000, settings.headersTimeoutMs / 2),
    },
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
  };
}
