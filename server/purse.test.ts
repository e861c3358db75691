// The operator's cut is exact on integers, and a network file is read strictly.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cutBasisPoints, networkEndpoints, operatorCut } from './purse.js';
import { tempDir } from '../tests/support/tmp.js';

const tmp = tempDir('qmail-purse-');
afterAll(() => tmp.remove());

describe('operator cut', () => {
  it('is whole basis points of the amount, rounded down, so the rest is never short', () => {
    expect(cutBasisPoints(0.1)).toBe(1000n);
    expect(cutBasisPoints(0.12345)).toBe(1235n);
    expect(operatorCut(100_000_000n, 0.1)).toBe(10_000_000n);
    expect(operatorCut(7n, 0.1)).toBe(0n); // 0.7 units: nothing
    expect(operatorCut(33_333_333n, 0.25)).toBe(8_333_333n);
    expect(operatorCut(123n, 0)).toBe(0n);
    expect(operatorCut(123n, 1)).toBe(123n);
    for (let units = 0n; units < 2000n; units += 7n) {
      const cut = operatorCut(units, 0.37);
      expect(cut * 10_000n <= units * 3700n && (cut + 1n) * 10_000n > units * 3700n).toBe(true);
    }
    expect(() => cutBasisPoints(1.5)).toThrow(RangeError);
    expect(() => cutBasisPoints(Number.NaN)).toThrow(RangeError);
  });
});

describe('network file', () => {
  it('lists the coin servers by RAIDA index, each once', () => {
    const file = join(tmp.path, 'network.json');
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { host: 'b', port: 2, raidaId: 1 },
          { host: 'a', port: 1, raidaId: 0 },
        ],
      }),
    );
    expect(networkEndpoints(file)).toEqual([
      { host: 'a', port: 1, raidaId: 0 },
      { host: 'b', port: 2, raidaId: 1 },
    ]);
    writeFileSync(file, JSON.stringify({ nodes: [{ host: 'a', port: 1, raidaId: 1 }] }));
    expect(() => networkEndpoints(file)).toThrow(/RAIDA indexes/);
    writeFileSync(file, JSON.stringify({ nodes: [] }));
    expect(() => networkEndpoints(file)).toThrow();
  });
});
