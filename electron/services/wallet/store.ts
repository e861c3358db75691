// The wallet's rows in the profile: every coin and every history entry sealed (a serial or an
// AN in clear would be a bearer secret on disk), each bound to its row id.
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';

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

const coinAad = (id: string) => `qmail.wallet-coin.v1:${id}`;
const historyAad = (at: number, n: number) => `qmail.wallet-history.v1:${at}:${n}`;

export class WalletStore {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  /** Runs fn in one transaction: a crash leaves the wallet as before or as after. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  newId(): string {
    return randomBytes(12).toString('hex');
  }

  all(): { id: string; coin: StoredCoin }[] {
    const rows = this.db.prepare('SELECT id, sealed FROM wallet_coins').all() as { id: string; sealed: Buffer }[];
    return rows.map((r) => ({ id: r.id, coin: JSON.parse(this.box().open(r.sealed, coinAad(r.id)).toString('utf8')) as StoredCoin }));
  }

  put(id: string, coin: StoredCoin): void {
    this.db
      .prepare('INSERT INTO wallet_coins (id, sealed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed')
      .run(id, this.box().seal(Buffer.from(JSON.stringify(coin)), coinAad(id)));
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM wallet_coins WHERE id = ?').run(id);
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
