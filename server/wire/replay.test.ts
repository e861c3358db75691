import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay.js';

describe('ReplayGuard', () => {
  it('refuses a repeat within the window, admits it after, and stays bounded', () => {
    let t = 0;
    const g = new ReplayGuard(1000, 3, () => t);
    const n = new Uint8Array(8);
    const c = (i: number) => new Uint8Array(16).fill(i);
    expect(g.admit(n, c(1))).toBe(true);
    expect(g.admit(n, c(1))).toBe(false);
    t = 1500;
    expect(g.admit(n, c(1))).toBe(true);
    for (let i = 2; i < 10; i++) expect(g.admit(n, c(i))).toBe(true);
    expect(g.size).toBeLessThanOrEqual(3);
    expect(g.admit(n, c(9))).toBe(false);
  });
});
