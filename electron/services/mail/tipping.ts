// Tips and inbox fees as the app pays and receives them (docs/chips.md, "A tip from the app").
//
// Paying: one locker per paying recipient, recorded (store/tips.ts, sealed) before any coin
// goes in, filled with coins worth exactly the amount, its code in the Tell's recipient entry.
// Taken (250): the locker has paid, forgotten. Refused (168/169/236/237): the coins come back.
// No answer: before the Tell goes again the locker is peeked: still full, the same locker goes
// again (never a second one); empty, an earlier Tell was taken (the beacon empties a locker only
// for a Tell it delivers), so the recipient has it and nothing is sent again. After a crash,
// `recover` settles every locker whose Tell was never answered the same way.
//
// Receiving: a notice whose locker field is not zero names a locker the beacon filled for us;
// its coins are taken into the wallet (history row), the message shows the tip, and a locker
// the coin servers could not be asked about is tried again later ('pending').
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../../shared/bytes/index.js';
import type { MessageSummary } from '../../../shared/ipc/index.js';
import type { MessageStore } from '../../store/messages.js';
import type { TipTables } from '../../store/tips.js';
import { type LockerRow } from '../../store/tips.js';
import type { WalletRunner } from '../wallet/runner.js';
import { WalletError, formatAmount, lockerKeys } from '../wallet/wallet.js';
import { MAX_BACKOFF_MS } from './context.js';
import { SendError, type TipHooks } from './send.js';

/** Tries to collect a received tip before it is given up (about an hour with the backoff's cap). */
export const MAX_TIP_TRIES = 16;
/** A locker found empty is peeked again after this long before it counts as taken (a beacon giving a locker back refills it). */
const TAKEN_RECHECK_MS = 1500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TippingOptions {
  tables: TipTables;
  /** The profile's wallet (absent: nothing can be paid or collected). */
  wallet?: WalletRunner | undefined;
  messages: MessageStore;
  now: () => number;
  emit: (event: string, payload: unknown) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** Tests shorten the wait before an empty locker is believed. */
  recheckMs?: number;
}

export class Tipping {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private collecting: Promise<number> | undefined;

  constructor(private readonly o: TippingOptions) {}

  get tables(): TipTables {
    return this.o.tables;
  }

  /** Whether this profile can pay (it has a wallet on a network's coin servers). */
  get canPay(): boolean {
    return !!this.o.wallet?.online;
  }

  /** What the wallet holds, 1e-8 CC (0 without one). */
  balance(): bigint {
    return this.o.wallet ? this.o.wallet.offline().balance().total : 0n;
  }

  private runner(): WalletRunner {
    if (!this.o.wallet?.online) throw new SendError('This profile has no wallet on a network, so it cannot pay inbox fees.', false);
    return this.o.wallet;
  }

  private open(outboxId: string, address: string): LockerRow | undefined {
    return this.o.tables.lockersOf(outboxId).find((r) => r.recipient === address && r.state === 'filled');
  }

  /** A locker found empty: its payee took it, so its Tell was delivered; the coins are not ours any more. */
  private taken(row: LockerRow): void {
    this.o.wallet?.offline().forgetLocker(fromHex(row.code));
    this.o.tables.setLockerState(row.id, 'collected');
  }

  /** 'taken' only when the locker is empty twice, a moment apart. */
  private async lockerState(row: LockerRow): Promise<'full' | 'taken' | 'unsure'> {
    const code = fromHex(row.code);
    const first = await this.runner().run((w) => w.lockerState(code));
    if (first !== 'taken') return first;
    await sleep(this.o.recheckMs ?? TAKEN_RECHECK_MS);
    return this.runner().run((w) => w.lockerState(code));
  }

  /** The lockers one send attempt of outbox item `outboxId` pays with; `amounts` in 1e-8 CC by recipient. */
  attempt(outboxId: string, amounts: Readonly<Record<string, string>>): TipHooks {
    const units = (address: string) => BigInt(amounts[address] ?? '0');
    return {
      amount: (address) => units(address),
      locker: async (address) => {
        const want = units(address);
        if (want <= 0n) return undefined;
        const rows = this.o.tables.lockersOf(outboxId).filter((r) => r.recipient === address);
        if (rows.some((r) => r.state === 'told' || r.state === 'collected')) return 'delivered';
        const open = rows.find((r) => r.state === 'filled');
        if (open) {
          // An earlier try's locker whose Tell got no answer: the same locker goes again, or none if it was taken.
          const st = await this.lockerState(open);
          if (st === 'full') return fromHex(open.code);
          if (st === 'taken') {
            this.taken(open);
            return 'delivered';
          }
          throw new SendError(`the payment of an earlier try to ${address} cannot be checked with the coin servers now`, true);
        }
        const runner = this.runner();
        const code = new Uint8Array(randomBytes(16));
        const id = randomBytes(16).toString('hex');
        // Recorded before any coin moves: a crash from here on leaves the code to take them back with.
        this.o.tables.addLocker(id, outboxId, { recipient: address, code: toHex(code), units: want.toString() }, this.o.now());
        try {
          await runner.run((w) => w.putInLocker(want, code, `inbox fee for ${address}`));
        } catch (e) {
          // A put short of a majority was taken back by the wallet; a wallet short of coins moved nothing.
          this.o.tables.setLockerState(id, 'refunded');
          const short = e instanceof WalletError && ['insufficient', 'no_change', 'bad_amount'].includes(e.code);
          throw new SendError(`the wallet could not pay ${formatAmount(want)} CC for ${address} (${(e as Error).message})`, !short);
        }
        this.o.tables.setLockerState(id, 'filled');
        return code;
      },
      told: (address) => {
        const row = this.open(outboxId, address);
        if (!row) return;
        this.o.wallet?.offline().forgetLocker(fromHex(row.code));
        this.o.tables.setLockerState(row.id, 'told');
      },
      refused: async (address) => {
        const row = this.open(outboxId, address);
        if (!row) return false;
        try {
          await this.runner().run((w) => w.reclaimLocker(fromHex(row.code)));
          this.o.tables.setLockerState(row.id, 'refunded');
          return true;
        } catch (e) {
          // Still `filled`: the next try, or the next unlock, takes it back.
          this.o.log('tip not taken back yet', { error: (e as Error).message });
          return false;
        }
      },
      check: async (address) => {
        const row = this.open(outboxId, address);
        if (!row) return 'unsure';
        const st = await this.lockerState(row).catch(() => 'unsure' as const);
        if (st === 'taken') this.taken(row);
        return st;
      },
    };
  }

  /** The outbox item was sent: its lockers' records have served. */
  sent(outboxId: string): void {
    this.o.tables.forgetLockers(outboxId);
  }

  /** The outbox item was given up or taken back to Drafts: what its lockers still hold comes back; returns whose came back. */
  async release(outboxId: string): Promise<string[]> {
    const back: string[] = [];
    for (const row of this.o.tables.lockersOf(outboxId).filter((r) => r.state === 'filled'))
      if ((await this.settle(row)) === 'refunded') back.push(row.recipient);
    this.o.tables.forgetLockers(outboxId);
    return back;
  }

  /** One locker whose Tell was never answered: back to the wallet when full, forgotten when taken. */
  private async settle(row: LockerRow): Promise<'refunded' | 'collected' | 'unsure'> {
    const code = fromHex(row.code);
    if (row.state === 'filling') {
      // The put may have reached some servers, all or none, and the code never left us: each
      // server keeps the coin under its old AN or the locker key, and the wallet's recovery
      // settles which (the key stays the coin's AN where the put went; only we know the code).
      const keys = lockerKeys(code, 25).map((k) => toHex(k));
      const store = this.runner().store;
      store.transaction(() => {
        for (const { id, coin } of store.all())
          if (coin.state === 'locker' && coin.locker === row.code) {
            const { locker: _locker, ...rest } = coin;
            store.put(id, { ...rest, state: 'limbo', pans: coin.ans.map((_, i) => keys[i]!) });
          }
      });
      await this.runner().run((w) => w.recover());
      this.o.tables.setLockerState(row.id, 'refunded');
      return 'refunded';
    }
    const st = await this.lockerState(row).catch(() => 'unsure' as const);
    if (st === 'full') {
      await this.runner().run((w) => w.reclaimLocker(code));
      this.o.tables.setLockerState(row.id, 'refunded');
      return 'refunded';
    }
    if (st === 'taken') this.taken(row);
    return st === 'taken' ? 'collected' : 'unsure';
  }

  /**
   * After unlock, before the outbox sends: every locker whose Tell was never answered (a crash
   * between the put and the Tell, or during the Tell) is settled: taken back when it still holds
   * the coins, recorded as delivered when its beacon took it (the next try does not pay again).
   */
  async recover(): Promise<{ refunded: number; collected: number; unsure: number }> {
    const out = { refunded: 0, collected: 0, unsure: 0 };
    if (!this.o.wallet?.online) return out;
    for (const row of this.o.tables.unsettledLockers()) {
      const r = await this.settle(row).catch((e: unknown) => {
        this.o.log('locker not settled', { error: (e as Error).message });
        return 'unsure' as const;
      });
      out[r]++;
    }
    return out;
  }

  // ---------------------------------------------------------------- received tips

  /** A received qmail whose notice names locker `code`: the tip it shows until collected, and the collection queued. */
  received(messageId: string, code: Uint8Array, sender: string): MessageSummary['tip'] {
    this.o.tables.addPendingTip({ messageId, code: toHex(code), sender }, this.o.now());
    this.kick(0);
    return { amount: '0', state: 'pending' };
  }

  /** Collects the received tips that are due; returns how many were collected. */
  collectDue(): Promise<number> {
    if (this.collecting) return this.collecting;
    this.collecting = this.collectNow().finally(() => {
      this.collecting = undefined;
    });
    return this.collecting;
  }

  private async collectNow(): Promise<number> {
    if (!this.o.wallet?.online) return 0;
    let n = 0;
    for (const t of this.o.tables.duePendingTips(this.o.now())) {
      const got = await this.o.wallet
        .run((w) =>
          w.takeFromLocker(fromHex(t.code), {
            kind: 'received',
            note: `tip from ${t.sender}`,
            ...(this.runner().testMoney ? { test: true } : {}),
          }),
        )
        .catch((e: unknown) => {
          this.o.log('tip not collected', { error: (e as Error).message });
          return undefined;
        });
      if (got && got.units > 0n) {
        this.o.messages.setTip(t.messageId, { amount: formatAmount(got.units), state: 'received' });
        this.o.tables.dropTip(t.messageId);
        this.o.emit('mail.changed', { folders: ['inbox'] });
        n++;
        continue;
      }
      if (t.tries + 1 >= MAX_TIP_TRIES) {
        // Never found: the notice's locker was empty (or spent) on every try.
        this.o.tables.dropTip(t.messageId);
        this.o.messages.setTip(t.messageId, undefined);
        this.o.emit('mail.changed', { folders: ['inbox'] });
      } else this.o.tables.postponeTip(t.messageId, this.o.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** t.tries));
    }
    return n;
  }

  /** Collects due tips after `delayMs`, then again whenever the next one is due, while started. */
  kick(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.collectDue().finally(() => {
        const next = this.o.tables.nextTipAt();
        if (next !== undefined && this.running) this.kick(Math.max(0, next - this.o.now()));
      });
    }, delayMs);
    this.timer.unref?.();
  }

  /** After unlock: lockers left by a crash are settled, received tips collected. */
  start(): Promise<unknown> {
    this.running = true;
    const done = this.recover().catch((e: unknown) => this.o.log('lockers not recovered', { error: (e as Error).message }));
    this.kick(0);
    return done;
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }
}
