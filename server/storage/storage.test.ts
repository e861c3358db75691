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
  ['sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmail-st-'));
    dirs.push(dir);
    return { s: await openStorage({ dataDir: dir, backend: 'sqlite', durable: false }), dir };
  }],
  ['postgres', async () => {
    pgc ??= await startPostgres();
    const dir = mkdtempSync(join(tmpdir(), 'qmail-st-'));
    dirs.push(dir);
    const url = await createDatabase(pgc, 'st_' + randomBytes(4).toString('hex'));
    return { s: await openStorage({ dataDir: dir, backend: 'postgres', postgresUrl: url, durable: false }), dir };
  }],
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
    await s.writePage({ owner: A, key, pageNo: 0, data: p0, complete: false }, limits);
    const info = await s.writePage({ owner: A, key, pageNo: 1, data: p1, complete: true }, limits);
    expect(info).toMatchObject({ size: PAGE_SIZE + 1234, pages: 2, complete: true });
    expect(await s.readPage(key, 0)).toEqual(p0);
    expect(await s.readPage(key, 1)).toEqual(p1);
    expect(await s.readPage(key, 2)).toBeNull();
    expect((await s.getObject(key))?.owner).toEqual(A);
    expect(await s.usage(A)).toBe(PAGE_SIZE + 1234);
    // another mailbox cannot write into it
    await expect(s.writePage({ owner: B, key, pageNo: 0, data: p1, complete: true }, limits)).rejects.toMatchObject({ code: 'conflict' });
    // a hole or short middle page cannot complete an object
    const k2 = { guid: guid(), fileType: 1 };
    await expect(s.writePage({ owner: A, key: k2, pageNo: 1, data: p1, complete: true }, limits)).rejects.toMatchObject({ code: 'bad_page' });
    expect(await s.getObject(k2)).toBeNull();
    // too large and over quota
    await expect(s.writePage({ owner: A, key: k2, pageNo: 3, data: p1, complete: false }, limits)).rejects.toMatchObject({ code: 'too_large' });
    await expect(s.writePage({ owner: A, key: k2, pageNo: 0, data: new Uint8Array(PAGE_SIZE + 1), complete: false }, limits)).rejects.toBeInstanceOf(StorageError);
    const k3 = { guid: guid(), fileType: 11 };
    await s.writePage({ owner: A, key: k3, pageNo: 0, data: p0, complete: false }, limits);
    await s.writePage({ owner: A, key: k3, pageNo: 1, data: p0, complete: false }, limits);
    await expect(s.writePage({ owner: A, key: k3, pageNo: 2, data: p0, complete: true }, limits)).rejects.toMatchObject({ code: 'quota' });
    // rewriting a page replaces it and its blob
    await s.writePage({ owner: A, key: k3, pageNo: 1, data: p1, complete: true }, limits);
    expect(await s.readPage(k3, 1)).toEqual(p1);
    expect(await s.deleteObject(k3)).toBe(true);
    expect(await s.deleteObject(k3)).toBe(false);
    expect(await s.readPage(k3, 0)).toBeNull();
    const blobFiles = readdirSync(join(dir, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.blob'));
    expect(blobFiles.length).toBe(2); // only the two pages of `key` remain
  });

  it('queues tells per inbox in order, caps them, deletes acknowledged ones', async () => {
    const R = { denomination: 0, serial: 77 };
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await s.putTell(R, A, new Uint8Array([i, 1, 2]), 3));
    await expect(s.putTell(R, A, new Uint8Array([9]), 3)).rejects.toMatchObject({ code: 'quota' });
    const list = await s.listTells(R, 10);
    expect(list.map((t) => t.blob[0])).toEqual([0, 1, 2]);
    expect(list[0]!.sender).toEqual(A);
    expect(await s.deleteTells(R, [ids[0]!, ids[1]!])).toBe(2);
    expect((await s.listTells(R, 10)).map((t) => t.id)).toEqual([ids[2]]);
    expect(await s.listTells(B, 10)).toEqual([]);
  });

  it('keeps DRD users and lists, searches names by prefix safely', async () => {
    const rec = (mb: typeof A, name: string) => ({ mailbox: mb, name, fee: 5, classReject: -2, record: new Uint8Array([1, 2, 3]), updatedAt: 1 });
    await s.putUser(rec(A, 'Alice Liddell'));
    await s.putUser(rec(B, 'alfred_%'));
    await s.putUser(rec({ denomination: 2, serial: 3 }, 'Bob'));
    expect((await s.searchUsers('al', 10)).map((u) => u.name)).toEqual(['alfred_%', 'Alice Liddell']);
    expect((await s.searchUsers('alfred_', 10)).map((u) => u.name)).toEqual(['alfred_%']);
    expect(await s.searchUsers('%', 10)).toEqual([]);
    expect(await s.getUser(A)).toMatchObject({ fee: 5, classReject: -2, record: new Uint8Array([1, 2, 3]) });
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
    await s.writePage({ owner: B, key, pageNo: 0, data: new Uint8Array([1]), complete: true }, limits);
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
    await s.writePage({ owner: A, key, pageNo: 0, data: new Uint8Array([7, 7]), complete: true }, limits);
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
