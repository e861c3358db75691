// SQLite driver (better-sqlite3): WAL, one connection, one writer. Statements are cached.
import Database from 'better-sqlite3';
import type { Queryer, Row, SqlDriver } from './sql.js';
import { prepareOwnerOnlySqlite } from '../owner-only.js';

export function sqliteDriver(file: string, durable = true): SqlDriver {
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
  let chain: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    ...q,
    exec: async (ddl) => void db.exec(ddl),
    tx<T>(fn: (q: Queryer) => Promise<T>): Promise<T> {
      const run = async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(q);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      };
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    close: async () => {
      await chain;
      db.close();
    },
  };
}
