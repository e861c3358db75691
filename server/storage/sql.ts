// One storage implementation over a minimal SQL driver, so SQLite and PostgreSQL share
// every rule (quota, page layout, gate lookups) and the same tests prove both.
import { BlobError, type BlobStore } from './blobs.js';
import { ChipStore, chipsSchema } from './chips.js';
import { HireStore, hiresSchema } from './hires.js';
import {
  PAGE_SIZE,
  StorageError,
  type DrdUserRecord,
  type ListKind,
  type Mailbox,
  type ObjectInfo,
  type ObjectKey,
  type PageWrite,
  type Storage,
  type TellRecord,
} from './types.js';

export type Row = Record<string, unknown>;
export interface Queryer {
  /** `?` placeholders; the driver translates for its dialect. */
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
}
export interface SqlDriver extends Queryer {
  readonly dialect: 'sqlite' | 'postgres';
  exec(ddl: string): Promise<void>;
  /** Runs fn in one transaction; transactions never overlap. */
  tx<T>(fn: (q: Queryer) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function schema(dialect: 'sqlite' | 'postgres'): string {
  const BLOB = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  const SERIAL = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  return `
CREATE TABLE IF NOT EXISTS ans (dn INTEGER NOT NULL, sn BIGINT NOT NULL, an ${BLOB} NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (dn, sn));
CREATE TABLE IF NOT EXISTS objects (guid ${BLOB} NOT NULL, file_type INTEGER NOT NULL, owner_dn INTEGER NOT NULL, owner_sn BIGINT NOT NULL,
  size BIGINT NOT NULL, pages INTEGER NOT NULL, complete INTEGER NOT NULL, created_at BIGINT NOT NULL, downloaded_at BIGINT, PRIMARY KEY (guid, file_type));
CREATE INDEX IF NOT EXISTS objects_owner ON objects (owner_dn, owner_sn);
CREATE INDEX IF NOT EXISTS objects_created ON objects (created_at);
CREATE TABLE IF NOT EXISTS pages (guid ${BLOB} NOT NULL, file_type INTEGER NOT NULL, page_no INTEGER NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL,
  data ${BLOB}, PRIMARY KEY (guid, file_type, page_no));
CREATE TABLE IF NOT EXISTS tells (id ${SERIAL}, r_dn INTEGER NOT NULL, r_sn BIGINT NOT NULL, s_dn INTEGER NOT NULL, s_sn BIGINT NOT NULL,
  blob ${BLOB} NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS tells_recipient ON tells (r_dn, r_sn, id);
CREATE INDEX IF NOT EXISTS tells_created ON tells (created_at);
CREATE TABLE IF NOT EXISTS drd_users (dn INTEGER NOT NULL, sn BIGINT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
  first_lc TEXT NOT NULL, last_lc TEXT NOT NULL, fee TEXT NOT NULL, symbol1 INTEGER NOT NULL, symbol2 INTEGER NOT NULL,
  class_reject INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (dn, sn));
CREATE INDEX IF NOT EXISTS drd_users_last ON drd_users (last_lc);
CREATE INDEX IF NOT EXISTS drd_users_first ON drd_users (first_lc);
CREATE TABLE IF NOT EXISTS drd_lists (o_dn INTEGER NOT NULL, o_sn BIGINT NOT NULL, m_dn INTEGER NOT NULL, m_sn BIGINT NOT NULL, kind INTEGER NOT NULL,
  PRIMARY KEY (o_dn, o_sn, m_dn, m_sn));
CREATE TABLE IF NOT EXISTS replays (id ${BLOB} PRIMARY KEY, seen_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS replays_seen ON replays (seen_at);`;
}

/**
 * Pages up to this size are kept in the database row itself (\`pages.data\`, \`blob\` empty)
 * and become durable with the transaction's one commit; larger ones are blob files, each
 * written and fsynced (file and folder) before the row commits. A stripe or key capsule of an
 * ordinary message is a few KiB: as a file it cost two fsyncs of its own.
 */
export const INLINE_PAGE_MAX = 64 * 1024;

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const bytes = (v: unknown) => new Uint8Array(v as Buffer);
const num = (v: unknown) => Number(v);
const LIST_KIND: Record<ListKind, number> = { white: 0, black: 1 };
const kindOf = (n: unknown): ListKind => (num(n) === 1 ? 'black' : 'white');

function objectRow(r: Row): ObjectInfo {
  return {
    owner: { denomination: num(r.owner_dn), serial: num(r.owner_sn) },
    guid: bytes(r.guid),
    fileType: num(r.file_type),
    size: num(r.size),
    pages: num(r.pages),
    complete: num(r.complete) === 1,
    createdAt: num(r.created_at),
    downloadedAt: r.downloaded_at === null || r.downloaded_at === undefined ? null : num(r.downloaded_at),
  };
}
function userRow(r: Row): DrdUserRecord {
  return {
    mailbox: { denomination: num(r.dn), serial: num(r.sn) },
    firstName: String(r.first_name),
    lastName: String(r.last_name),
    fee: BigInt(String(r.fee)),
    symbol1: num(r.symbol1),
    symbol2: num(r.symbol2),
    classReject: num(r.class_reject),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

export class SqlStorage implements Storage {
  readonly chips: ChipStore;
  readonly hires: HireStore;
  private constructor(
    private readonly db: SqlDriver,
    private readonly blobs: BlobStore,
    private readonly now: () => number,
  ) {
    this.chips = new ChipStore(db, now);
    this.hires = new HireStore(db, now);
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  static async open(db: SqlDriver, blobs: BlobStore, now: () => number = Date.now): Promise<SqlStorage> {
    await blobs.init();
    await db.exec(schema(db.dialect));
    // A node database from before inline pages gets the column (its rows all name blob files).
    if (db.dialect === 'postgres') await db.exec('ALTER TABLE pages ADD COLUMN IF NOT EXISTS data BYTEA');
    else if (!(await db.all('PRAGMA table_info(pages)')).some((c) => c.name === 'data'))
      await db.exec('ALTER TABLE pages ADD COLUMN data BLOB');
    await db.exec(chipsSchema(db.dialect));
    await db.exec(hiresSchema(db.dialect));
    const s = new SqlStorage(db, blobs, now);
    const live = new Set((await db.all("SELECT blob FROM pages WHERE blob <> ''")).map((r) => String(r.blob)));
    await blobs.sweep((id) => live.has(id));
    return s;
  }

  async getAn(mb: Mailbox): Promise<Uint8Array | null> {
    const rows = await this.db.all('SELECT an FROM ans WHERE dn = ? AND sn = ?', [mb.denomination, mb.serial]);
    return rows[0] ? bytes(rows[0].an) : null;
  }

  async setAn(mb: Mailbox, an: Uint8Array): Promise<void> {
    await this.db.tx((q) =>
      q.run(
        'INSERT INTO ans (dn, sn, an, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (dn, sn) DO UPDATE SET an = excluded.an, updated_at = excluded.updated_at',
        [mb.denomination, mb.serial, buf(an), this.now()],
      ),
    );
  }

  async admitRequest(id: Uint8Array, at: number, forgetBefore: number): Promise<boolean> {
    return this.db.tx(async (q) => {
      // Replay memory need not wait for the disk flush (security.md): one request, one commit.
      if (this.db.dialect === 'postgres') await q.run('SET LOCAL synchronous_commit TO OFF');
      if ((await q.run('INSERT INTO replays (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [buf(id), at])) === 1) return true;
      // Seen before: admitted again only once that record is older than the window.
      return (await q.run('UPDATE replays SET seen_at = ? WHERE id = ? AND seen_at < ?', [at, buf(id), forgetBefore])) === 1;
    });
  }

  async forgetRequests(before: number): Promise<number> {
    return this.db.tx((q) => q.run('DELETE FROM replays WHERE seen_at < ?', [before]));
  }

  async writePages(w: PageWrite, limits: { maxObjectBytes: number; quotaBytes: number }): Promise<ObjectInfo> {
    const { firstPage, pages } = w;
    if (!Number.isInteger(firstPage) || firstPage < 0 || firstPage + pages.length > 0xffff + 1)
      throw new StorageError('bad_page', `bad page number ${firstPage}`);
    if (pages.length === 0) throw new StorageError('bad_page', 'no pages to write');
    for (const p of pages) if (p.length > PAGE_SIZE) throw new StorageError('bad_page', `page of ${p.length} bytes exceeds ${PAGE_SIZE}`);
    const end = (firstPage + pages.length - 1) * PAGE_SIZE + pages[pages.length - 1]!.length;
    if (end > limits.maxObjectBytes || (w.expectPages !== undefined && (w.expectPages - 1) * PAGE_SIZE >= limits.maxObjectBytes)) {
      throw new StorageError('too_large', `object would exceed ${limits.maxObjectBytes} bytes`);
    }
    // '' for a page kept inline (INLINE_PAGE_MAX), else the blob file written for it.
    const blobs: string[] = [];
    try {
      if (pages.some((p) => p.length <= INLINE_PAGE_MAX)) await this.blobs.assertWritable();
      for (const p of pages) blobs.push(p.length <= INLINE_PAGE_MAX ? '' : await this.blobs.write(p));
    } catch (e) {
      for (const b of blobs) if (b) await this.blobs.remove(b);
      throw e;
    }
    const g = buf(w.key.guid);
    const replaced: string[] = [];
    try {
      const info = await this.db.tx(async (q) => {
        const cur = (await q.all('SELECT * FROM objects WHERE guid = ? AND file_type = ?', [g, w.key.fileType]))[0];
        const obj = cur ? objectRow(cur) : null;
        if (obj && (obj.owner.denomination !== w.owner.denomination || obj.owner.serial !== w.owner.serial)) {
          throw new StorageError('conflict', 'object belongs to another mailbox');
        }
        let removed = 0;
        const dropped = w.truncate
          ? await q.all('SELECT size, blob, page_no FROM pages WHERE guid = ? AND file_type = ? AND (page_no < ? OR page_no >= ?)', [
              g,
              w.key.fileType,
              firstPage,
              firstPage + pages.length,
            ])
          : [];
        for (const r of dropped) {
          removed += num(r.size);
          if (r.blob) replaced.push(String(r.blob));
        }
        if (w.truncate)
          await q.run('DELETE FROM pages WHERE guid = ? AND file_type = ? AND (page_no < ? OR page_no >= ?)', [
            g,
            w.key.fileType,
            firstPage,
            firstPage + pages.length,
          ]);
        let added = 0;
        for (let i = 0; i < pages.length; i++) {
          const pageNo = firstPage + i;
          const data = pages[i]!;
          const old = (
            await q.all('SELECT size, blob FROM pages WHERE guid = ? AND file_type = ? AND page_no = ?', [g, w.key.fileType, pageNo])
          )[0];
          const inline = blobs[i] ? null : buf(data);
          if (old) {
            removed += num(old.size);
            if (old.blob) replaced.push(String(old.blob));
            await q.run('UPDATE pages SET size = ?, blob = ?, data = ? WHERE guid = ? AND file_type = ? AND page_no = ?', [
              data.length,
              blobs[i],
              inline,
              g,
              w.key.fileType,
              pageNo,
            ]);
          } else {
            await q.run('INSERT INTO pages (guid, file_type, page_no, size, blob, data) VALUES (?, ?, ?, ?, ?, ?)', [
              g,
              w.key.fileType,
              pageNo,
              data.length,
              blobs[i],
              inline,
            ]);
          }
          added += data.length;
        }
        const size = (obj?.size ?? 0) - removed + added;
        if (size > limits.maxObjectBytes) throw new StorageError('too_large', `object would exceed ${limits.maxObjectBytes} bytes`);
        const used = num(
          (
            await q.all('SELECT COALESCE(SUM(size), 0) AS u FROM objects WHERE owner_dn = ? AND owner_sn = ?', [
              w.owner.denomination,
              w.owner.serial,
            ])
          )[0]?.u ?? 0,
        );
        if (used - (obj?.size ?? 0) + size > limits.quotaBytes)
          throw new StorageError('quota', `mailbox quota of ${limits.quotaBytes} bytes exceeded`);
        // Aggregates, not the page list: an object written page by page would otherwise cost
        // time in the square of its page count (a 1 GiB stripe is thousands of pages).
        const agg = (
          await q.all(
            `SELECT COUNT(*) AS n, MIN(page_no) AS lo, MAX(page_no) AS hi,
             SUM(CASE WHEN size <> ? THEN 1 ELSE 0 END) AS short, MAX(CASE WHEN size <> ? THEN page_no ELSE -1 END) AS last_short
           FROM pages WHERE guid = ? AND file_type = ?`,
            [PAGE_SIZE, PAGE_SIZE, g, w.key.fileType],
          )
        )[0]!;
        const count = num(agg.n);
        const hi = count === 0 ? -1 : num(agg.hi);
        const short = num(agg.short ?? 0);
        const contiguous =
          count > 0 && num(agg.lo) === 0 && hi === count - 1 && (short === 0 || (short === 1 && num(agg.last_short) === hi));
        let complete = false;
        if (w.expectPages === undefined) {
          // The whole object arrived in this call: it must be laid out as full pages + a last one.
          if (!contiguous) throw new StorageError('bad_page', 'object pages are not contiguous full pages');
          complete = true;
        } else if (hi >= w.expectPages) {
          throw new StorageError('bad_page', `page beyond the announced ${w.expectPages} pages`);
        } else if (count === w.expectPages) {
          if (!contiguous) throw new StorageError('bad_page', 'object pages are not contiguous full pages');
          complete = true;
        }
        if (obj) {
          await q.run('UPDATE objects SET size = ?, pages = ?, complete = ? WHERE guid = ? AND file_type = ?', [
            size,
            count,
            complete ? 1 : 0,
            g,
            w.key.fileType,
          ]);
        } else {
          await q.run(
            'INSERT INTO objects (guid, file_type, owner_dn, owner_sn, size, pages, complete, created_at, downloaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)',
            [g, w.key.fileType, w.owner.denomination, w.owner.serial, size, count, complete ? 1 : 0, this.now()],
          );
        }
        return {
          owner: w.owner,
          guid: w.key.guid,
          fileType: w.key.fileType,
          size,
          pages: count,
          complete,
          createdAt: obj?.createdAt ?? this.now(),
          downloadedAt: obj?.downloadedAt ?? null,
        };
      });
      for (const b of replaced) await this.blobs.remove(b);
      return info;
    } catch (e) {
      for (const b of blobs) if (b) await this.blobs.remove(b);
      throw e;
    }
  }

  async readRange(key: ObjectKey, offset: number, length: number): Promise<Uint8Array | null> {
    const info = await this.getObject(key);
    if (!info || offset < 0 || length < 0 || offset > info.size) return null;
    const end = Math.min(info.size, offset + length);
    const out = new Uint8Array(end - offset);
    for (let p = Math.floor(offset / PAGE_SIZE); p * PAGE_SIZE < end; p++) {
      const page = await this.readPage(key, p);
      if (!page) return null;
      const from = Math.max(offset, p * PAGE_SIZE);
      const to = Math.min(end, p * PAGE_SIZE + page.length);
      out.set(page.subarray(from - p * PAGE_SIZE, to - p * PAGE_SIZE), from - offset);
    }
    return out;
  }

  async getObject(key: ObjectKey): Promise<ObjectInfo | null> {
    const r = (await this.db.all('SELECT * FROM objects WHERE guid = ? AND file_type = ?', [buf(key.guid), key.fileType]))[0];
    return r ? objectRow(r) : null;
  }

  async readPage(key: ObjectKey, pageNo: number): Promise<Uint8Array | null> {
    const r = (
      await this.db.all('SELECT blob, data FROM pages WHERE guid = ? AND file_type = ? AND page_no = ?', [
        buf(key.guid),
        key.fileType,
        pageNo,
      ])
    )[0];
    if (!r) return null;
    if (!r.blob) return bytes(r.data ?? Buffer.alloc(0));
    try {
      return await this.blobs.read(String(r.blob));
    } catch (e) {
      if (e instanceof BlobError) return null; // deleted under us by retention
      throw e;
    }
  }

  async pageNumbers(key: ObjectKey): Promise<number[]> {
    const rows = await this.db.all('SELECT page_no FROM pages WHERE guid = ? AND file_type = ? ORDER BY page_no', [
      buf(key.guid),
      key.fileType,
    ]);
    return rows.map((r) => num(r.page_no));
  }

  async markDownloaded(key: ObjectKey, at: number): Promise<void> {
    await this.db.tx((q) =>
      q.run('UPDATE objects SET downloaded_at = ? WHERE guid = ? AND file_type = ? AND downloaded_at IS NULL', [
        at,
        buf(key.guid),
        key.fileType,
      ]),
    );
  }

  private async deleteObjects(keys: { guid: Buffer; fileType: number }[]): Promise<number> {
    const doomed: string[] = [];
    await this.db.tx(async (q) => {
      for (const k of keys) {
        for (const r of await q.all("SELECT blob FROM pages WHERE guid = ? AND file_type = ? AND blob <> ''", [k.guid, k.fileType]))
          doomed.push(String(r.blob));
        await q.run('DELETE FROM pages WHERE guid = ? AND file_type = ?', [k.guid, k.fileType]);
        await q.run('DELETE FROM objects WHERE guid = ? AND file_type = ?', [k.guid, k.fileType]);
      }
    });
    for (const id of doomed) await this.blobs.remove(id);
    return keys.length;
  }

  async deleteObject(key: ObjectKey): Promise<boolean> {
    const exists = await this.getObject(key);
    if (!exists) return false;
    await this.deleteObjects([{ guid: buf(key.guid), fileType: key.fileType }]);
    return true;
  }

  async usage(owner: Mailbox): Promise<number> {
    const r = await this.db.all('SELECT COALESCE(SUM(size), 0) AS u FROM objects WHERE owner_dn = ? AND owner_sn = ?', [
      owner.denomination,
      owner.serial,
    ]);
    return num(r[0]?.u ?? 0);
  }

  async putTell(recipient: Mailbox, sender: Mailbox, blob: Uint8Array, maxPerInbox: number, maxFromSender = Infinity): Promise<number> {
    return this.db.tx(async (q) => {
      const n = num(
        (await q.all('SELECT COUNT(*) AS n FROM tells WHERE r_dn = ? AND r_sn = ?', [recipient.denomination, recipient.serial]))[0]?.n ?? 0,
      );
      if (n >= maxPerInbox) throw new StorageError('quota', `inbox holds ${n} pending tells`);
      if (maxFromSender !== Infinity) {
        const from = [recipient.denomination, recipient.serial, sender.denomination, sender.serial];
        const m = num(
          (await q.all('SELECT COUNT(*) AS n FROM tells WHERE r_dn = ? AND r_sn = ? AND s_dn = ? AND s_sn = ?', from))[0]?.n ?? 0,
        );
        if (m >= maxFromSender) throw new StorageError('sender_quota', `inbox holds ${m} pending tells from this sender`);
      }
      const rows = await q.all('INSERT INTO tells (r_dn, r_sn, s_dn, s_sn, blob, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id', [
        recipient.denomination,
        recipient.serial,
        sender.denomination,
        sender.serial,
        buf(blob),
        this.now(),
      ]);
      return num(rows[0]?.id);
    });
  }

  async listTells(recipient: Mailbox, limit: number): Promise<TellRecord[]> {
    const rows = await this.db.all('SELECT * FROM tells WHERE r_dn = ? AND r_sn = ? ORDER BY id DESC LIMIT ?', [
      recipient.denomination,
      recipient.serial,
      limit,
    ]);
    return rows.map((r) => ({
      id: num(r.id),
      recipient: { denomination: num(r.r_dn), serial: num(r.r_sn) },
      sender: { denomination: num(r.s_dn), serial: num(r.s_sn) },
      blob: bytes(r.blob),
      createdAt: num(r.created_at),
    }));
  }

  async deleteTells(recipient: Mailbox, ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.tx(async (q) => {
      let n = 0;
      for (const id of ids)
        n += await q.run('DELETE FROM tells WHERE r_dn = ? AND r_sn = ? AND id = ?', [recipient.denomination, recipient.serial, id]);
      return n;
    });
  }

  async putUser(rec: DrdUserRecord): Promise<void> {
    await this.db.tx((q) =>
      q.run(
        `INSERT INTO drd_users (dn, sn, first_name, last_name, first_lc, last_lc, fee, symbol1, symbol2, class_reject, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dn, sn) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, first_lc = excluded.first_lc,
         last_lc = excluded.last_lc, fee = excluded.fee, symbol1 = excluded.symbol1, symbol2 = excluded.symbol2, class_reject = excluded.class_reject,
         updated_at = excluded.updated_at`,
        [
          rec.mailbox.denomination,
          rec.mailbox.serial,
          rec.firstName,
          rec.lastName,
          rec.firstName.toLowerCase(),
          rec.lastName.toLowerCase(),
          rec.fee.toString(),
          rec.symbol1,
          rec.symbol2,
          rec.classReject,
          rec.createdAt,
          rec.updatedAt,
        ],
      ),
    );
  }

  async getUser(mb: Mailbox): Promise<DrdUserRecord | null> {
    const r = (await this.db.all('SELECT * FROM drd_users WHERE dn = ? AND sn = ?', [mb.denomination, mb.serial]))[0];
    return r ? userRow(r) : null;
  }

  async searchUsers(query: { firstName?: string; lastName?: string }, limit: number): Promise<DrdUserRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.firstName !== undefined) {
      where.push("first_lc LIKE ? ESCAPE '\\'");
      params.push(escapeLike(query.firstName.toLowerCase()) + '%');
    }
    if (query.lastName !== undefined) {
      where.push("last_lc LIKE ? ESCAPE '\\'");
      params.push(escapeLike(query.lastName.toLowerCase()) + '%');
    }
    if (where.length === 0) return [];
    const rows = await this.db.all(`SELECT * FROM drd_users WHERE ${where.join(' AND ')} ORDER BY last_lc, first_lc, dn, sn LIMIT ?`, [
      ...params,
      limit,
    ]);
    return rows.map(userRow);
  }

  async deleteUser(mb: Mailbox): Promise<boolean> {
    return (await this.db.tx((q) => q.run('DELETE FROM drd_users WHERE dn = ? AND sn = ?', [mb.denomination, mb.serial]))) > 0;
  }

  async listSet(owner: Mailbox, kind: ListKind, member: Mailbox): Promise<void> {
    await this.db.tx((q) =>
      q.run(
        'INSERT INTO drd_lists (o_dn, o_sn, m_dn, m_sn, kind) VALUES (?, ?, ?, ?, ?) ON CONFLICT (o_dn, o_sn, m_dn, m_sn) DO UPDATE SET kind = excluded.kind',
        [owner.denomination, owner.serial, member.denomination, member.serial, LIST_KIND[kind]],
      ),
    );
  }

  async listRemove(owner: Mailbox, member: Mailbox): Promise<boolean> {
    return (
      (await this.db.tx((q) =>
        q.run('DELETE FROM drd_lists WHERE o_dn = ? AND o_sn = ? AND m_dn = ? AND m_sn = ?', [
          owner.denomination,
          owner.serial,
          member.denomination,
          member.serial,
        ]),
      )) > 0
    );
  }

  async listGet(owner: Mailbox, kind?: ListKind): Promise<{ member: Mailbox; kind: ListKind }[]> {
    const rows =
      kind === undefined
        ? await this.db.all('SELECT m_dn, m_sn, kind FROM drd_lists WHERE o_dn = ? AND o_sn = ? ORDER BY m_dn, m_sn', [
            owner.denomination,
            owner.serial,
          ])
        : await this.db.all('SELECT m_dn, m_sn, kind FROM drd_lists WHERE o_dn = ? AND o_sn = ? AND kind = ? ORDER BY m_dn, m_sn', [
            owner.denomination,
            owner.serial,
            LIST_KIND[kind],
          ]);
    return rows.map((r) => ({ member: { denomination: num(r.m_dn), serial: num(r.m_sn) }, kind: kindOf(r.kind) }));
  }

  async listLookup(owner: Mailbox, member: Mailbox): Promise<ListKind | null> {
    const r = (
      await this.db.all('SELECT kind FROM drd_lists WHERE o_dn = ? AND o_sn = ? AND m_dn = ? AND m_sn = ?', [
        owner.denomination,
        owner.serial,
        member.denomination,
        member.serial,
      ])
    )[0];
    return r ? kindOf(r.kind) : null;
  }

  async sweep(before: number, deleteDownloaded: boolean): Promise<{ objects: number; tells: number }> {
    const rows = await this.db.all(
      deleteDownloaded
        ? 'SELECT guid, file_type FROM objects WHERE created_at < ? OR downloaded_at IS NOT NULL'
        : 'SELECT guid, file_type FROM objects WHERE created_at < ?',
      [before],
    );
    const objects = rows.length ? await this.deleteObjects(rows.map((r) => ({ guid: r.guid as Buffer, fileType: num(r.file_type) }))) : 0;
    const tells = await this.db.tx((q) => q.run('DELETE FROM tells WHERE created_at < ?', [before]));
    return { objects, tells };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
