// The QKD key cache's two tables: keys fetched ahead (each sealed by the cache's box) and
// the ledger of keys already used. One transaction per change, so a key leaves the cache
// and enters the ledger together. The profile's tables come from migration 2; a standalone
// database (a test, the bench) gets the same schema here.
import { qkdCacheSchema, type Db } from './database.js';
import type { Statement } from 'better-sqlite3';

export interface QkdCacheRow {
  kme: string;
  id: string;
  sealed: Uint8Array;
  at: number;
}

export interface QkdCacheChange {
  add: QkdCacheRow[];
  /** Cached keys leaving the cache, as [kme, id]. */
  remove: [string, string][];
  /** Ledger entries for keys used. */
  use: string[];
  now: number;
}

export class QkdCacheTables {
  private readonly keysT: string;
  private readonly usedT: string;
  private stmts?: { ins: Statement; del: Statement; use: Statement };

  /** `prefix` must be a plain SQL name (the caller checks it). */
  constructor(
    private readonly db: Db,
    prefix: string,
  ) {
    this.keysT = `${prefix}_keys`;
    this.usedT = `${prefix}_used`;
    db.exec(qkdCacheSchema(prefix));
  }

  keys(): QkdCacheRow[] {
    return this.db.prepare(`SELECT kme, id, sealed, at FROM ${this.keysT} ORDER BY at, rowid`).all() as QkdCacheRow[];
  }

  used(): string[] {
    return (this.db.prepare(`SELECT entry FROM ${this.usedT}`).all() as { entry: string }[]).map((r) => r.entry);
  }

  apply(change: QkdCacheChange): void {
    this.stmts ??= {
      ins: this.db.prepare(`INSERT INTO ${this.keysT} (kme, id, sealed, at) VALUES (?, ?, ?, ?)`),
      del: this.db.prepare(`DELETE FROM ${this.keysT} WHERE kme = ? AND id = ?`),
      use: this.db.prepare(`INSERT INTO ${this.usedT} (entry, at) VALUES (?, ?)`),
    };
    const { ins, del, use } = this.stmts;
    this.db.transaction(() => {
      for (const k of change.add) ins.run(k.kme, k.id, k.sealed, k.at);
      for (const [kme, id] of change.remove) del.run(kme, id);
      for (const e of change.use) use.run(e, change.now);
    })();
  }
}
