import { describe, expect, it } from 'vitest';
import { toHex } from '../../../shared/bytes/index.js';
import type { ChipClient, Verdict } from './client.js';
import {
  Wallet,
  WalletError,
  denominationLabel,
  formatAmount,
  lockerKeys,
  parseAmount,
  type CoinStore,
  type StoredCoin,
} from './wallet.js';

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

describe('a locker put that misses a majority', () => {
  it('keeps the coins: each server holds them under the old AN or the key, and the recovery keeps whichever', async () => {
    const n = 3;
    const an = Array.from({ length: n }, (_, i) => new Uint8Array(16).fill(i + 1));
    // What each server holds as the coin's AN; server 0 takes the put, 1 refuses it, 2 takes it but its answer is lost.
    const held = an.map((a) => toHex(a));
    const put: Verdict[] = ['p', 'f', 'n'];
    const client = {
      servers: n,
      lockerPutOn: async (i: number, _c: unknown, key: Uint8Array) => {
        if (put[i] !== 'f') held[i] = toHex(key);
        return put[i]!;
      },
      findOn: async (i: number, coins: { an: Uint8Array; pan: Uint8Array }[]) =>
        coins.map((c) => (held[i] === toHex(c.an) ? 'an' : held[i] === toHex(c.pan) ? 'pan' : 'neither')),
      pownOn: async (i: number, coins: { an: Uint8Array; pan: Uint8Array }[]) =>
        coins.map((c) => (held[i] === toHex(c.an) ? ((held[i] = toHex(c.pan)), 'p') : 'f')),
    } as unknown as ChipClient;
    const rows = new Map<string, StoredCoin>([
      ['c1', { denomination: 0, serial: 77, ans: an.map((a) => toHex(a)), pown: 'ppp', test: true, state: 'bank' }],
    ]);
    const store: CoinStore = {
      transaction: (fn) => fn(),
      newId: () => `c${rows.size + 1}`,
      all: () => [...rows].map(([id, coin]) => ({ id, coin })),
      put: (id, coin) => void rows.set(id, coin),
      remove: (id) => void rows.delete(id),
      addHistory: () => undefined,
      history: () => [],
    };
    const wallet = new Wallet(store, client);
    const code = new Uint8Array(16).fill(9);
    await expect(wallet.putInLocker(parseAmount('1'), code)).rejects.toMatchObject({ code: 'no_majority' });
    // Still ours, worth 1 CC, under the locker key on every server (only we know the code).
    expect(wallet.balance().total).toBe(parseAmount('1'));
    const keys = lockerKeys(code, n).map((k) => toHex(k));
    expect(held).toEqual(keys);
    expect(rows.get('c1')).toMatchObject({ state: 'bank', ans: keys });
  });
});
