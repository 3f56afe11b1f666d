import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SERVICE_HOST, type RunningWebhook } from './running-webhook.js';

/** How a raw connection ended: after how long, and what the server sent before closing it. */
export interface Ending {
  readonly afterMs: number;
  readonly received: string;
}

/** Resolves when `socket` closes (by either side), with what it received; rejects after `limitMs`. */
export function ending(socket: Socket, startedAt: number, limitMs: number): Promise<Ending> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for more than ${limitMs} ms`));
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: Math.round(performance.now() - startedAt), received: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

/** A TCP connection to the webhook that never starts the TLS handshake. */
export function silentTcp(webhook: RunningWebhook): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: webhook.port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A TLS connection to the webhook (certificate verified), handshake done, nothing sent yet. */
export function openTls(webhook: RunningWebhook): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: webhook.port, servername: SERVICE_HOST, ca: webhook.ca }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `intervalMs` until it is all sent or the socket closes. */
export function drip(socket: Socket, text: string, intervalMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[index++] as string);
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}

/** An HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends one POST with `Connection: close` on an open socket and reads the response until the server closes:
 * HTTP spoken by hand, so that the connection is the caller's (already open, held as long as it likes).
 */
export function exchange(socket: Socket, path: string, body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
      resolve({ status, body: split === -1 ? '' : text.slice(split + 4) });
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
