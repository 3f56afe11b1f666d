import { asObject, type JsonObject } from '../../kube/json-value.js';
import type { ApiTransport } from './api-transport.js';

/** Items per page: the API server's lists are chunked (limit/continue) so that no response holds them all. */
const PAGE_SIZE = 500;

/**
 * Every item of the list at `path`, page by page (`limit` and `continue`), as `report` and `migrate` read lists
 * (the server's caches list through the reflector, which also keeps the resourceVersion to watch from).
 */
export async function listAllPages(transport: Pick<ApiTransport, 'getJson'>, path: string, signal: AbortSignal): Promise<JsonObject[]> {
  const items: JsonObject[] = [];
  const separator = path.includes('?') ? '&' : '?';
  let next = '';
  do {
    const page = asObject(await transport.getJson(`${path}${separator}limit=${PAGE_SIZE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`, signal));
    for (const item of Array.isArray(page.items) ? page.items : []) items.push(asObject(item));
    const metadata = asObject(page.metadata);
    next = typeof metadata.continue === 'string' ? metadata.continue : '';
  } while (next !== '');
  return items;
}
