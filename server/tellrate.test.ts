import { describe, expect, it } from 'vitest';
import { KeyedRate, tellRates } from './tellrate.js';

describe('Tell budgets (finding 5)', () => {
  it('gives each key a minute’s worth, refills it evenly, and keeps keys apart', () => {
    const r = new KeyedRate(60);
    let t = 1_000_000;
    for (let i = 0; i < 60; i++) expect(r.take('a', t)).toBe(true);
    expect(r.take('a', t)).toBe(false);
    expect(r.take('b', t)).toBe(true); // another sender is not held back
    t += 999;
    expect(r.take('a', t)).toBe(false); // refused tries earn nothing
    t += 1;
    expect(r.take('a', t)).toBe(true); // one a second
    expect(r.take('a', t)).toBe(false);
    t += 10 * 60_000;
    for (let i = 0; i < 60; i++) expect(r.take('a', t)).toBe(true); // never more than the bucket
    expect(r.take('a', t)).toBe(false);
  });

  it('stays bounded: a flood of new keys drops refilled buckets first, then the oldest', () => {
    const r = new KeyedRate(2, 3);
    const t = 5_000;
    expect(r.take('busy', t)).toBe(true);
    expect(r.take('busy', t)).toBe(true);
    for (const k of ['x', 'y', 'z', 'w']) expect(r.take(k, t)).toBe(true);
    // 'busy' was the least recently used and went: it starts afresh.
    expect(r.take('busy', t)).toBe(true);
  });

  it('reads the two budgets from the limits', () => {
    const rates = tellRates({ tellsPerSenderPerMinute: 1, tellsPerAddressPerMinute: 2 });
    expect(rates.sender.take('0.1', 0)).toBe(true);
    expect(rates.sender.take('0.1', 0)).toBe(false);
    expect(rates.address.take('127.0.0.1', 0)).toBe(true);
    expect(rates.address.take('127.0.0.1', 0)).toBe(true);
    expect(rates.address.take('127.0.0.1', 0)).toBe(false);
  });
});
