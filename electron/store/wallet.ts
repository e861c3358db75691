// The wallet's rows in the profile: every coin and every history entry sealed (a serial or an
// AN in clear would be a bearer secret on disk), each bound to its row id.
import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import type { CoinStore, HistoryEntry, StoredCoin } from '../../server/chips/wallet.js';

export type { HistoryEntry, StoredCoin };

const coinAad = (id: string) => `qmail.wallet-coin.v1:${id}`;
const historyAad = (at: number, n: number) => `qmail.wallet-history.v1:${at}:${n}`;

/**
 * Writes of coins per database connection. `data_version` moves only for other connections'
 * writes, so two stores on one connection (the Wallet screen's and a hire's payment) compare
 * this as well before they trust their cache.
 */
const writes = new WeakMap<Db, number>();

export class WalletStore implements CoinStore {
  /**
   * The coins as last read, opened: every wallet operation looks at all of them (to pick, to
   * find a coin to seal with), and opening each row every time costs more than the requests.
   * Dropped when another connection has written the database (`data_version`) or a
   * transaction of ours failed.
   */
  private cache: Map<string, StoredCoin> | null = null;
  private seenVersion = -1;
  private seenWrites = -1;

  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  /** Runs fn in one transaction: a crash leaves the wallet as before or as after. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.cache = null;
      throw e;
    }
  }

  /** Counts a write; true when our cache was current before it (then it stays current by applying the write), else drops it. */
  private wrote(): boolean {
    const before = writes.get(this.db) ?? 0;
    writes.set(this.db, before + 1);
    if (this.cache && before === this.seenWrites) {
      this.seenWrites = before + 1;
      return true;
    }
    this.cache = null;
    return false;
  }

  newId(): string {
    return randomBytes(12).toString('hex');
  }

  all(): { id: string; coin: StoredCoin }[] {
    this.box(); // a locked vault reads nothing, cached or not
    const version = this.db.pragma('data_version', { simple: true }) as number;
    const ours = writes.get(this.db) ?? 0;
    if (!this.cache || version !== this.seenVersion || ours !== this.seenWrites) {
      const rows = this.db.prepare('SELECT id, sealed FROM wallet_coins').all() as { id: string; sealed: Buffer }[];
      this.cache = new Map(rows.map((r) => [r.id, JSON.parse(this.box().open(r.sealed, coinAad(r.id)).toString('utf8')) as StoredCoin]));
      this.seenVersion = version;
      this.seenWrites = ours;
    }
    // Copies: callers spread and change what they get.
    return [...this.cache].map(([id, coin]) => ({ id, coin: structuredClone(coin) }));
  }

  put(id: string, coin: StoredCoin): void {
    this.db
      .prepare('INSERT INTO wallet_coins (id, sealed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed')
      .run(id, this.box().seal(Buffer.from(JSON.stringify(coin)), coinAad(id)));
    if (this.wrote()) this.cache?.set(id, structuredClone(coin));
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM wallet_coins WHERE id = ?').run(id);
    if (this.wrote()) this.cache?.delete(id);
  }

  addHistory(e: HistoryEntry): void {
    // The row id is not known before the insert: bind to the time and a random nonce kept beside it.
    const n = randomBytes(4).readUInt32BE(0);
    const sealed = this.box().seal(Buffer.from(JSON.stringify({ n, e })), historyAad(e.at, n));
    this.db
      .prepare('INSERT INTO wallet_history (at, sealed) VALUES (?, ?)')
      .run(e.at, Buffer.concat([Buffer.from(n.toString(16).padStart(8, '0'), 'hex'), sealed]));
  }

  history(limit = 100): HistoryEntry[] {
    const rows = this.db.prepare('SELECT at, sealed FROM wallet_history ORDER BY id DESC LIMIT ?').all(limit) as {
      at: number;
      sealed: Buffer;
    }[];
    return rows.map((r) => {
      const n = r.sealed.readUInt32BE(0);
      return (JSON.parse(this.box().open(r.sealed.subarray(4), historyAad(r.at, n)).toString('utf8')) as { e: HistoryEntry }).e;
    });
  }
}
