import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { apiErrorFromBody, type ApiTransport, type WatchHandlers } from './api-transport.js';
import { KEEP_ALIVE_MS } from '../credentials/access-helpers.js';
import type { ClusterAccess } from '../credentials/cluster-access.js';

/** Tuning of {@link HttpsApiTransport}. */
export interface HttpsApiTransportOptions {
  /** Client-side limit for one list page (the server answers a 500-object page in well under a second). */
  readonly listTimeoutMs?: number;
  /**
   * Largest list body accepted, in characters. A 500-object page is ~1-3 MB; 64 Mi only guards against a server
   * (or proxy) that ignores `limit` and would otherwise make this process buffer an unbounded body.
   */
  readonly maxBodyChars?: number;
}

const ERROR_BODY_CHARS = 64 * 1024;

/**
 * List and watch over plain node:http(s), parsed with JSON.parse: no typed ObjectSerializer (which builds class
 * instances per object) and no inactivity timer (client-node's `Watch` aborts a stream after 30 s without data,
 * which on a quiet cluster means a reconnect every 30 s for nodes and replicas). Stream liveness is left to the
 * server's `timeoutSeconds`, the reflector's deadline and TCP keep-alive, as in client-go.
 */
export class HttpsApiTransport implements ApiTransport {
  private readonly listTimeoutMs: number;
  private readonly maxBodyChars: number;

  constructor(
    private readonly access: ClusterAccess,
    options: HttpsApiTransportOptions = {},
  ) {
    this.listTimeoutMs = options.listTimeoutMs ?? 60_000;
    this.maxBodyChars = options.maxBodyChars ?? 64 * 1024 * 1024;
  }

  async getJson(path: string, signal: AbortSignal): Promise<unknown> {
    const response = await this.open(path, AbortSignal.any([signal, AbortSignal.timeout(this.listTimeoutMs)]));
    const ok = isSuccess(response.statusCode);
    const text = await readBody(response, ok ? this.maxBodyChars : ERROR_BODY_CHARS);
    if (!ok) throw apiErrorFromBody(response.statusCode ?? 0, parseOrUndefined(text));
    return JSON.parse(text) as unknown;
  }

  /**
   * A write (POST, PATCH, PUT, DELETE) or a GET with `body` as JSON; the parsed 2xx answer, else {@link ApiError}.
   * For the CLI's few writes (`migrate`); the server itself never writes.
   */
  async send(method: string, path: string, body: unknown, signal: AbortSignal, contentType = 'application/json'): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const response = await this.open(path, AbortSignal.any([signal, AbortSignal.timeout(this.listTimeoutMs)]), method, payload, contentType);
    const ok = isSuccess(response.statusCode);
    const text = await readBody(response, ok ? this.maxBodyChars : ERROR_BODY_CHARS);
    if (!ok) throw apiErrorFromBody(response.statusCode ?? 0, parseOrUndefined(text));
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  async watch(path: string, signal: AbortSignal, handlers: WatchHandlers): Promise<void> {
    const response = await this.open(path, signal);
    if (!isSuccess(response.statusCode)) {
      throw apiErrorFromBody(response.statusCode ?? 0, parseOrUndefined(await readBody(response, ERROR_BODY_CHARS)));
    }
    handlers.onOpen();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve();
        else reject(error);
      };
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        let start = 0;
        let newline: number;
        while ((newline = pending.indexOf('\n', start)) !== -1) {
          const line = pending.slice(start, newline);
          start = newline + 1;
          if (line.trim() === '') continue;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            // A torn line cannot be applied; ending the stream makes the reflector resume from its last good
            // resourceVersion rather than silently miss an event.
            response.destroy(new Error('unparsable watch event'));
            return;
          }
          try {
            handlers.onEvent(event);
          } catch (error) {
            response.destroy(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
        if (start > 0) pending = pending.slice(start);
      });
      response.on('end', () => { settle(); });
      response.on('error', (error) => { settle(error); });
      // A connection cut by the server process dying ends without 'end'; report it as the failure it is.
      response.on('close', () => { settle(response.complete ? undefined : new Error('watch connection closed early')); });
    });
  }

  private async open(path: string, signal: AbortSignal, method = 'GET', payload?: string, contentType?: string): Promise<IncomingMessage> {
    const { agent, headers } = await this.access.requestOptions();
    const url = new URL(this.access.server + path);
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent,
          headers: {
            ...headers, Accept: 'application/json', 'User-Agent': 'workspace-storage-webhook',
            ...(payload === undefined ? {} : { 'Content-Type': contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
          },
          signal,
        },
        resolve,
      );
      outgoing.on('socket', (socket) => socket.setKeepAlive(true, KEEP_ALIVE_MS));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/**
 * The body as a string. Chunks are decoded and joined as V8 strings (flattened once by JSON.parse) rather than
 * collected as Buffers and concatenated: MB-sized Buffers live outside the V8 heap, in malloc arenas that glibc
 * is slow to give back, which showed as lasting RSS after the initial lists.
 */
function readBody(response: IncomingMessage, maxChars: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > maxChars) response.destroy(new Error(`response body larger than ${maxChars} characters`));
    });
    response.on('end', () => { resolve(text); });
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(new Error('connection closed before the response was complete'));
    });
  });
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
