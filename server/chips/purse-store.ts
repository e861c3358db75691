// The beacon's purse on disk: purse.db in the node's data folder (0600), one row a coin and
// one a history entry, as JSON. The node's database holds its own ANs in clear too; the
// purse's ANs are the operator's coins, and the file is the operator's alone.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { CoinStore, HistoryEntry, StoredCoin } from './wallet.js';

export class PurseStore implements CoinStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS purse_coins (id TEXT PRIMARY KEY, coin TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS purse_history (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entry TEXT NOT NULL);`);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  newId(): string {
    return randomBytes(12).toString('hex');
  }

  all(): { id: string; coin: StoredCoin }[] {
    const rows = this.db.prepare('SELECT id, coin FROM purse_coins').all() as { id: string; coin: string }[];
    return rows.map((r) => ({ id: r.id, coin: JSON.parse(r.coin) as StoredCoin }));
  }

  put(id: string, coin: StoredCoin): void {
    this.db
      .prepare('INSERT INTO purse_coins (id, coin) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET coin = excluded.coin')
      .run(id, JSON.stringify(coin));
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM purse_coins WHERE id = ?').run(id);
  }

  addHistory(e: HistoryEntry): void {
    this.db.prepare('INSERT INTO purse_history (at, entry) VALUES (?, ?)').run(e.at, JSON.stringify(e));
  }

  history(limit = 100): HistoryEntry[] {
    const rows = this.db.prepare('SELECT entry FROM purse_history ORDER BY id DESC LIMIT ?').all(limit) as { entry: string }[];
    return rows.map((r) => JSON.parse(r.entry) as HistoryEntry);
  }

  close(): void {
    this.db.close();
  }
}
