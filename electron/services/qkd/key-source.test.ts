// The key source, the cache and the fallback decision against a real qmail-kme pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startKmePair, type KmeEndpoint, type KmePair } from '../../../server/kme/pair.js';
import { QkdKeyCache, sealBoxFrom, type SealBox } from './cache.js';
import { SecretBox } from '../../store/secret-box.js';
import { KmeClient } from './client.js';
import { KmeError } from './errors.js';
import { decideQkdLevel, decisionFromError } from './fallback.js';
import { KmeKeySource } from './key-source.js';

/** The vault's box, as the app injects it. */
const gcmBox = (key: Uint8Array = randomBytes(32)): SealBox => sealBoxFrom(new SecretBox(key), 'test.qkd-cache');

let dir: string;
let pair: KmePair;
const clients: KmeClient[] = [];
const client = (e: KmeEndpoint) => {
  const c = KmeClient.fromFiles({
    url: e.url,
    certFile: e.saeCert,
    keyFile: e.saeKey,
    caFile: e.ca,
    decRetry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qkd-source-'));
  pair = await startKmePair({ dir, capacityBits: 1 << 20, fillRateBitsPerSecond: 0 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KmeKeySource + QkdKeyCache', () => {
  it('serves alice from batches and the cache, bob gets the same bytes, and no key is served twice across restarts (file store)', async () => {
    const box = gcmBox();
    const file = join(dir, 'alice-cache.bin');
    let cache = QkdKeyCache.open({ box, store: { file } });
    const alice = new KmeKeySource({ client: client(pair.kmeA), peerSaeId: 'SAE_BOB', cache, prefetchKeys: 8 });
    const bob = new KmeKeySource({ client: client(pair.kmeB), peerSaeId: 'SAE_ALICE' });

    const before = (await alice.availableBits()).kmeBits;
    const first = await alice.getEncKeys(600); // 3 keys of 256 bits, 8 more fetched ahead
    expect(first.map((k) => [k.kmeId, k.key.length])).toEqual([
      ['KME_A', 32],
      ['KME_A', 32],
      ['KME_A', 32],
    ]);
    expect(cache.available('SAE_BOB')).toEqual({ count: 8, bits: 2048 });
    expect((await alice.availableBits()).kmeBits).toBe(before - 11 * 256);
    const second = await alice.getEncKeys(256); // from the cache, no KME call
    expect(cache.available('SAE_BOB').count).toBe(7);

    // The file holds no key bytes in the clear.
    const raw = readFileSync(file);
    for (const k of [...first, ...second]) expect(raw.includes(Buffer.from(k.key))).toBe(false);

    // Restart: the cache and the ledger come back; the used keys stay used.
    cache.close();
    cache = QkdKeyCache.open({ box, store: { file } });
    expect(cache.available('SAE_BOB').count).toBe(7);
    for (const k of [...first, ...second]) expect(cache.isConsumed(k.kmeId, k.keyId)).toBe(true);
    const alice2 = new KmeKeySource({ client: client(pair.kmeA), peerSaeId: 'SAE_BOB', cache });
    const third = await alice2.getEncKeys(512);
    const ids = new Set([...first, ...second, ...third].map((k) => k.keyId));
    expect(ids.size).toBe(6);
    expect(() => cache.record([{ kmeId: 'KME_A', keyId: first[0]!.keyId }])).toThrow(expect.objectContaining({ code: 'key_reused' }));

    // Bob: same bytes, and a replayed key ID is refused locally before the KME is asked.
    const refs = [...first, ...second, ...third].map(({ keyId, kmeId }) => ({ keyId, kmeId }));
    const got = await bob.getDecKeys(refs);
    expect(got.map((k) => Buffer.from(k.key).toString('hex'))).toEqual(
      [...first, ...second, ...third].map((k) => Buffer.from(k.key).toString('hex')),
    );
    await expect(bob.getDecKeys(refs.slice(0, 1))).rejects.toMatchObject({ code: 'key_reused' });
    await expect(bob.getDecKeys([{ keyId: refs[0]!.keyId, kmeId: 'KME_Z' }])).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('refuses a tampered or wrongly keyed cache file with cache_corrupt', () => {
    const file = join(dir, 'tamper.bin');
    const box = gcmBox();
    const c = QkdKeyCache.open({ box, store: { file } });
    c.record([{ kmeId: 'KME_A', keyId: '00000000-0000-4000-8000-000000000001' }]);
    const b = readFileSync(file);
    b[20]! ^= 1;
    writeFileSync(file, b);
    expect(() => QkdKeyCache.open({ box, store: { file } })).toThrow(expect.objectContaining({ code: 'cache_corrupt' }));
    expect(() => QkdKeyCache.open({ box: gcmBox(), store: { file } })).toThrow(KmeError);
  });

  it('keeps cache and ledger in a better-sqlite3 table, sealed per key', async () => {
    const db = new Database(':memory:');
    const box = gcmBox();
    const cache = QkdKeyCache.open({ box, store: { db, table: 'qkd' } });
    const alice = new KmeKeySource({ client: client(pair.kmeA), peerSaeId: 'SAE_BOB', cache, prefetchKeys: 4 });
    const k = await alice.getEncKeys(256);
    expect(cache.available('SAE_BOB').count).toBe(4);
    const reopened = QkdKeyCache.open({ box, store: { db, table: 'qkd' } });
    expect(reopened.available('SAE_BOB').count).toBe(4);
    expect(reopened.isConsumed('KME_A', k[0]!.keyId)).toBe(true);
    // Swapping two sealed rows is detected.
    const rows = db.prepare('SELECT rowid, sealed FROM qkd_keys ORDER BY rowid LIMIT 2').all() as Array<{ rowid: number; sealed: Buffer }>;
    db.prepare('UPDATE qkd_keys SET sealed = ? WHERE rowid = ?').run(rows[1]!.sealed, rows[0]!.rowid);
    expect(() => QkdKeyCache.open({ box, store: { db, table: 'qkd' } })).toThrow(expect.objectContaining({ code: 'cache_corrupt' }));
    expect(() => QkdKeyCache.open({ box, store: { db, table: 'x; DROP TABLE y' } })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    db.close();
  });

  it('says "L1/L2 unavailable: <reason>, use L3" when the pool is empty, and never downgrades by itself', async () => {
    const small = await startKmePair({ dir, writeConfig: false, initialBits: 1024, fillRateBitsPerSecond: 0 });
    try {
      const src = new KmeKeySource({ client: client(small.kmeA), peerSaeId: 'SAE_BOB' });
      expect(await decideQkdLevel({ source: src, wanted: 'L2', bits: 256 })).toMatchObject({ usable: true, level: 'L2' });
      const need = await decideQkdLevel({ source: src, wanted: 'L1', bits: 4096 });
      expect(need).toMatchObject({ usable: false, level: 'L3', reason: 'exhausted' });
      expect(need.usable || need.message).toMatch(/^L1\/L2 unavailable: .*, use L3$/);
      await src.getEncKeys(1024);
      let thrown: unknown;
      try {
        await src.getEncKeys(256);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({ code: 'exhausted', status: 503 });
      const d = decisionFromError('L2', thrown);
      expect(d).toMatchObject({ usable: false, reason: 'exhausted', level: 'L3' });
      expect(d.usable || d.message).toMatch(/^L1\/L2 unavailable: KME has no key material.*503.*, use L3$/);
      expect(await decideQkdLevel({ source: null, wanted: 'L1', bits: 8 })).toMatchObject({ usable: false, reason: 'not_configured' });
    } finally {
      await small.close();
    }
  });

  it('with a KME that drops unretrieved keys: fetches nothing ahead and explains the fallback', async () => {
    const deviant = await startKmePair({
      dir,
      writeConfig: false,
      quirks: { htmlErrors: true, exhaustionStatus: 400, dropUnretrieved: true },
      initialBits: 2048,
      fillRateBitsPerSecond: 0,
    });
    try {
      const cache = QkdKeyCache.open({ box: gcmBox(), store: { db: new Database(':memory:') } });
      const src = new KmeKeySource({ client: client(deviant.kmeA), peerSaeId: 'SAE_BOB', cache, kmeDropsUnretrieved: true });
      const keys = await src.getEncKeys(512);
      expect(keys).toHaveLength(2);
      expect(cache.available('SAE_BOB').count).toBe(0);
      const bob = new KmeKeySource({ client: client(deviant.kmeB), peerSaeId: 'SAE_ALICE' });
      expect((await bob.getDecKeys(keys))[1]!.key).toEqual(keys[1]!.key);
      await src.getEncKeys(1536);
      const err = await src.getEncKeys(256).catch((e: unknown) => e);
      const d = decisionFromError('L1', err);
      expect(d).toMatchObject({ usable: false, reason: 'exhausted' });
      expect(d.usable || d.message).toMatch(/400 instead of the spec's 503/);
    } finally {
      await deviant.close();
    }
  });
});

describe('keys fetched ahead from a KME that has forgotten them', () => {
  it('are retired, never used, once the KME names another key store; a KME that kept them still serves them', async () => {
    const kdir = join(dir, 'forgetful');
    const box = gcmBox();
    const file = join(dir, 'forgetful-cache.bin');
    const ports = (p: KmePair) => ({ portA: Number(new URL(p.kmeA.url).port), portB: Number(new URL(p.kmeB.url).port) });
    const run = async (p: KmePair, bits: number) => {
      const cache = QkdKeyCache.open({ box, store: { file } });
      try {
        const alice = new KmeKeySource({ client: client(p.kmeA), peerSaeId: 'SAE_BOB', cache, prefetchKeys: 4 });
        const bob = new KmeKeySource({ client: client(p.kmeB), peerSaeId: 'SAE_ALICE' });
        const keys = await alice.getEncKeys(bits);
        const opened = await bob.getDecKeys(keys.map((k) => ({ keyId: k.keyId, kmeId: k.kmeId })));
        expect(opened.map((k) => Buffer.from(k.key).toString('hex'))).toEqual(keys.map((k) => Buffer.from(k.key).toString('hex')));
        return { keys, cached: cache.available('SAE_BOB').count };
      } finally {
        cache.close();
      }
    };

    // A pair with a key store: the keys cached before its restart still open at KME B.
    let p = await startKmePair({ dir: kdir, keyStore: join(kdir, 'keys.db') });
    expect((await run(p, 256)).cached).toBe(4);
    await p.close();
    p = await startKmePair({ dir: kdir, keyStore: join(kdir, 'keys.db'), ...ports(p) });
    expect((await run(p, 256)).cached).toBe(3); // served from the cache
    await p.close();

    // Memory only: each start is a new key store, and KME B knows none of the keys cached
    // before. They are retired (recorded as used, never sealed into a capsule) and fresh
    // keys are fetched, which KME B does have.
    for (let i = 0; i < 2; i++) {
      p = await startKmePair({ dir: kdir, ...ports(p) });
      try {
        expect((await run(p, 256)).cached).toBe(4); // 3 or 4 stale ones retired, 1 + 4 fetched
      } finally {
        await p.close();
      }
    }
  });
});
