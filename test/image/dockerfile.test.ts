import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * No container engine runs on the build machines, so the Dockerfile is checked by reading it: the essentials an
 * operator relies on (multi-stage, Node 24 runtime, non-root numeric user, production dependencies only,
 * ENTRYPOINT the server).
 */
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const instructions = dockerfile
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
  .map((line) => line.trim());
const stages = instructions.filter((line) => line.startsWith('FROM '));
const runtimeStart = instructions.indexOf(stages[stages.length - 1]!);
const runtime = instructions.slice(runtimeStart);

describe('Dockerfile', () => {
  it('is multi-stage with a Node 24 slim or distroless runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.at(-1)).toMatch(/^FROM \S*(distroless\/nodejs24|node:24[-\w.]*slim)\S* AS runtime$/);
    expect(instructions.some((line) => /RUN npm run build|RUN npx tsc/.test(line))).toBe(true);
  });

  it('runs as a non-root numeric user', () => {
    const user = runtime.find((line) => line.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/);
  });

  it('copies only production dependencies and the build output into the runtime', () => {
    const copies = runtime.filter((line) => line.startsWith('COPY '));
    const nodeModules = copies.filter((line) => line.includes('node_modules'));
    expect(nodeModules).toHaveLength(1);
    const fromStage = /--from=(\S+)/.exec(nodeModules[0]!)?.[1];
    const stageStart = instructions.findIndex((line) => new RegExp(`^FROM .* AS ${fromStage}$`).test(line));
    const stageEnd = instructions.findIndex((line, index) => index > stageStart && line.startsWith('FROM '));
    const stage = instructions.slice(stageStart, stageEnd);
    expect(stage.some((line) => /npm ci .*--omit=dev/.test(line))).toBe(true);
    expect(copies.some((line) => /COPY (\. |src|test|bench)/.test(line))).toBe(false);
  });

  it('has the server as ENTRYPOINT', () => {
    expect(runtime.find((line) => line.startsWith('ENTRYPOINT'))).toMatch(/dist\/cli\/main\.js/);
    expect(runtime.find((line) => line.startsWith('CMD'))).toMatch(/serve/);
  });
});
