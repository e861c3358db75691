// QKD keys per second through the ETSI 014 client, against a local qmail-kme pair over
// mutual TLS: batched requests against one key per request (the ratio is the point: a
// request costs far more than a key), end to end (enc_keys at A, dec_keys at B), and the
// capsule's key source with its encrypted SQLite cache against the same source without.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmePair, type KmeEndpoint } from '../../server/kme/pair.js';
// The QKD client is plain Node (the rule's 'electron/*' pattern is meant for the package).
import { KmeClient } from '../../electron/services/qkd/client.js';
import { QkdKeyCache, sealBoxFrom, type SealBox } from '../../electron/services/qkd/cache.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { KmeKeySource } from '../../electron/services/qkd/key-source.js';
import { median, type BenchResult, type Suite } from '../types.js';

const KEY_BITS = 256;
const BATCH = 256;

const gcmBox = (): SealBox => sealBoxFrom(new SecretBox(randomBytes(32)), 'bench.qkd-cache');

/** Runs `step` (which returns keys obtained) for about `ms`, returns keys per second. */
async function rate(ms: number, step: () => Promise<number>): Promise<number> {
  let keys = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    keys += await step();
    t = performance.now();
  }
  return keys / ((t - t0) / 1000);
}

const suite: Suite = {
  name: 'qkd',
  async run(ctx) {
    const ms = ctx.quick ? 300 : 1200;
    const rounds = ctx.quick ? 3 : 5;
    const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-qkd-'));
    const pair = await startKmePair({ dir, writeConfig: false, capacityBits: 2 ** 40, fillRateBitsPerSecond: 2 ** 40 });
    const open = (e: KmeEndpoint) => KmeClient.fromFiles({ url: e.url, certFile: e.saeCert, keyFile: e.saeKey, caFile: e.ca });
    const alice = open(pair.kmeA);
    const bob = open(pair.kmeB);
    const db = new Database(join(dir, 'cache.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    try {
      const enc = (n: number) => async () => (await alice.encKeys('SAE_BOB', { number: n, size: KEY_BITS })).length;
      const roundTrip = (n: number) => async () => {
        const ks = await alice.encKeys('SAE_BOB', { number: n, size: KEY_BITS });
        return (
          await bob.decKeys(
            'SAE_ALICE',
            ks.map((k) => k.keyId),
          )
        ).length;
      };
      const cached = new KmeKeySource({
        client: alice,
        peerSaeId: 'SAE_BOB',
        cache: QkdKeyCache.open({ box: gcmBox(), store: { db, table: 'bench' }, maxKeys: 4 * BATCH }),
        prefetchKeys: BATCH,
      });
      const uncached = new KmeKeySource({ client: alice, peerSaeId: 'SAE_BOB' });
      const source = (s: KmeKeySource) => async () => (await s.getEncKeys(KEY_BITS)).length;
      await enc(1)(); // warm the TLS session and the code paths
      await roundTrip(1)();

      const pairs: Array<[string, string, () => Promise<number>, () => Promise<number>]> = [
        [`enc_keys batched (${BATCH}/request)`, 'enc_keys one key per request', enc(BATCH), enc(1)],
        [`enc+dec_keys batched (${BATCH}/request)`, 'enc+dec_keys one key per request', roundTrip(BATCH), roundTrip(1)],
        [`key source, sealed SQLite cache (prefetch ${BATCH})`, 'key source without cache', source(cached), source(uncached)],
      ];
      const out: BenchResult[] = [];
      for (const [name, refName, value, reference] of pairs) {
        const v: number[] = [];
        const r: number[] = [];
        for (let i = 0; i < rounds; i++) {
          v.push(await rate(ms, value));
          r.push(await rate(ms, reference));
        }
        const mv = median(v);
        const mr = median(r);
        ctx.log(`${name}: ${mv.toFixed(0)} keys/s vs ${mr.toFixed(0)} keys/s`);
        out.push({
          name: `qkd ${name}`,
          value: mv,
          unit: 'keys/s',
          reference_name: refName,
          reference_value: mr,
          ratio: mv / mr,
          notes: `median of ${rounds}, ${KEY_BITS}-bit keys, mutual TLS on loopback`,
        });
      }
      return out;
    } finally {
      alice.close();
      bob.close();
      db.close();
      await pair.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
