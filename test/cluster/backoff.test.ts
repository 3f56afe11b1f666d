import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/cluster/list-watch/backoff.js';

describe('Backoff', () => {
  it('doubles from 1 s up to the 30 s cap without jitter', () => {
    const backoff = new Backoff({ jitter: 0 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.attempts).toBe(8);
  });

  it('takes the jitter below the nominal delay, so the cap holds', () => {
    const low = new Backoff({ jitter: 0.3, random: () => 0.999999 });
    const high = new Backoff({ jitter: 0.3, random: () => 0 });
    for (let i = 0; i < 10; i++) {
      const a = low.next();
      const b = high.next();
      expect(a).toBeGreaterThanOrEqual(Math.round(b * 0.7) - 1);
      expect(b).toBeLessThanOrEqual(30_000);
    }
    expect(high.next()).toBe(30_000);
  });

  it('random delays stay within [d * (1 - jitter), d]', () => {
    const backoff = new Backoff();
    for (let i = 0; i < 200; i++) {
      const nominal = Math.min(30_000, 1_000 * 2 ** i);
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.7 - 1);
      expect(delay).toBeLessThanOrEqual(nominal);
    }
  });

  it('reset() starts over', () => {
    const backoff = new Backoff({ jitter: 0, initialMs: 10, maxMs: 100 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(10);
  });
});
