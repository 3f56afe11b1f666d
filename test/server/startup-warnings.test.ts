import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { configFile, startServerProcess } from '../support/server-process.js';

/** The pino lines the server wrote before it was stopped. */
async function startUpLines(config: string): Promise<Record<string, unknown>[]> {
  const server = await startServerProcess({
    CERT_DIR: mkdtempSync(join(tmpdir(), 'wsw-startup-')),
    CONFIG_FILE: configFile(config),
    SHUTDOWN_DELAY_SECONDS: '0',
  });
  // Lines leave in batches: a partial batch within a second.
  const deadline = Date.now() + 5_000;
  while (!server.output().includes('serving admission reviews') && Date.now() < deadline) await sleep(50);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  return server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('start-up warnings', () => {
  it('one warning when tmpfs.projects is empty, naming the key and the annotation', async () => {
    const lines = await startUpLines('affinity: {mode: "off"}\n');
    const warnings = lines.filter((line) => typeof line.msg === 'string' && line.msg.includes('tmpfs.projects is empty'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ key: 'tmpfs.projects', level: 'warn', service: 'workspace-storage-webhook' });
    expect(warnings[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(warnings[0]!.msg).toMatch(/workspace-storage\.dev\/projects/);
  });

  it('none when projects are configured', async () => {
    const lines = await startUpLines('tmpfs: {projects: [/home/coder/app]}\naffinity: {mode: "off"}\n');
    expect(lines.some((line) => typeof line.msg === 'string' && line.msg.includes('tmpfs.projects is empty'))).toBe(false);
    expect(lines.find((line) => line.msg === 'serving admission reviews')).toMatchObject({ level: 'info' });
    // Every line the server writes has a level name and an ISO-8601 time.
    expect(lines.every((line) => typeof line.level === 'string' && typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time)))).toBe(true);
  });
});
