import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStorage, PAGE_SIZE, StorageError, type Storage } from './index.js';
import { createDatabase, startPostgres, type PgCluster } from '../testing/postgres.js';

const A = { denomination: 1, serial: 1001 };
const B = { denomination: -1, serial: 0xfffffffe };
const limits = { maxObjectBytes: 3 * PAGE_SIZE, quotaBytes: 4 * PAGE_SIZE };
const guid = () => new Uint8Array(randomBytes(16));

let pgc: PgCluster | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await pgc?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends: [string, () => Promise<{ s: Storage; dir: string }>][] = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qmail-st-'));
      dirs.push(dir);
      return { s: await openStorage({ dataDir: dir, backend: 'sqlite', durable: false }), dir };
    },
  ],
  [
    'postgres',
    async () => {
      pgc ??= await startPostgres();
      const dir = mkdtempSync(join(tmpdir(), 'qmail-st-'));
      dirs.push(dir);
      const url = await createDatabase(pgc, 'st_' + randomBytes(4).toString('hex'));
      return { s: await openStorage({ dataDir: dir, backend: 'postgres', postgresUrl: url, durable: false }), dir };
    },
  ],
];

describe.each(backends)('storage on %s', (_name, open) => {
  let s: Storage;
  let dir: string;
  beforeAll(async () => {
    ({ s, dir } = await open());
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('registers and replaces ANs per mailbox', async () => {
    expect(await s.getAn(A)).toBeNull();
    const an1 = new Uint8Array(randomBytes(16));
    const an2 = new Uint8Array(randomBytes(16));
    await s.setAn(A, an1);
    await s.setAn(B, an2);
    expect(await s.getAn(A)).toEqual(an1);
    await s.setAn(A, an2);
    expect(await s.getAn(A)).toEqual(an2);
    expect(await s.getAn(B)).toEqual(an2);
  });

  it('stores pages byte-identical and enforces page layout, object size and quota', async () => {
    const key = { guid: guid(), fileType: 10 };
    const p0 = new Uint8Array(randomBytes(PAGE_SIZE));
    const p1 = new Uint8Array(randomBytes(1234));
    // upload_large_page style: pages in any order, complete when all are in
    let info = await s.writePages({ owner: A, key, firstPage: 1, pages: [p1], expectPages: 2 }, limits);
    expect(info.complete).toBe(false);
    info = await s.writePages({ owner: A, key, firstPage: 0, pages: [p0], expectPages: 2 }, limits);
    expect(info).toMatchObject({ size: PAGE_SIZE + 1234, pages: 2, complete: true });
    expect(await s.readPage(key, 0)).toEqual(p0);
    expect(await s.readPage(key, 1)).toEqual(p1);
    expect(await s.readPage(key, 2)).toBeNull();
    expect(await s.readRange(key, PAGE_SIZE - 10, 20)).toEqual(new Uint8Array([...p0.subarray(PAGE_SIZE - 10), ...p1.subarray(0, 10)]));
    expect(await s.readRange(key, PAGE_SIZE + 1200, 999)).toEqual(p1.subarray(1200));
    expect((await s.getObject(key))?.owner).toEqual(A);
    expect(await s.usage(A)).toBe(PAGE_SIZE + 1234);
    // another mailbox cannot write into it
    await expect(s.writePages({ owner: B, key, firstPage: 0, pages: [p1] }, limits)).rejects.toMatchObject({ code: 'conflict' });
    // a short middle page cannot make a whole object; a page beyond the announced count is refused
    const k2 = { guid: guid(), fileType: 1 };
    await expect(s.writePages({ owner: A, key: k2, firstPage: 0, pages: [p1, p1] }, limits)).rejects.toMatchObject({ code: 'bad_page' });
    await expect(s.writePages({ owner: A, key: k2, firstPage: 2, pages: [p1], expectPages: 2 }, limits)).rejects.toMatchObject({
      code: 'bad_page',
    });
    expect(await s.getObject(k2)).toBeNull();
    // (in B's mailbox, so A's quota below is untouched) page by page with a short page in the middle: all pages in, yet not a whole object
    const k4 = { guid: guid(), fileType: 12 };
    await s.writePages({ owner: B, key: k4, firstPage: 0, pages: [p1], expectPages: 3 }, limits);
    await s.writePages({ owner: B, key: k4, firstPage: 2, pages: [p1], expectPages: 3 }, limits);
    await expect(s.writePages({ owner: B, key: k4, firstPage: 1, pages: [p0], expectPages: 3 }, limits)).rejects.toMatchObject({
      code: 'bad_page',
    });
    // and with every page full but the last, written out of order, it is whole at the last one
    const k5 = { guid: guid(), fileType: 13 };
    for (const [n, page] of [
      [2, p1],
      [0, p0],
    ] as const)
      expect((await s.writePages({ owner: B, key: k5, firstPage: n, pages: [page], expectPages: 3 }, limits)).complete).toBe(false);
    expect(await s.writePages({ owner: B, key: k5, firstPage: 1, pages: [p0], expectPages: 3 }, limits)).toMatchObject({
      pages: 3,
      complete: true,
      size: 2 * PAGE_SIZE + 1234,
    });
    for (const k of [k4, k5]) expect(await s.deleteObject(k)).toBe(true);
    // too large and over quota
    await expect(s.writePages({ owner: A, key: k2, firstPage: 3, pages: [p1], expectPages: 4 }, limits)).rejects.toMatchObject({
      code: 'too_large',
    });
    await expect(s.writePages({ owner: A, key: k2, firstPage: 0, pages: [new Uint8Array(PAGE_SIZE + 1)] }, limits)).rejects.toBeInstanceOf(
      StorageError,
    );
    const k3 = { guid: guid(), fileType: 11 };
    await s.writePages({ owner: A, key: k3, firstPage: 0, pages: [p0], expectPages: 3 }, limits);
    await s.writePages({ owner: A, key: k3, firstPage: 1, pages: [p0], expectPages: 3 }, limits);
    await expect(s.writePages({ owner: A, key: k3, firstPage: 2, pages: [p0], expectPages: 3 }, limits)).rejects.toMatchObject({
      code: 'quota',
    });
    // a one-shot re-upload replaces the whole object
    info = await s.writePages({ owner: A, key: k3, firstPage: 0, pages: [p1], truncate: true }, limits);
    expect(info).toMatchObject({ size: 1234, pages: 1, complete: true });
    expect(await s.readPage(k3, 0)).toEqual(p1);
    expect(await s.readPage(k3, 1)).toBeNull();
    expect(await s.deleteObject(k3)).toBe(true);
    expect(await s.deleteObject(k3)).toBe(false);
    expect(await s.readPage(k3, 0)).toBeNull();
    const blobFiles = readdirSync(join(dir, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.blob'));
    // only `key` remains: its full first page as a file, its 1234-byte last page in its row (INLINE_PAGE_MAX)
    expect(blobFiles.length).toBe(1);
  });

  it('queues tells per inbox, newest first, caps them per inbox and per sender, deletes acknowledged ones', async () => {
    const R = { denomination: 0, serial: 77 };
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await s.putTell(R, A, new Uint8Array([i, 1, 2]), 3));
    await expect(s.putTell(R, A, new Uint8Array([9]), 3)).rejects.toMatchObject({ code: 'quota' });
    await expect(s.putTell(R, A, new Uint8Array([9]), 10, 3)).rejects.toMatchObject({ code: 'sender_quota' });
    const list = await s.listTells(R, 10);
    expect(list.map((t) => t.blob[0])).toEqual([2, 1, 0]);
    expect((await s.listTells(R, 1)).map((t) => t.blob[0])).toEqual([2]);
    expect(list[0]!.sender).toEqual(A);
    expect(await s.deleteTells(R, [ids[0]!, ids[1]!])).toBe(2);
    expect((await s.listTells(R, 10)).map((t) => t.id)).toEqual([ids[2]]);
    expect(await s.listTells(B, 10)).toEqual([]);
  });

  it('keeps DRD users and lists, searches names by prefix safely', async () => {
    const big = (1n << 62n) + 7n;
    const rec = (mb: typeof A, firstName: string, lastName: string) => ({
      mailbox: mb,
      firstName,
      lastName,
      fee: big,
      symbol1: 1,
      symbol2: 2,
      classReject: -2,
      createdAt: 1,
      updatedAt: 2,
    });
    await s.putUser(rec(A, 'Alice', 'Liddell'));
    await s.putUser(rec(B, 'alfred_%', 'Zed'));
    await s.putUser(rec({ denomination: 2, serial: 3 }, 'Bob', 'Lid'));
    expect((await s.searchUsers({ firstName: 'al' }, 10)).map((u) => u.firstName)).toEqual(['Alice', 'alfred_%']);
    expect((await s.searchUsers({ firstName: 'alfred_' }, 10)).map((u) => u.firstName)).toEqual(['alfred_%']);
    expect((await s.searchUsers({ lastName: 'LID' }, 10)).map((u) => u.lastName)).toEqual(['Lid', 'Liddell']);
    expect((await s.searchUsers({ firstName: 'b', lastName: 'lid' }, 1)).map((u) => u.firstName)).toEqual(['Bob']);
    expect(await s.searchUsers({ firstName: '%' }, 10)).toEqual([]);
    expect(await s.getUser(A)).toMatchObject({ fee: big, classReject: -2, symbol1: 1, symbol2: 2, createdAt: 1, updatedAt: 2 });
    expect(await s.deleteUser(A)).toBe(true);
    expect(await s.getUser(A)).toBeNull();
    await s.listSet(A, 'black', B);
    await s.listSet(A, 'white', { denomination: 2, serial: 3 });
    expect(await s.listLookup(A, B)).toBe('black');
    await s.listSet(A, 'white', B);
    expect(await s.listLookup(A, B)).toBe('white');
    expect((await s.listGet(A, 'white')).length).toBe(2);
    expect(await s.listRemove(A, B)).toBe(true);
    expect(await s.listLookup(A, B)).toBeNull();
    expect(await s.listGet(A, 'black')).toEqual([]);
  });

  it('retention sweeps old and downloaded objects and old tells', async () => {
    const key = { guid: guid(), fileType: 0 };
    await s.writePages({ owner: B, key, firstPage: 0, pages: [new Uint8Array([1])] }, limits);
    await s.markDownloaded(key, Date.now());
    const kept = await s.sweep(0, false);
    expect(kept.objects).toBe(0);
    const r = await s.sweep(0, true);
    expect(r.objects).toBeGreaterThanOrEqual(1);
    expect(await s.getObject(key)).toBeNull();
    const all = await s.sweep(Date.now() + 1000, false);
    expect(all.tells).toBeGreaterThanOrEqual(1);
  });
});

describe('blob crash leftovers', () => {
  it('are swept at open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmail-st-'));
    dirs.push(dir);
    const s = await openStorage({ dataDir: dir, backend: 'sqlite', durable: false });
    const key = { guid: guid(), fileType: 1 };
    await s.writePages({ owner: A, key, firstPage: 0, pages: [new Uint8Array([7, 7])] }, limits);
    await s.close();
    const sub = join(dir, 'blobs', 'ab');
    rmSync(sub, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'ab' + '0'.repeat(30) + '.blob'), 'orphan');
    writeFileSync(join(sub, 'ab' + '1'.repeat(30) + '.blob.tmp'), 'torn');
    const s2 = await openStorage({ dataDir: dir, backend: 'sqlite', durable: false });
    expect(readdirSync(sub)).toEqual([]);
    expect(await s2.readPage(key, 0)).toEqual(new Uint8Array([7, 7]));
    await s2.close();
  });
});
