// The wallet (the app's main process, and a beacon's purse): coins held, their value by denomination, import and export of
// coin files, pown on receipt, change, and recovery of powns whose answers were lost.
// Pown on receipt: a fresh random PAN per server (node:crypto), the coin stored with its PANs
// before anything is sent (a crash leaves it recoverable), and the local ANs replaced only
// for a coin a majority of the servers passed. Healing: a coin held by a majority but fracked
// on a server (its AN there unknown to us) is fixed there with tickets from the others.
//
// Longer than 400 lines on purpose: pown, change, lockers and recovery all move the same
// coins under the same store-before-send rule; split, each part would re-state it.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { fromHex, toHex } from '../../shared/bytes/index.js';
import {
  CHANGE_COUNT,
  FIX_TICKET_SLOTS,
  MAX_COINS_PER_REQUEST,
  encodeCoinFile,
  fixAn,
  importCoins,
  majority,
  makeCoinFile,
  type CoinAn,
} from '../../shared/chips/index.js';
import { denominationUnits, type CoinRef } from '../../shared/raida/index.js';
import type { ChipClient, FindVerdict, Sealer, Verdict } from './client.js';

/** A coin as stored: ANs (and proposed ANs of a pown in flight) as hex, one per server. */
export interface StoredCoin {
  denomination: number;
  serial: number;
  ans: string[];
  /** Per server: the PAN sent in a pown whose answer never came (resolved later by find). */
  pans?: (string | null)[];
  /** Per server: p pass, f fail, n no answer, u untried. */
  pown: string;
  /** Coins from a test network's mint: test money, never real value. */
  test: boolean;
  /** bank: ours (a majority passed); limbo: a pown in flight or undecided; locker: put (or going) in the locker `locker`. */
  state: 'bank' | 'limbo' | 'locker';
  /** The locker's code (hex) while the coin is in, or on its way into, a locker we filled. */
  locker?: string;
}

export interface HistoryEntry {
  at: number;
  kind: 'received' | 'imported' | 'minted' | 'rejected' | 'exported' | 'change' | 'recovered' | 'locker';
  /** Value in 1e-8 CC units (a decimal string: JSON has no bigint). */
  units: string;
  coins: number;
  test?: boolean;
  note?: string;
}

/**
 * Where a wallet keeps its coins: the app's sealed profile tables (electron/services/wallet/store.ts),
 * or a beacon's purse (server/purse.ts). Writes inside `transaction` land together or not at all.
 */
export interface CoinStore {
  transaction<T>(fn: () => T): T;
  newId(): string;
  all(): { id: string; coin: StoredCoin }[];
  put(id: string, coin: StoredCoin): void;
  remove(id: string): void;
  addHistory(e: HistoryEntry): void;
  history(limit?: number): HistoryEntry[];
}

export class WalletError extends Error {
  override readonly name = 'WalletError';
  constructor(
    readonly code: 'insufficient' | 'no_change' | 'no_majority' | 'bad_amount' | 'empty',
    message: string,
  ) {
    super(message);
  }
}

export interface Balance {
  /** 1e-8 CC units. */
  total: bigint;
  /** Coins held, by denomination code. */
  byDenomination: Map<number, number>;
  /** Of the total, test money from a test network's mint. */
  test: bigint;
  /** Coins whose pown is undecided (not counted in the total). */
  limbo: number;
}

export interface ReceiveResult {
  accepted: number;
  rejected: number;
  limbo: number;
  /** Value accepted, 1e-8 CC units. */
  units: bigint;
}

const rand16 = (): Uint8Array => new Uint8Array(randomBytes(16));

/**
 * The locker key on each server, from the locker's 16-byte code as the running client derives
 * it: MD5 of the server's index and the code's hex, last four bytes FF (a locker key's mark).
 */
export function lockerKeys(code: Uint8Array, servers: number): Uint8Array[] {
  return Array.from({ length: servers }, (_, i) => {
    const k = new Uint8Array(
      createHash('md5')
        .update(`${i}${toHex(code)}`)
        .digest(),
    );
    k.set([0xff, 0xff, 0xff, 0xff], 12);
    return k;
  });
}
const refKey = (c: CoinRef) => `${c.denomination}.${c.serial}`;
const count = (v: readonly string[], ch: string) => v.filter((x) => x === ch).length;

/** CC as a decimal string ("12.5") to 1e-8 units; at most 8 decimals, positive. */
export function parseAmount(s: string): bigint {
  const m = /^(\d{1,15})(?:\.(\d{1,8}))?$/.exec(s.trim());
  if (!m) throw new WalletError('bad_amount', `"${s}" is not an amount in CC (up to 8 decimals)`);
  const units = BigInt(m[1]!) * 100_000_000n + BigInt((m[2] ?? '').padEnd(8, '0') || '0');
  if (units <= 0n) throw new WalletError('bad_amount', 'the amount must be more than 0');
  return units;
}

/** 1e-8 units as CC, exactly (trailing zeros dropped). */
export function formatAmount(units: bigint): string {
  const whole = units / 100_000_000n;
  const frac = (units % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** A denomination code as the CC value it stands for ("0.01", "1", "100"). */
export function denominationLabel(d: number): string {
  return formatAmount(denominationUnits(d));
}

export class Wallet {
  constructor(
    private readonly store: CoinStore,
    private readonly client: ChipClient,
    private readonly now: () => number = Date.now,
    /** Our mailbox's AN on server i, to seal with where we hold no coin yet. */
    private readonly mailbox: (i: number) => Sealer | undefined = () => undefined,
  ) {}

  private get n(): number {
    return this.client.servers;
  }

  coins(): { id: string; coin: StoredCoin }[] {
    return this.store.all();
  }

  history(limit?: number): HistoryEntry[] {
    return this.store.history(limit);
  }

  balance(): Balance {
    const b: Balance = { total: 0n, byDenomination: new Map(), test: 0n, limbo: 0 };
    for (const { coin } of this.store.all()) {
      if (coin.state !== 'bank') {
        b.limbo++;
        continue;
      }
      const v = denominationUnits(coin.denomination);
      b.total += v;
      if (coin.test) b.test += v;
      b.byDenomination.set(coin.denomination, (b.byDenomination.get(coin.denomination) ?? 0) + 1);
    }
    return b;
  }

  /** A coin of ours that passed on server i, to seal requests there with. */
  private sealerFor(i: number, except: ReadonlySet<string> = new Set()): Sealer | undefined {
    const hit = this.store.all().find(({ coin }) => coin.state === 'bank' && coin.pown[i] === 'p' && !except.has(refKey(coin)));
    return hit ? { denomination: hit.coin.denomination, serial: hit.coin.serial, an: fromHex(hit.coin.ans[i]!) } : this.mailbox(i);
  }

  /**
   * Take ownership of coins given to us (a file, a locker, the mint): each is stored with
   * fresh PANs first, then powned on every server at once; a majority of passes makes it
   * ours, a majority of fails makes it counterfeit (dropped), anything else stays in limbo.
   */
  async receive(
    coins: readonly (CoinRef & { ans: Uint8Array[] })[],
    o: {
      kind: HistoryEntry['kind'];
      test?: boolean;
      note?: string;
      via?: (i: number, batch: (CoinAn & { pan: Uint8Array })[], seal: Sealer | undefined) => Promise<Verdict[]>;
    },
  ): Promise<ReceiveResult> {
    const held = new Set(this.store.all().map(({ coin }) => refKey(coin)));
    const fresh = coins.filter((c) => !held.has(refKey(c)));
    const result: ReceiveResult = { accepted: 0, rejected: coins.length - fresh.length, limbo: 0, units: 0n };
    if (fresh.length === 0) return result;
    const batch = fresh.map((c) => ({
      id: this.store.newId(),
      ref: { denomination: c.denomination, serial: c.serial },
      ans: Array.from({ length: this.n }, (_, i) => c.ans[i] ?? new Uint8Array(16)),
      pans: Array.from({ length: this.n }, rand16),
    }));
    this.store.transaction(() => {
      for (const b of batch) {
        this.store.put(b.id, {
          ...b.ref,
          ans: b.ans.map((a) => toHex(a)),
          pans: b.pans.map((p) => toHex(p)),
          pown: 'u'.repeat(this.n),
          test: !!o.test,
          state: 'limbo',
        });
      }
    });
    const exclude = new Set(batch.map((b) => refKey(b.ref)));
    const verdicts: Verdict[][] = await Promise.all(
      Array.from({ length: this.n }, (_, i) =>
        (o.via ?? ((j, b, seal) => this.client.pownOn(j, b, seal)))(
          i,
          batch.map((b) => ({ ...b.ref, an: b.ans[i]!, pan: b.pans[i]! })),
          this.sealerFor(i, exclude),
        ),
      ),
    );
    const need = majority(this.n);
    this.store.transaction(() => {
      batch.forEach((b, k) => {
        const v = verdicts.map((per) => per[k]!);
        const pass = count(v, 'p');
        if (pass >= need) {
          this.store.put(b.id, {
            ...b.ref,
            ans: v.map((x, i) => toHex(x === 'p' ? b.pans[i]! : b.ans[i]!)),
            pans: v.map((x, i) => (x === 'n' ? toHex(b.pans[i]!) : null)),
            pown: v.join(''),
            test: !!o.test,
            state: 'bank',
          });
          result.accepted++;
          result.units += denominationUnits(b.ref.denomination);
        } else if (count(v, 'f') >= need) {
          this.store.remove(b.id);
          result.rejected++;
        } else {
          this.store.put(b.id, {
            ...b.ref,
            ans: b.ans.map((a) => toHex(a)),
            pans: b.pans.map((p) => toHex(p)),
            pown: v.join(''),
            test: !!o.test,
            state: 'limbo',
          });
          result.limbo++;
        }
      });
      const e: HistoryEntry = {
        at: this.now(),
        kind: o.kind,
        units: result.units.toString(),
        coins: result.accepted,
        ...(o.test ? { test: true } : {}),
        ...(o.note ? { note: o.note } : {}),
      };
      this.store.addHistory(e);
      if (result.rejected)
        this.store.addHistory({
          at: this.now(),
          kind: 'rejected',
          units: '0',
          coins: result.rejected,
          note: 'counterfeit or already held',
        });
    });
    return result;
  }

  /** Import a coin file (format 9, the older .bin, or a .stack): the coins are powned to us. */
  async importFile(bytes: Uint8Array, o: { test?: boolean } = {}): Promise<ReceiveResult> {
    const { coins } = importCoins(bytes);
    return this.receive(coins, { kind: 'imported', ...(o.test ? { test: true } : {}) });
  }

  /**
   * Coins of exactly `units`, removed from the wallet and written as one format 9 file.
   * Breaks larger coins when no set of held coins adds up.
   */
  async exportAmount(units: bigint): Promise<Uint8Array> {
    const pick = await this.pickExact(units);
    const file = encodeCoinFile(
      makeCoinFile(
        pick.map(({ coin }) => ({
          denomination: coin.denomination,
          serial: coin.serial,
          ans: coin.ans.map((a) => fromHex(a)),
          pown: coin.pown,
        })),
      ),
    );
    this.store.transaction(() => {
      for (const { id } of pick) this.store.remove(id);
      this.store.addHistory({
        at: this.now(),
        kind: 'exported',
        units: units.toString(),
        coins: pick.length,
        ...(pick.some((p) => p.coin.test) ? { test: true } : {}),
      });
    });
    return file;
  }

  /** Held coins worth exactly `units`, breaking larger ones as needed. */
  private async pickExact(units: bigint): Promise<{ id: string; coin: StoredCoin }[]> {
    if (units <= 0n) throw new WalletError('bad_amount', 'the amount must be more than 0');
    if (this.balance().total < units)
      throw new WalletError('insufficient', `the wallet holds ${formatAmount(this.balance().total)} CC, less than ${formatAmount(units)}`);
    for (let round = 0; round < 64; round++) {
      const bank = this.store
        .all()
        .filter(({ coin }) => coin.state === 'bank')
        .sort((a, b) => b.coin.denomination - a.coin.denomination);
      const pick: typeof bank = [];
      let left = units;
      for (const x of bank) {
        const v = denominationUnits(x.coin.denomination);
        if (v <= left) {
          pick.push(x);
          left -= v;
        }
      }
      if (left === 0n) return pick;
      // Break the smallest coin worth more than what is left to cover.
      const bigger = bank.filter((x) => denominationUnits(x.coin.denomination) > left && x.coin.denomination > -8).at(-1);
      if (!bigger) break;
      await this.breakCoin(bigger.id);
    }
    throw new WalletError('no_change', `no coins make ${formatAmount(units)} CC exactly`);
  }

  /**
   * Put coins worth exactly `units` in a new locker (a tip, an inbox fee). The coins are marked
   * as going into the locker, with its code, before anything is sent: after a crash they are
   * found again by `reclaimLocker`. The code is what the recipient needs to take them.
   */
  async putInLocker(units: bigint, code: Uint8Array = rand16(), note?: string): Promise<{ code: Uint8Array; coins: number }> {
    const pick = await this.pickExact(units);
    this.store.transaction(() => {
      for (const { id, coin } of pick) this.store.put(id, { ...coin, state: 'locker', locker: toHex(code) });
    });
    const keys = lockerKeys(code, this.n);
    const refs = new Set(pick.map(({ coin }) => refKey(coin)));
    const v = await Promise.all(
      Array.from({ length: this.n }, (_, i) => {
        const coins = pick.map(({ coin }) => ({ denomination: coin.denomination, serial: coin.serial, an: fromHex(coin.ans[i]!) }));
        return this.client.lockerPutOn(i, coins, keys[i]!, this.sealerFor(i, refs) ?? coins[0]!);
      }),
    );
    if (count(v, 'p') < majority(this.n)) {
      // Not in the locker on a majority: each server holds the coin under its old AN or under the
      // key (where the put went, or an answer was lost). The code has not left us, so either is
      // ours: the recovery keeps the coin under whichever each server holds (a remove would keep
      // only what a majority lists, and drop coins that went in on a minority).
      this.store.transaction(() => {
        for (const { id, coin } of pick) {
          const { locker: _locker, ...rest } = coin;
          this.store.put(id, { ...rest, state: 'limbo', pans: keys.map((k) => toHex(k)), pown: v.join('') });
        }
      });
      await this.recover().catch(() => undefined);
      throw new WalletError('no_majority', 'the locker was not filled on a majority of servers');
    }
    this.store.transaction(() => {
      for (const { id, coin } of pick)
        this.store.put(id, {
          ...coin,
          state: 'locker',
          locker: toHex(code),
          ans: coin.ans.map((a, i) => (v[i] === 'p' ? toHex(keys[i]!) : a)),
          pown: v.join(''),
        });
      this.store.addHistory({
        at: this.now(),
        kind: 'locker',
        units: units.toString(),
        coins: pick.length,
        ...(note ? { note } : {}),
        ...(pick.some((p) => p.coin.test) ? { test: true } : {}),
      });
    });
    return { code, coins: pick.length };
  }

  /**
   * Whether a locker we filled still holds what we put in (asked before a payment is sent
   * again): 'full' when a majority of servers list every coin of it, 'taken' when a majority
   * answered without listing any of them (its payee took them), else 'unsure' (too few
   * answers, or a taking half done).
   */
  async lockerState(code: Uint8Array): Promise<'full' | 'taken' | 'unsure'> {
    const keys = lockerKeys(code, this.n);
    const mine = this.store.all().filter(({ coin }) => coin.state === 'locker' && coin.locker === toHex(code));
    if (mine.length === 0) return 'unsure';
    const refs = new Set(mine.map(({ coin }) => refKey(coin)));
    const first = mine[0]!.coin;
    const lists = await Promise.all(
      Array.from({ length: this.n }, (_, i) =>
        this.client
          .lockerPeekOn(i, keys[i]!, this.sealerFor(i, refs) ?? { denomination: first.denomination, serial: first.serial, an: keys[i]! })
          .catch(() => null),
      ),
    );
    const need = majority(this.n);
    const on = (c: CoinRef, listed: boolean) => lists.filter((l) => l !== null && l.some((x) => refKey(x) === refKey(c)) === listed).length;
    if (mine.every(({ coin }) => on(coin, true) >= need)) return 'full';
    if (mine.every(({ coin }) => on(coin, false) >= need)) return 'taken';
    return 'unsure';
  }

  /** The locker was delivered (its Tell accepted): its coins are no longer ours to reclaim. */
  forgetLocker(code: Uint8Array): void {
    const hex = toHex(code);
    this.store.transaction(() => {
      for (const { id, coin } of this.store.all()) if (coin.state === 'locker' && coin.locker === hex) this.store.remove(id);
    });
  }

  /**
   * Take what a locker holds: peek it on every server, keep the coins a majority lists, and
   * move each to fresh ANs of ours (remove) — the same majority rule as a pown. Coins we had
   * marked for this locker are replaced by what comes back.
   */
  async takeFromLocker(
    code: Uint8Array,
    o: { kind?: HistoryEntry['kind']; test?: boolean; note?: string; hint?: CoinRef; maxCoins?: number } = {},
  ): Promise<ReceiveResult> {
    const keys = lockerKeys(code, this.n);
    const mine = this.store.all().filter(({ coin }) => coin.state === 'locker' && coin.locker === toHex(code));
    const seal = (i: number): Sealer | undefined => this.sealerFor(i, new Set(mine.map(({ coin }) => refKey(coin))));
    // Where we hold nothing to seal with, a coin in this locker will do (its AN there is the key):
    // one we put in ourselves, the `hint` a caller saw in it, or one the servers we could ask list.
    let inside: CoinRef | undefined = mine[0]?.coin ?? o.hint;
    const sealFor = (i: number): Sealer | undefined =>
      seal(i) ?? (inside ? { denomination: inside.denomination, serial: inside.serial, an: keys[i]! } : undefined);
    const lists: (CoinRef[] | null)[] = await Promise.all(
      Array.from({ length: this.n }, (_, i) => {
        const s = sealFor(i);
        return s ? this.client.lockerPeekOn(i, keys[i]!, s) : Promise.resolve(null);
      }),
    );
    inside ??= lists.find((l) => l?.length)?.[0];
    if (inside)
      await Promise.all(
        lists.map(async (l, i) => {
          if (l === null) lists[i] = await this.client.lockerPeekOn(i, keys[i]!, sealFor(i)!);
        }),
      );
    const votes = new Map<string, { ref: CoinRef; n: number }>();
    for (const l of lists) for (const c of l ?? []) votes.set(refKey(c), { ref: c, n: (votes.get(refKey(c))?.n ?? 0) + 1 });
    const coins = [...votes.values()].filter((x) => x.n >= majority(this.n)).map((x) => ({ ...x.ref, ans: keys.map((k) => k) }));
    const test = o.test ?? mine.some(({ coin }) => coin.test);
    this.store.transaction(() => {
      for (const { id } of mine) this.store.remove(id);
    });
    // A locker of more coins than the caller takes is left as it is (its owner can still take it).
    if (coins.length === 0 || coins.length > (o.maxCoins ?? Infinity)) return { accepted: 0, rejected: 0, limbo: 0, units: 0n };
    return this.receive(coins, {
      kind: o.kind ?? 'received',
      ...(test ? { test: true } : {}),
      ...(o.note ? { note: o.note } : {}),
      via: (i, batch, s) =>
        this.client.lockerRemoveOn(
          i,
          keys[i]!,
          batch.map((b) => ({ denomination: b.denomination, serial: b.serial, an: b.pan })),
          s ?? { ...batch[0]!, an: keys[i]! },
        ),
    });
  }

  /** Take back coins of a locker we filled whose delivery never happened (a crash, a refused Tell). */
  reclaimLocker(code: Uint8Array): Promise<ReceiveResult> {
    return this.takeFromLocker(code, { kind: 'recovered' });
  }

  /**
   * Break one coin into ten of the next denomination down on every server. The parts are
   * stored (limbo) before anything is sent; a majority of servers must break it.
   */
  async breakCoin(id: string): Promise<void> {
    const held = this.store.all().find((x) => x.id === id);
    if (!held || held.coin.state !== 'bank') throw new WalletError('empty', 'no such coin in the wallet');
    const coin = held.coin;
    const session = randomInt(1, 0xffffffff);
    const big = (i: number): CoinAn => ({ denomination: coin.denomination, serial: coin.serial, an: fromHex(coin.ans[i]!) });
    const lists = await Promise.all(
      Array.from({ length: this.n }, (_, i) => this.client.availableOn(i, session, 'break', coin.denomination, big(i))),
    );
    const answered = lists.filter((l): l is number[] => l !== null);
    const need = majority(this.n);
    if (answered.length < need) throw new WalletError('no_majority', 'too few servers answered for change');
    // Serials a majority offered. A server that offered other ones (it holds a coin the rest
    // do not, say) is left out of this break: the coin stays there and is fracked, as on a
    // server that did not answer.
    const votes = new Map<number, number>();
    for (const l of answered) for (const sn of l) votes.set(sn, (votes.get(sn) ?? 0) + 1);
    const common = [...votes]
      .filter(([, n]) => n >= need)
      .map(([sn]) => sn)
      .slice(0, CHANGE_COUNT);
    const takers = lists.map((l) => l !== null && common.every((sn) => l.includes(sn)));
    if (common.length < CHANGE_COUNT || takers.filter(Boolean).length < need) {
      throw new WalletError('no_change', 'the servers offer no common serials for change');
    }
    const parts = common.map((serial) => ({
      id: this.store.newId(),
      ref: { denomination: coin.denomination - 1, serial },
      ans: Array.from({ length: this.n }, rand16),
    }));
    this.store.transaction(() => {
      for (const p of parts)
        this.store.put(p.id, { ...p.ref, ans: p.ans.map((a) => toHex(a)), pown: 'u'.repeat(this.n), test: coin.test, state: 'limbo' });
    });
    const v = await Promise.all(
      Array.from({ length: this.n }, (_, i) =>
        takers[i]
          ? this.client.changeOn(
              i,
              'break',
              session,
              big(i),
              parts.map((p) => ({ ...p.ref, an: p.ans[i]! })),
              big(i),
            )
          : Promise.resolve<Verdict>('n'),
      ),
    );
    this.store.transaction(() => {
      if (count(v, 'p') >= need) {
        for (const p of parts)
          this.store.put(p.id, { ...p.ref, ans: p.ans.map((a) => toHex(a)), pown: v.join(''), test: coin.test, state: 'bank' });
        this.store.remove(id);
        this.store.addHistory({
          at: this.now(),
          kind: 'change',
          units: denominationUnits(coin.denomination).toString(),
          coins: CHANGE_COUNT,
          note: `broke one ${denominationLabel(coin.denomination)}`,
          ...(coin.test ? { test: true } : {}),
        });
      } else {
        // Not broken on a majority: the coin stays (fracked where it was broken), the parts go.
        for (const p of parts) this.store.remove(p.id);
        this.store.put(id, { ...coin, pown: v.map((x, i) => (x === 'p' ? 'f' : coin.pown[i]!)).join('') });
      }
    });
    if (count(v, 'p') < need) throw new WalletError('no_majority', 'the break did not reach a majority of servers');
  }

  /** Whether a coin waits in limbo (a pown whose answers were lost, or a crash mid-pown). */
  hasLimbo(): boolean {
    return this.store.all().some(({ coin }) => coin.state === 'limbo');
  }

  /**
   * A receive that left coins in limbo asks the servers once more (recover) before it reports,
   * and its result counts what that settled. Only limbo calls for it: a coin merely missing one
   * server's answer is ours already, and checking it again would wait on a server that is down.
   */
  async settle(r: ReceiveResult): Promise<ReceiveResult> {
    if (r.limbo === 0) return r;
    const before = this.balance().total;
    const { settled, dropped } = await this.recover().catch(() => ({ settled: 0, dropped: 0 }));
    return {
      accepted: r.accepted + settled,
      rejected: r.rejected + dropped,
      limbo: Math.max(0, r.limbo - settled - dropped),
      units: r.units + (this.balance().total - before),
    };
  }

  /**
   * Settle coins a pown left undecided: ask each server whether it holds the coin's AN or the
   * PAN we sent. Where the pown never arrived (the old AN, which the coin's previous owner
   * knows, is still there), pown that server again to the PAN stored for it. Then keep the
   * coin if a majority holds our ANs, drop it if a majority refuses it.
   */
  async recover(): Promise<{ settled: number; dropped: number }> {
    const pending = this.store.all().filter(({ coin }) => coin.pans?.some((p) => p !== null));
    let settled = 0;
    let dropped = 0;
    for (const { id, coin } of pending) {
      const ref = { denomination: coin.denomination, serial: coin.serial };
      const found = await Promise.all(
        Array.from({ length: this.n }, async (_, i): Promise<FindVerdict> => {
          const an = fromHex(coin.ans[i]!);
          const pan = coin.pans?.[i] ? fromHex(coin.pans[i]!) : an;
          const other = this.sealerFor(i, new Set([refKey(coin)]));
          // Without another coin to seal with, seal with the coin itself under either of its two possible ANs.
          let f = (await this.client.findOn(i, [{ ...ref, an, pan }], other ?? { ...ref, an }))[0]!;
          if (f === 'n' && !other && coin.pans?.[i]) f = (await this.client.findOn(i, [{ ...ref, an, pan }], { ...ref, an: pan }))[0]!;
          if (f === 'an' && coin.pans?.[i]) {
            const v = (await this.client.pownOn(i, [{ ...ref, an, pan }], other))[0]!;
            if (v === 'p') f = 'pan';
          }
          return f;
        }),
      );
      const ans = coin.ans.map((a, i) => (found[i] === 'pan' && coin.pans?.[i] ? coin.pans[i]! : a));
      const pown = found.map((f, i) => (f === 'an' || f === 'pan' ? 'p' : f === 'neither' ? 'f' : (coin.pown[i] ?? 'u'))).join('');
      const pass = count([...pown], 'p');
      this.store.transaction(() => {
        if (pass >= majority(this.n)) {
          this.store.put(id, {
            ...coin,
            ans,
            pans: found.map((f, i) => (f === 'n' ? (coin.pans?.[i] ?? null) : null)),
            pown,
            state: 'bank',
          });
          if (coin.state === 'limbo')
            this.store.addHistory({
              at: this.now(),
              kind: 'recovered',
              units: denominationUnits(coin.denomination).toString(),
              coins: 1,
              ...(coin.test ? { test: true } : {}),
            });
          settled++;
        } else if (count([...pown], 'f') >= majority(this.n)) {
          this.store.remove(id);
          dropped++;
        }
      });
    }
    // Then heal what a majority holds but some server does not (fix with tickets).
    await this.fix().catch(() => undefined);
    return { settled, dropped };
  }

  /** Coins we hold (a majority passed) that failed, or went unanswered, on some server. */
  private fracked(): { id: string; coin: StoredCoin; servers: number[] }[] {
    const need = majority(this.n);
    return this.store
      .all()
      .filter(({ coin }) => coin.state === 'bank' && count([...coin.pown], 'p') >= need)
      .map(({ id, coin }) => ({
        id,
        coin,
        // A server with a pown still in flight (a PAN kept for it) is find's to settle, not fix's.
        servers: [...coin.pown].flatMap((v, i) => ((v === 'f' || v === 'n') && !coin.pans?.[i] && i < this.n ? [i] : [])),
      }))
      .filter((x) => x.servers.length > 0);
  }

  /** Whether some coin we hold is fracked on a server (fix would heal it there). */
  hasFracked(): boolean {
    return this.fracked().length > 0;
  }

  /**
   * Heal fracked coins: for each server i a coin failed on, ask every server it passed on for a
   * ticket only server i may claim, then send i the coins, a fresh PG and those tickets; i asks
   * the others to validate them and sets each coin whose tickets a majority of the network
   * validated to its new AN (`fixAn(i, coin, PG)`). The new ANs are stored as proposed ANs
   * before the fix goes out (a lost answer is settled by find); a coin's AN for server i
   * changes only where i answered that it fixed it.
   */
  async fix(): Promise<{ fixed: number; failed: number }> {
    const need = majority(this.n);
    let fixed = 0;
    let failed = 0;
    const todo = this.fracked();
    const servers = [...new Set(todo.flatMap((x) => x.servers))].sort((a, b) => a - b);
    for (const i of servers) {
      const all = todo.filter((x) => x.servers.includes(i));
      for (let k = 0; k < all.length; k += MAX_COINS_PER_REQUEST) {
        const r = await this.fixOn(i, all.slice(k, k + MAX_COINS_PER_REQUEST), need);
        fixed += r.fixed;
        failed += r.failed;
      }
    }
    return { fixed, failed };
  }

  private async fixOn(i: number, batch: { id: string; coin: StoredCoin }[], need: number): Promise<{ fixed: number; failed: number }> {
    const refs = new Set(batch.map(({ coin }) => refKey(coin)));
    const seal = this.sealerFor(i, refs);
    if (!seal || i >= FIX_TICKET_SLOTS) return { fixed: 0, failed: 0 };
    // Tickets from every server the coins passed on, each naming server i as the one to claim it.
    const tickets = Array<number>(FIX_TICKET_SLOTS).fill(0);
    const vouched = new Map<string, number>();
    await Promise.all(
      Array.from({ length: this.n }, async (_, j) => {
        if (j === i) return;
        const mine = batch.filter(({ coin }) => coin.pown[j] === 'p');
        if (mine.length === 0) return;
        const coins = mine.map(({ coin }) => ({ denomination: coin.denomination, serial: coin.serial, an: fromHex(coin.ans[j]!) }));
        const t = await this.client.ticketOn(j, i, coins, this.sealerFor(j, refs) ?? coins[0]!).catch(() => null);
        if (!t || t.ticket === null) return;
        tickets[j] = t.ticket;
        mine.forEach(({ coin }, k) => {
          if (t.verdicts[k] === 'p') vouched.set(refKey(coin), (vouched.get(refKey(coin)) ?? 0) + 1);
        });
      }),
    );
    const go = batch.filter(({ coin }) => (vouched.get(refKey(coin)) ?? 0) >= need);
    if (go.length === 0) return { fixed: 0, failed: batch.length };
    const pg = rand16();
    const fresh = go.map(({ coin }) => toHex(fixAn(this.endpointId(i), coin, pg)));
    // Stored before the fix goes out: the new AN waits as server i's proposed AN.
    this.store.transaction(() => {
      go.forEach(({ id, coin }, k) => {
        const pans = Array.from({ length: this.n }, (_, x) => coin.pans?.[x] ?? null);
        pans[i] = fresh[k]!;
        this.store.put(id, { ...coin, pans });
      });
    });
    const v = await this.client.fixOn(
      i,
      go.map(({ coin }) => coin),
      pg,
      tickets,
      seal,
    );
    let fixed = 0;
    this.store.transaction(() => {
      go.forEach(({ id, coin }, k) => {
        const pans = Array.from({ length: this.n }, (_, x) => coin.pans?.[x] ?? null);
        const ans = [...coin.ans];
        const pown = [...coin.pown];
        if (v[k] === 'p') {
          ans[i] = fresh[k]!;
          pown[i] = 'p';
          fixed++;
        } else if (v[k] === 'n') {
          // No answer: whether the fix happened is find's to tell (recover), from the PAN kept here.
          pans[i] = fresh[k]!;
        }
        this.store.put(id, { ...coin, ans, pown: pown.join(''), pans });
      });
    });
    return { fixed, failed: batch.length - fixed };
  }

  /** Server i's RAIDA index (the slot fixAn hashes in). */
  private endpointId(i: number): number {
    return this.client.endpoints[i]?.raidaId ?? i;
  }
}
