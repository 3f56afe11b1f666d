import { describe, expect, it } from 'vitest';
import { serverSettings } from '../../src/config/server-settings.js';

describe('slow-client timeouts from the environment', () => {
  it('default to 10 s for the handshake and headers and 30 s for the whole request', () => {
    expect(serverSettings({})).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  });

  it('are read from HEADERS_TIMEOUT_SECONDS and REQUEST_TIMEOUT_SECONDS', () => {
    expect(serverSettings({ HEADERS_TIMEOUT_SECONDS: '0.5', REQUEST_TIMEOUT_SECONDS: '2' })).toMatchObject({ headersTimeoutMs: 500, requestTimeoutMs: 2_000 });
  });

  it.each([
    ['HEADERS_TIMEOUT_SECONDS', '0'], ['HEADERS_TIMEOUT_SECONDS', 'soon'], ['REQUEST_TIMEOUT_SECONDS', '-1'], ['REQUEST_TIMEOUT_SECONDS', '301'],
  ])('%s=%s stops start-up with a message naming the variable', (key, value) => {
    expect(() => serverSettings({ [key]: value })).toThrow(new RegExp(`^environment variable ${key}: "${value}"`));
  });

  it('a headers timeout longer than the request timeout is refused (the request timeout would never be the one to fire)', () => {
    expect(() => serverSettings({ HEADERS_TIMEOUT_SECONDS: '20', REQUEST_TIMEOUT_SECONDS: '10' })).toThrow(/HEADERS_TIMEOUT_SECONDS.*REQUEST_TIMEOUT_SECONDS/);
  });
});

describe('the memory limit from the environment', () => {
  it('is unset by default and read in bytes from MEMORY_LIMIT_BYTES (the downward API gives limits.memory in bytes)', () => {
    expect(serverSettings({}).memoryLimitBytes).toBeUndefined();
    expect(serverSettings({ MEMORY_LIMIT_BYTES: '268435456' }).memoryLimitBytes).toBe(268_435_456);
  });

  it.each(['256Mi', '1000', '-1'])('MEMORY_LIMIT_BYTES=%s stops start-up with a message naming the variable', (value) => {
    expect(() => serverSettings({ MEMORY_LIMIT_BYTES: value })).toThrow(new RegExp(`^environment variable MEMORY_LIMIT_BYTES: "${value}"`));
  });
});
