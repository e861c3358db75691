// The profile's wallet as every service of the app reaches it: one operation at a time (two at
// once could pick the same coins), on the network's coin servers for as long as the operation
// runs. The Wallet screen's requests, the send path's tip lockers and the receive path's tips
// all go through one runner, so they never interleave.
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { ConnectionPool } from '../net/transport.js';
import { ChipClient, type Sealer } from './client.js';
import { coinEndpoints } from './network.js';
import { WalletStore } from '../../store/wallet.js';
import { Wallet } from './wallet.js';

export class WalletOffline extends Error {
  override readonly name = 'WalletOffline';
  constructor() {
    super('This app runs without a network, so coins cannot be checked with the coin servers.');
  }
}

export interface WalletRunnerOptions {
  db: Db;
  box: () => SecretBox;
  /** The network file whose nodes are the coin servers (absent: offline). */
  networkFile?: string | undefined;
  now?: () => number;
  /** Tests pass their own coin servers. */
  client?: (pool: ConnectionPool, endpoints: ReturnType<typeof coinEndpoints>) => ChipClient;
  /**
   * Our mailbox's AN on coin server i, to seal requests there with where the wallet holds no
   * coin yet (an empty wallet taking its first tip from a locker).
   */
  mailbox?: (i: number) => Sealer | undefined;
  /** A test network (it has a mint): every coin that arrives is test money, a tip's as much as the mint's. */
  testMoney?: boolean;
}

/** How often the runner tries again to heal coins fracked on some server. */
export const HEAL_EVERY_MS = 10 * 60_000;

export class WalletRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private healedAt = -Infinity;
  readonly store: WalletStore;

  constructor(private readonly o: WalletRunnerOptions) {
    this.store = new WalletStore(o.db, o.box);
  }

  /** Coins arriving here are test money (the network has a mint). */
  get testMoney(): boolean {
    return !!this.o.testMoney;
  }

  /** Whether there are coin servers to speak to. */
  get online(): boolean {
    return !!this.o.networkFile;
  }

  /** The wallet without coin servers: balance, coins and history only. */
  offline(): Wallet {
    return new Wallet(this.store, new ChipClient(new ConnectionPool(1), []), this.o.now);
  }

  /** Runs `fn` after every operation queued before it, whatever became of those. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The wallet on the coin servers, for as long as `fn` runs, one operation at a time. Coins a
   * lost answer left undecided (a timeout, a crash mid-pown) are settled first.
   */
  run<T>(fn: (w: Wallet, client: ChipClient) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      if (!this.o.networkFile) throw new WalletOffline();
      const pool = new ConnectionPool(2);
      try {
        const endpoints = coinEndpoints(this.o.networkFile);
        const client = this.o.client ? this.o.client(pool, endpoints) : new ChipClient(pool, endpoints);
        const wallet = new Wallet(this.store, client, this.o.now, this.o.mailbox);
        // Fracked coins are healed (fix) on the first operation, then at most every HEAL_EVERY_MS,
        // so a server that stays down does not hold up every operation.
        const at = (this.o.now ?? Date.now)();
        const heal = wallet.hasFracked() && at - this.healedAt >= HEAL_EVERY_MS;
        if (heal) this.healedAt = at;
        if (wallet.hasLimbo() || heal) await wallet.recover().catch(() => undefined);
        return await fn(wallet, client);
      } finally {
        pool.closeAll();
      }
    });
  }
}
