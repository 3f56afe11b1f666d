/**
 * The two calls a reflector makes to the API server. An interface so that reflector tests can script the server
 * (pages, watch events, 404/410, dropped connections) without sockets.
 */
export interface ApiTransport {
  /** GET `path` (path and query) and return the parsed JSON body of a 2xx answer; otherwise throw {@link ApiError}. */
  getJson(path: string, signal: AbortSignal): Promise<unknown>;
  /**
   * GET a watch stream at `path`: `onOpen` once the server accepted it (2xx), then `onEvent` with each parsed event
   * line (`{type, object}`). Resolves when the server ends the stream; rejects with {@link ApiError} for a non-2xx
   * answer, or with the network error.
   */
  watch(path: string, signal: AbortSignal, handlers: WatchHandlers): Promise<void>;
}

/** Callbacks of {@link ApiTransport.watch}. */
export interface WatchHandlers {
  onOpen(): void;
  onEvent(event: unknown): void;
}

/** A non-2xx answer of the API server, with the `reason` and `message` of its Status body when it sent one. */
export class ApiError extends Error {
  constructor(
    /** HTTP status code (404, 403, 410, ...). */
    readonly status: number,
    /** The Status `reason` (`NotFound`, `Forbidden`, `Expired`, `Gone`...), or "" when the body was not a Status. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Builds an {@link ApiError} from a status code and a response body that may be a Kubernetes Status. */
export function apiErrorFromBody(status: number, body: unknown): ApiError {
  const statusObject = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const reason = typeof statusObject.reason === 'string' ? statusObject.reason : '';
  const message = typeof statusObject.message === 'string' ? statusObject.message : `HTTP ${status}`;
  // Status messages name the resource, never object contents; cap them so a log line stays a line.
  return new ApiError(status, reason, message.length > 200 ? `${message.slice(0, 200)}...` : message);
}
