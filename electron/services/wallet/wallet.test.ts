import { describe, expect, it } from 'vitest';
import { toHex } from '../../../shared/bytes/index.js';
import { WalletError, denominationLabel, formatAmount, lockerKeys, parseAmount } from './wallet.js';

describe('wallet amounts and locker keys', () => {
  it('reads and writes CC amounts exactly in 1e-8 units', () => {
    expect(parseAmount('12.3')).toBe(1_230_000_000n);
    expect(parseAmount('0.00000001')).toBe(1n);
    expect(parseAmount('100')).toBe(10_000_000_000n);
    expect(formatAmount(1_230_000_000n)).toBe('12.3');
    expect(formatAmount(1n)).toBe('0.00000001');
    expect(denominationLabel(-2)).toBe('0.01');
    for (const bad of ['0', '-1', '1.123456789', 'abc', '', '1e3']) expect(() => parseAmount(bad)).toThrow(WalletError);
  });

  it('derives per-server locker keys as the running client does (MD5 of index and code hex, FF FF FF FF)', () => {
    const keys = lockerKeys(
      Uint8Array.from({ length: 16 }, (_, i) => i),
      2,
    );
    expect(keys.map((k) => toHex(k))).toEqual(['08487728cf55e0b24cebe2d9ffffffff', '91cab25e141f207dcc200797ffffffff']);
  });
});
