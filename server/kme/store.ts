// The durable key store of a simulated KME pair: the keys each KME holds for its slave SAE
// (handed to the master SAE at the other KME by enc_keys, not yet fetched by dec_keys), and
// the IDs of keys already delivered. Both KMEs of a pair share one SQLite file, so they
// agree on every key by construction: one transaction records a batch of enc_keys at the
// peer before the master SAE sees it, and one transaction deletes delivered keys (keeping
// only their IDs) before the slave SAE sees them. WAL with synchronous=FULL: a key handed
// out survives a crash or a kill of the process right after the answer.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

export interface StoredPending {
  keyId: string;
  key: Uint8Array;
  master: string;
  slave: string;
}

export class KmeKeyStore {
  /** Made with the file and kept for its life: the KMEs announce it in their status. */
  readonly id: string;
  private readonly db: Database.Database;
  private readonly stmts: {
    add: Database.Statement;
    del: Database.Statement;
    done: Database.Statement;
    forget: Database.Statement;
  };

  constructor(readonly path: string) {
    // The file holds key material: readable by its owner only, from its first byte.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS pending (kme TEXT NOT NULL, key_id TEXT NOT NULL, key BLOB NOT NULL, master TEXT NOT NULL, slave TEXT NOT NULL,
        PRIMARY KEY (kme, key_id));
      CREATE TABLE IF NOT EXISTS delivered (kme TEXT NOT NULL, key_id TEXT NOT NULL, PRIMARY KEY (kme, key_id));
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`);
    this.db.prepare("INSERT OR IGNORE INTO meta (k, v) VALUES ('id', ?)").run(randomUUID());
    this.id = (this.db.prepare("SELECT v FROM meta WHERE k = 'id'").get() as { v: string }).v;
    this.stmts = {
      add: this.db.prepare('INSERT OR REPLACE INTO pending (kme, key_id, key, master, slave) VALUES (?, ?, ?, ?, ?)'),
      del: this.db.prepare('DELETE FROM pending WHERE kme = ? AND key_id = ?'),
      done: this.db.prepare('INSERT OR IGNORE INTO delivered (kme, key_id) VALUES (?, ?)'),
      forget: this.db.prepare('DELETE FROM delivered WHERE kme = ? AND key_id = ?'),
    };
  }

  /** What KME `kmeId` held when it stopped: its pending keys (oldest first) and the IDs it delivered. */
  load(kmeId: string): { pending: StoredPending[]; delivered: string[] } {
    const pending = (
      this.db.prepare('SELECT key_id, key, master, slave FROM pending WHERE kme = ? ORDER BY rowid').all(kmeId) as {
        key_id: string;
        key: Buffer;
        master: string;
        slave: string;
      }[]
    ).map((r) => ({
      keyId: r.key_id,
      key: new Uint8Array(r.key),
      master: r.master,
      slave: r.slave,
    }));
    const delivered = (this.db.prepare('SELECT key_id FROM delivered WHERE kme = ? ORDER BY rowid').all(kmeId) as { key_id: string }[]).map(
      (r) => r.key_id,
    );
    return { pending, delivered };
  }

  /** Keys now waiting at KME `kmeId` for its slave SAE, in one transaction. */
  addPending(kmeId: string, keys: readonly StoredPending[]): void {
    this.db.transaction(() => {
      for (const k of keys) this.stmts.add.run(kmeId, k.keyId, Buffer.from(k.key), k.master, k.slave);
    })();
  }

  /** Keys KME `kmeId` no longer holds, without delivering them (dropped, evicted). */
  dropPending(kmeId: string, keyIds: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of keyIds) this.stmts.del.run(kmeId, id);
    })();
  }

  /** Keys delivered to the slave SAE: the key material is deleted, the ID kept. */
  markDelivered(kmeId: string, keyIds: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of keyIds) {
        this.stmts.del.run(kmeId, id);
        this.stmts.done.run(kmeId, id);
      }
    })();
  }

  /** Delivered IDs no longer remembered (the oldest, beyond the KME's bound). */
  forgetDelivered(kmeId: string, keyIds: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of keyIds) this.stmts.forget.run(kmeId, id);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
