import { ApiError } from '../cluster/list-watch/api-transport.js';
import type { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import type { MigrationApi } from './run-migration.js';

type Json = Record<string, unknown>;

/** {@link MigrationApi} over the transport `report` and the server use (cluster access found the same way). */
export function httpsMigrationApi(transport: HttpsApiTransport, timeoutMs = 60_000): MigrationApi {
  const signal = (): AbortSignal => AbortSignal.timeout(timeoutMs);
  const asRecord = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
  return {
    async get(path) {
      try {
        return asRecord(await transport.getJson(path, signal()));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async list(path) {
      const items: Json[] = [];
      let next = '';
      do {
        const separator = path.includes('?') ? '&' : '?';
        const page = asRecord(await transport.getJson(`${path}${separator}limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`, signal()));
        for (const item of Array.isArray(page.items) ? page.items : []) items.push(asRecord(item));
        const metadata = asRecord(page.metadata);
        next = typeof metadata.continue === 'string' ? metadata.continue : '';
      } while (next !== '');
      return items;
    },
    async create(path, body) {
      return asRecord(await transport.send('POST', path, body, signal()));
    },
    async patch(path, patch) {
      return asRecord(await transport.send('PATCH', path, patch, signal(), 'application/merge-patch+json'));
    },
    async delete(path) {
      try {
        await transport.send('DELETE', path, undefined, signal());
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    },
  };
}
