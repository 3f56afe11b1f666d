import { afterEach, describe, expect, it } from 'vitest';
import { InFlightBudget, LARGE_BODY_BYTES, memoryGate } from '../../src/http/in-flight-budget.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor, testApp } from '../support/test-app.js';

describe('InFlightBudget', () => {
  it('admits while the bytes fit, always admits one when nothing is in flight, and gives back on release', () => {
    const budget = new InFlightBudget(100);
    expect(budget.tryTake(500)).toBe(true); // alone: a body of the limit always fits
    expect(budget.tryTake(1)).toBe(false);
    budget.release(500);
    expect(budget.tryTake(60)).toBe(true);
    expect(budget.tryTake(40)).toBe(true);
    expect(budget.tryTake(1)).toBe(false);
    budget.charge(10); // an answer being written counts, fitting or not
    expect(budget.bytes).toBe(110);
    budget.release(110);
    expect(budget.bytes).toBe(0);
  });

  it('with a memory gate, admits a large body only while what is charged plus its cost and that of those in flight fits', () => {
    let used = 40 * 1048576;
    const gate = memoryGate(256 * 1048576, () => used); // ceiling 230.4 MiB
    const budget = new InFlightBudget(8 * 1048576, gate);
    const large = 4 * 1048576; // costed at 160 MiB
    expect(budget.tryTake(large)).toBe(true); // 40 + 160 <= 230.4
    budget.release(large);
    used = 80 * 1048576;
    expect(budget.tryTake(large)).toBe(false); // 80 + 160 > 230.4, even with nothing in flight
    expect(budget.tryTake(LARGE_BODY_BYTES - 1)).toBe(true); // small bodies: the byte budget alone
    budget.release(LARGE_BODY_BYTES - 1);
    used = 40 * 1048576;
    expect(budget.tryTake(1048576)).toBe(true); // 40 + 40
    expect(budget.tryTake(4.5 * 1048576)).toBe(false); // 40 + 40 x (1 + 4.5) = 260: the byte budget had room
    expect(budget.tryTake(3 * 1048576)).toBe(true); // 40 + 40 x (1 + 3) = 200
  });

});

describe('reviews past the in-flight budget', () => {
  const apps: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const review = JSON.stringify(reviewFor(fixture('pods/coder-kubernetes-template.json')));
  const post = (app: ReturnType<typeof testApp>['app']) =>
    app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload: review });

  it('one after another, every review is answered: each gives its bytes back when its response closes', async () => {
    const { app } = testApp({ inFlightBytes: Buffer.byteLength(review) });
    apps.push(app);
    for (let index = 0; index < 20; index++) expect((await post(app)).statusCode).toBe(200);
  });

  it('at once, those past the budget get 429 with Retry-After and a JSON reason, counted in invalid_requests_total', async () => {
    const { app, metrics } = testApp({ inFlightBytes: 2 * Buffer.byteLength(review) });
    apps.push(app);
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(app)));
    const shed = answers.filter((answer) => answer.statusCode === 429);
    expect(answers.filter((answer) => answer.statusCode === 200).length).toBeGreaterThanOrEqual(1);
    expect(shed.length).toBeGreaterThanOrEqual(1);
    expect(shed.length + answers.filter((answer) => answer.statusCode === 200).length).toBe(10);
    expect(shed[0]!.headers['retry-after']).toBe('1');
    expect(shed[0]!.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^busy: /) });
    expect(metrics.render()).toMatch(new RegExp(`invalid_requests_total\\{code="429"\\} ${shed.length}\\n`));
    // Once they are answered the budget is free again.
    expect((await post(app)).statusCode).toBe(200);
  });

  it('a large review past the memory ceiling is answered 429 at once, its body read and dropped, not a reset', async () => {
    const { app } = testApp({ memoryLimitBytes: 64 * 1048576 });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const pod = fixture<{ metadata: { annotations?: Record<string, string> } }>('pods/coder-kubernetes-template.json');
    pod.metadata.annotations = { blob: 'x'.repeat(2 * 1048576) }; // costed at 80 MiB: past 90% of 64 MiB
    const body = JSON.stringify(reviewFor(pod as never));
    const address = app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/mutate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    // The same connection's next review: the small one is held by the byte budget alone.
    expect((await fetch(`http://127.0.0.1:${address.port}/mutate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: review })).status).toBe(200);
  });
});
