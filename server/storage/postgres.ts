// PostgreSQL driver (pg): a small pool for reads, one client per transaction, and
// transactions serialized so the storage rules see one writer, as with SQLite.
import pg from 'pg';
import type { Queryer, Row, SqlDriver } from './sql.js';

/** `?` → `$1…`; our SQL never has `?` inside string literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function postgresDriver(url: string): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined); // a dropped idle client is replaced on next use
  await pool.query('SELECT 1');
  const on = (c: pg.Pool | pg.PoolClient): Queryer => ({
    all: async (sql, params = []) => (await c.query(numbered(sql), params)).rows as Row[],
    run: async (sql, params = []) => (await c.query(numbered(sql), params)).rowCount ?? 0,
  });
  let chain: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'postgres',
    ...on(pool),
    exec: async (ddl) => void (await pool.query(ddl)),
    tx<T>(fn: (q: Queryer) => Promise<T>): Promise<T> {
      const run = async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await fn(on(client));
          await client.query('COMMIT');
          return out;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          client.release();
        }
      };
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    close: async () => {
      await chain;
      await pool.end();
    },
  };
}
