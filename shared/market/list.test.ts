import { describe, expect, it } from 'vitest';
import { quotaPerServer } from './list.js';

describe('quotaPerServer', () => {
  it('is a k-th of the mail on each server, rounded up, at least 1 MB', () => {
    expect(quotaPerServer(10, 2)).toBe(5);
    expect(quotaPerServer(10, 3)).toBe(4);
    expect(quotaPerServer(10, 1)).toBe(10);
    expect(quotaPerServer(0.5, 4)).toBe(1);
    expect(quotaPerServer(10, 0)).toBe(10);
  });
});
