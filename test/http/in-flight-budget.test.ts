import { afterEach, describe, expect, it } from 'vitest';
import { InFlightBudget } from '../../src/http/in-flight-budget.js';
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
});
