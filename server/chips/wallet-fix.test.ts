// The wallet's healing against scripted coin servers: which coins it fixes where, tickets only
// from servers a coin passed on and naming the fracked one, the new AN stored before the fix
// goes out, and kept only where the server answered that it fixed the coin.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../shared/bytes/index.js';
import { fixAn, type CoinAn } from '../../shared/chips/index.js';
import type { CoinRef } from '../../shared/raida/index.js';
import type { ChipClient, Sealer, Verdict } from './client.js';
import { Wallet, type CoinStore, type HistoryEntry, type StoredCoin } from './wallet.js';

class MemoryStore implements CoinStore {
  readonly rows = new Map<string, StoredCoin>();
  private id = 0;
  transaction<T>(fn: () => T): T {
    return fn();
  }
  newId(): string {
    return String(++this.id);
  }
  all() {
    return [...this.rows].map(([id, coin]) => ({ id, coin: structuredClone(coin) }));
  }
  put(id: string, coin: StoredCoin): void {
    this.rows.set(id, structuredClone(coin));
  }
  remove(id: string): void {
    this.rows.delete(id);
  }
  addHistory(_e: HistoryEntry): void {}
  history(): HistoryEntry[] {
    return [];
  }
}

const hex = () => toHex(new Uint8Array(randomBytes(16)));
const coin = (serial: number, pown: string): StoredCoin => ({
  denomination: 0,
  serial,
  ans: Array.from({ length: 5 }, hex),
  pown,
  test: true,
  state: 'bank',
});

describe('wallet fix', () => {
  it('heals each fracked server with tickets from the others and keeps the new AN only where it was fixed', async () => {
    const store = new MemoryStore();
    store.put('a', coin(1, 'ppfpp')); // fracked on 2
    store.put('b', coin(2, 'pppnp')); // no answer from 3, nothing in flight
    store.put('c', coin(3, 'ppfpp'));
    store.put('d', { ...coin(4, 'ppnpp'), pans: [null, null, hex(), null, null] }); // a pown in flight: find's, not fix's
    store.put('e', coin(5, 'pfffp')); // no majority: not ours to heal
    store.put('f', coin(6, 'ppppp'));
    const asked: { on: number; target: number; serials: number[] }[] = [];
    const fixes: { on: number; serials: number[]; pg: Uint8Array; tickets: number[]; pansAtSend: (string | null)[] }[] = [];
    const client = {
      servers: 5,
      endpoints: Array.from({ length: 5 }, (_, i) => ({ host: 'x', port: 1, raidaId: i })),
      ticketOn: async (j: number, target: number, coins: CoinAn[], _seal: Sealer) => {
        asked.push({ on: j, target, serials: coins.map((c) => c.serial) });
        // server 4 vouches for nothing
        return j === 4
          ? { verdicts: coins.map((): Verdict => 'f'), ticket: null }
          : { verdicts: coins.map((): Verdict => 'p'), ticket: 100 + j };
      },
      fixOn: async (i: number, coins: CoinRef[], pg: Uint8Array, tickets: number[]) => {
        fixes.push({
          on: i,
          serials: coins.map((c) => c.serial),
          pg,
          tickets,
          pansAtSend: coins.map((c) => store.all().find((x) => x.coin.serial === c.serial)!.coin.pans?.[i] ?? null),
        });
        // server 2 fixes coin 1, refuses coin 3; server 3 does not answer
        return i === 2 ? coins.map((c): Verdict => (c.serial === 1 ? 'p' : 'f')) : coins.map((): Verdict => 'n');
      },
    } as unknown as ChipClient;
    const w = new Wallet(store, client);
    expect(w.hasFracked()).toBe(true);
    expect(await w.fix()).toEqual({ fixed: 1, failed: 2 });

    // tickets asked only of servers each coin passed on, each naming the fracked server
    expect(
      asked
        .filter((a) => a.target === 2)
        .map((a) => a.on)
        .sort(),
    ).toEqual([0, 1, 3, 4]);
    expect(
      asked
        .filter((a) => a.target === 3)
        .map((a) => a.on)
        .sort(),
    ).toEqual([0, 1, 2, 4]);
    for (const a of asked) expect(a.serials).not.toContain(4);
    for (const a of asked) expect(a.serials).not.toContain(5);
    // the fix carries every ticket granted, in its server's slot, and no coin beyond those fracked there
    const on2 = fixes.find((f) => f.on === 2)!;
    expect(on2.serials).toEqual([1, 3]);
    expect(on2.tickets.slice(0, 5)).toEqual([100, 101, 0, 103, 0]);
    expect(on2.tickets).toHaveLength(25);
    // the new AN was stored as the proposed AN before the fix went out
    expect(on2.pansAtSend).toEqual([
      toHex(fixAn(2, { denomination: 0, serial: 1 }, on2.pg)),
      toHex(fixAn(2, { denomination: 0, serial: 3 }, on2.pg)),
    ]);
    const on3 = fixes.find((f) => f.on === 3)!;
    expect(on3.serials).toEqual([2]);

    const now = (s: number) => store.all().find((x) => x.coin.serial === s)!.coin;
    // fixed: the AN for server 2 is the new one, the pown string whole, nothing in flight
    expect(now(1).ans[2]).toBe(toHex(fixAn(2, { denomination: 0, serial: 1 }, on2.pg)));
    expect(now(1).pown).toBe('ppppp');
    expect(now(1).pans?.[2] ?? null).toBeNull();
    // refused: the AN stays, still fracked
    expect(now(3).ans[2]).toBe(store.rows.get('c')!.ans[2]);
    expect(now(3).pown).toBe('ppfpp');
    expect(now(3).pans?.[2] ?? null).toBeNull();
    // no answer: the AN stays, the new one waits as a proposed AN for find to settle
    expect(now(2).pown).toBe('pppnp');
    expect(now(2).pans?.[3]).toBe(toHex(fixAn(3, { denomination: 0, serial: 2 }, on3.pg)));
    // untouched: the coin in flight, the one without a majority, the whole one
    expect(now(4).pans?.[2]).toBe(store.rows.get('d')!.pans![2]);
    expect(now(5).pown).toBe('pfffp');
    expect(now(6).pown).toBe('ppppp');
  });

  it('does not fix a coin too few servers vouch for', async () => {
    const store = new MemoryStore();
    store.put('a', coin(1, 'ppfpf'));
    store.put('z', coin(9, 'ppppp')); // to seal with
    let fixed = 0;
    const client = {
      servers: 5,
      endpoints: Array.from({ length: 5 }, (_, i) => ({ host: 'x', port: 1, raidaId: i })),
      // server 1 grants no ticket: two vouchers left of the three a majority needs
      ticketOn: async (j: number, _t: number, coins: CoinAn[]) =>
        j === 1 ? { verdicts: coins.map((): Verdict => 'n'), ticket: null } : { verdicts: coins.map((): Verdict => 'p'), ticket: 7 },
      fixOn: async () => {
        fixed++;
        return ['p'];
      },
    } as unknown as ChipClient;
    expect(await new Wallet(store, client).fix()).toEqual({ fixed: 0, failed: 2 });
    expect(fixed).toBe(0);
    expect(store.rows.get('a')!.pans).toBeUndefined();
  });
});
