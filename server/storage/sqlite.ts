// SQLite driver (better-sqlite3): WAL, one connection, one writer. Statements are cached.
//
// Group commit: transactions asked for while one batch is being written wait for the next
// batch, and each batch is one SQLite transaction, so one durable commit (one WAL fsync under
// synchronous = FULL) serves every request in it. Each transaction of the batch runs inside
// its own savepoint: one that fails is rolled back alone and the others commit. No caller's
// promise settles before its batch's COMMIT has returned, so "answered only once durable"
// holds for each of them; a COMMIT that fails (or a statement error that makes SQLite drop
// the whole transaction) fails every transaction of the batch, none of which is then on disk.
import Database from 'better-sqlite3';
import type { Queryer, Row, SqlDriver } from './sql.js';
import { prepareOwnerOnlySqlite } from '../owner-only.js';

/** Transactions one commit carries at most. */
export const MAX_GROUP = 64;

interface Job {
  fn: (q: Queryer) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface SqliteDriver extends SqlDriver {
  /** Commits so far and transactions they carried (tests, benches). */
  readonly stats: { commits: number; transactions: number };
}

export function sqliteDriver(file: string, durable = true): SqliteDriver {
  // node.db holds every mailbox's AN in clear: 0600, and so its WAL and SHM.
  prepareOwnerOnlySqlite(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const q: Queryer = {
    all: async (sql, params = []) => {
      const s = stmt(sql);
      return s.reader ? (s.all(...params) as Row[]) : (s.run(...params), []);
    },
    run: async (sql, params = []) => stmt(sql).run(...params).changes,
  };
  const stats = { commits: 0, transactions: 0 };
  const queue: Job[] = [];
  let writing: Promise<void> | null = null;

  /** One batch: BEGIN, each job in its savepoint, COMMIT; then every job settles. */
  const writeBatch = async (batch: Job[]): Promise<void> => {
    const done: { job: Job; ok: boolean; value: unknown }[] = [];
    let lost: unknown;
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      for (const job of batch) job.reject(e);
      return;
    }
    for (const job of batch) {
      if (lost !== undefined) {
        done.push({ job, ok: false, value: lost });
        continue;
      }
      db.exec('SAVEPOINT g');
      try {
        const value = await job.fn(q);
        db.exec('RELEASE g');
        done.push({ job, ok: true, value });
      } catch (e) {
        if (db.inTransaction) {
          db.exec('ROLLBACK TO g');
          db.exec('RELEASE g');
          done.push({ job, ok: false, value: e });
        } else {
          // SQLite dropped the whole transaction (I/O error, full disk): nothing of the batch stands.
          lost = e;
          for (const d of done) Object.assign(d, { ok: false, value: e });
          done.push({ job, ok: false, value: e });
        }
      }
    }
    if (lost === undefined) {
      try {
        db.exec('COMMIT');
        stats.commits++;
        stats.transactions += batch.length;
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        for (const d of done) Object.assign(d, { ok: false, value: e });
      }
    } else if (db.inTransaction) db.exec('ROLLBACK');
    for (const d of done) (d.ok ? d.job.resolve : d.job.reject)(d.value);
  };

  const drain = async (): Promise<void> => {
    // Before each batch, one turn of the event loop: requests that arrived meanwhile (while the
    // last COMMIT waited for the disk, say) are read and join it.
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (!queue.length) break;
      await writeBatch(queue.splice(0, MAX_GROUP));
    }
    writing = null;
  };

  return {
    dialect: 'sqlite',
    stats,
    ...q,
    exec: async (ddl) => void db.exec(ddl),
    tx<T>(fn: (q: Queryer) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        writing ??= drain();
      });
    },
    close: async () => {
      await writing;
      db.close();
    },
  };
}
