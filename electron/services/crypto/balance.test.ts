import { describe, expect, it } from 'vitest';
import { Balancer } from './balance.js';

describe('Balancer', () => {
  it('splits evenly before anything is measured, on unit boundaries', () => {
    expect(new Balancer(2).split(1000, 64)).toEqual([0, 512, 1000]);
    expect(new Balancer(3).split(960, 64)).toEqual([0, 320, 640, 960]);
  });

  it('gives the worker with less owned work more shared work, so both finish together', () => {
    const b = new Balancer(2);
    // Worker 0 owns 3 stripes (0.3 ms per group), worker 1 owns 2 (0.2); shared work costs 1 ms per group on both.
    b.recordOwned(0, 300, 1000);
    b.recordOwned(1, 200, 1000);
    b.recordShared(0, 500, 500);
    b.recordShared(1, 500, 500);
    const [, mid, end] = b.split(100_000, 1);
    expect(end).toBe(100_000);
    const t0 = 0.3 * 100_000 + mid! * 1;
    const t1 = 0.2 * 100_000 + (100_000 - mid!) * 1;
    expect(Math.abs(t0 - t1)).toBeLessThanOrEqual(1);
    expect(mid).toBe(45_000);
  });

  it('accounts for a slower worker and never gives a negative range', () => {
    const b = new Balancer(2);
    b.recordShared(0, 100, 100);
    b.recordShared(1, 300, 100);
    expect(b.split(4000, 1)).toEqual([0, 3000, 4000]);
    b.recordOwned(0, 1e6, 10);
    const bounds = b.split(4096, 64);
    expect(bounds[1]).toBe(0);
    expect(bounds[2]).toBe(4096);
  });

  it('ignores measurements that carry no information', () => {
    const b = new Balancer(2);
    b.recordShared(0, 10, 0);
    b.recordShared(1, Number.NaN, 10);
    expect(b.split(128, 64)).toEqual([0, 64, 128]);
  });
});
