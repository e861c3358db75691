import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { sqliteDriver, type SqliteDriver } from './sqlite.js';
import { BlobStore } from './blobs.js';
import { INLINE_PAGE_MAX, SqlStorage } from './sql.js';
import { PAGE_SIZE } from './types.js';

const dirs: string[] = [];
const drivers: SqliteDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): { dir: string; file: string; db: SqliteDriver } {
  const dir = mkdtempSync(join(tmpdir(), 'qmail-sqlite-'));
  dirs.push(dir);
  const file = join(dir, 'node.db');
  const db = sqliteDriver(file, true);
  drivers.push(db);
  return { dir, file, db };
}

describe('sqlite group commit', () => {
  it('commits concurrent transactions together, each answered only after the commit', async () => {
    const { file, db } = fresh();
    await db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const before = { ...db.stats };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.tx(async (q) => {
          await q.run('INSERT INTO t (k, v) VALUES (?, ?)', [i, `v${i}`]);
          return i;
        }),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(db.stats.transactions - before.transactions).toBe(20);
    expect(db.stats.commits - before.commits).toBe(1);
    // Durable: another connection (a process after a crash sees what this one sees) reads every row.
    const other = new Database(file, { readonly: true });
    expect((other.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(20);
    other.close();
  });

  it('a failing transaction is rolled back alone; the others of its batch commit', async () => {
    const { db } = fresh();
    await db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const results = await Promise.allSettled([
      db.tx((q) => q.run('INSERT INTO t (k, v) VALUES (1, ?)', ['a'])),
      db.tx(async (q) => {
        await q.run('INSERT INTO t (k, v) VALUES (2, ?)', ['b']);
        throw new Error('refused');
      }),
      db.tx(async (q) => {
        await q.run('INSERT INTO t (k, v) VALUES (3, ?)', ['c']);
        await q.run('INSERT INTO t (k, v) VALUES (1, ?)', ['duplicate']); // constraint error
      }),
      db.tx((q) => q.run('INSERT INTO t (k, v) VALUES (4, ?)', ['d'])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused');
    expect((await db.all('SELECT k FROM t ORDER BY k')).map((r) => r.k)).toEqual([1, 4]);
  });

  it('transactions asked while a batch commits go in the next one, in order', async () => {
    const { db } = fresh();
    await db.exec('CREATE TABLE t (n INTEGER NOT NULL)');
    const order: number[] = [];
    const first = db.tx(async (q) => {
      await q.run('INSERT INTO t (n) VALUES (1)');
      // asked from inside a running batch: must wait for it, not join or deadlock
      void db.tx(async (q2) => {
        order.push(2);
        await q2.run('INSERT INTO t (n) VALUES (2)');
      });
      order.push(1);
    });
    await first;
    await db.tx(async () => undefined);
    expect(order).toEqual([1, 2]);
    expect((await db.all('SELECT n FROM t ORDER BY rowid')).map((r) => r.n)).toEqual([1, 2]);
  });

  it('a commit that fails fails every transaction of its batch', async () => {
    const { db } = fresh();
    await db.exec('CREATE TABLE p (k INTEGER PRIMARY KEY); CREATE TABLE c (k INTEGER REFERENCES p (k) DEFERRABLE INITIALLY DEFERRED)');
    const results = await Promise.allSettled([
      db.tx((q) => q.run('INSERT INTO p (k) VALUES (1)')),
      db.tx((q) => q.run('INSERT INTO c (k) VALUES (99)')), // a deferred foreign key fails at COMMIT
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await db.all('SELECT * FROM p')).toEqual([]);
    // the driver goes on
    await db.tx((q) => q.run('INSERT INTO p (k) VALUES (2)'));
    expect(await db.all('SELECT k FROM p')).toEqual([{ k: 2 }]);
  });
});

describe('pages kept inline', () => {
  it('small pages live in their rows (no blob file), larger ones in files; both read back and delete', async () => {
    const { dir, db } = fresh();
    const blobs = new BlobStore(join(dir, 'blobs'), true);
    const s = await SqlStorage.open(db, blobs);
    const owner = { denomination: 1, serial: 5 };
    const limits = { maxObjectBytes: 4 * PAGE_SIZE, quotaBytes: 8 * PAGE_SIZE };
    const small = { guid: new Uint8Array(randomBytes(16)), fileType: 1 };
    const big = { guid: new Uint8Array(randomBytes(16)), fileType: 1 };
    const a = new Uint8Array(randomBytes(INLINE_PAGE_MAX));
    const b = new Uint8Array(randomBytes(INLINE_PAGE_MAX + 1));
    const files = () => readdirSync(join(dir, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.blob')).length;
    await s.writePages({ owner, key: small, firstPage: 0, pages: [a] }, limits);
    expect(files()).toBe(0);
    await s.writePages({ owner, key: big, firstPage: 0, pages: [b] }, limits);
    expect(files()).toBe(1);
    expect(await s.readPage(small, 0)).toEqual(a);
    expect(await s.readRange(small, 10, 20)).toEqual(a.subarray(10, 30));
    expect(await s.readPage(big, 0)).toEqual(b);
    // replaced by a larger page: the row now names a file; and back
    await s.writePages({ owner, key: small, firstPage: 0, pages: [b], truncate: true }, limits);
    expect(files()).toBe(2);
    expect(await s.readPage(small, 0)).toEqual(b);
    await s.writePages({ owner, key: small, firstPage: 0, pages: [a], truncate: true }, limits);
    expect(files()).toBe(1);
    expect(await s.readPage(small, 0)).toEqual(a);
    expect(await s.deleteObject(small)).toBe(true);
    expect(await s.readPage(small, 0)).toBeNull();
    expect(await s.deleteObject(big)).toBe(true);
    expect(files()).toBe(0);
    await s.close();
    drivers.length = 0;
  });

  it('a node database from before gets the column; its blob rows still read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmail-sqlite-'));
    dirs.push(dir);
    const file = join(dir, 'node.db');
    const blobs = new BlobStore(join(dir, 'blobs'), false);
    await blobs.init();
    const id = await blobs.write(new Uint8Array([1, 2, 3]));
    const old = new Database(file);
    old.exec(`CREATE TABLE pages (guid BLOB NOT NULL, file_type INTEGER NOT NULL, page_no INTEGER NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL,
      PRIMARY KEY (guid, file_type, page_no));
      CREATE TABLE objects (guid BLOB NOT NULL, file_type INTEGER NOT NULL, owner_dn INTEGER NOT NULL, owner_sn BIGINT NOT NULL,
      size BIGINT NOT NULL, pages INTEGER NOT NULL, complete INTEGER NOT NULL, created_at BIGINT NOT NULL, downloaded_at BIGINT, PRIMARY KEY (guid, file_type));`);
    const guid = Buffer.from(randomBytes(16));
    old.prepare('INSERT INTO objects VALUES (?, 1, 1, 5, 3, 1, 1, 0, NULL)').run(guid);
    old.prepare('INSERT INTO pages VALUES (?, 1, 0, 3, ?)').run(guid, id);
    old.close();
    const db = sqliteDriver(file, false);
    drivers.push(db);
    const s = await SqlStorage.open(db, blobs);
    expect(await s.readPage({ guid: new Uint8Array(guid), fileType: 1 }, 0)).toEqual(new Uint8Array([1, 2, 3]));
  });
});
