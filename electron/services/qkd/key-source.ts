// Adapter from the ETSI 014 client (and the key cache) to the capsule's QkdKeySource
// (shared/capsule/qkd.ts): getEncKeys(bits, peer) on the sending side, getDecKeys(refs,
// peer) on the receiving side. Keys are fetched in batches, the surplus kept in the
// encrypted cache, and every key handed out is recorded in the ledger first, so no key
// is used twice. It never falls back on its own: failures are KmeErrors, and
// decideQkdLevel (fallback.ts) turns them into an explicit "use L3" decision.
import type { QkdKey, QkdKeyRef, QkdKeySource } from '../../../shared/capsule/qkd.js';
import { keyStoreIdOf, type Status } from '../../../shared/qkd/etsi014.js';
import { ledgerKey, type CachedKey, type QkdKeyCache } from './cache.js';
import type { KmeClient } from './client.js';
import { KmeError } from './errors.js';

export type { QkdKey, QkdKeyRef, QkdKeySource };

export interface KmeKeySourceOptions {
  client: KmeClient;
  /** The SAE at the other end of the link, when the caller names none. */
  peerSaeId: string;
  /** Encrypted cache + ledger. Without it the ledger lives in memory only. */
  cache?: QkdKeyCache;
  /** Bits per key asked of the KME. Default: the KME's key_size. */
  keySizeBits?: number;
  /** Extra keys fetched ahead into the cache on a miss. Default 32 (0 with no cache). */
  prefetchKeys?: number;
  /**
   * The KME drops keys the slave SAE has not retrieved when a later request comes
   * (seen in the field). Then nothing is fetched ahead, the cache for the peer is
   * forgotten on each fetch, and a request must fit in one KME call.
   */
  kmeDropsUnretrieved?: boolean;
  /** Most bits served in one getEncKeys call. Default 1 Mbit. */
  maxBitsPerCall?: number;
  now?: () => number;
}

export class KmeKeySource implements QkdKeySource {
  private statusCache = new Map<string, Status>();
  private readonly memLedger = new Set<string>();

  constructor(readonly options: KmeKeySourceOptions) {}

  /** The KME's status for a peer, fetched once and remembered. */
  async linkStatus(peer = this.options.peerSaeId, fresh = false): Promise<Status> {
    const cached = this.statusCache.get(peer);
    if (cached && !fresh) return cached;
    const st = await this.options.client.status(peer);
    this.statusCache.set(peer, st);
    return st;
  }

  /** Bits we could serve now for `peer`: cached keys plus what the KME says it holds. */
  async availableBits(peer = this.options.peerSaeId): Promise<{ cachedBits: number; kmeBits: number }> {
    const st = await this.linkStatus(peer, true);
    const storeId = keyStoreIdOf(st);
    if (storeId && !(this.options.kmeDropsUnretrieved ?? false)) this.options.cache?.retireStale(peer, storeId);
    const cachedBits = this.options.cache?.available(peer).bits ?? 0;
    return { cachedBits, kmeBits: st.stored_key_count * st.key_size };
  }

  private isUsed(kmeId: string, keyId: string): boolean {
    return this.options.cache ? this.options.cache.isConsumed(kmeId, keyId) : this.memLedger.has(ledgerKey(kmeId, keyId));
  }

  private record(use: Array<{ kmeId: string; keyId: string }>, keep: CachedKey[]): void {
    if (this.options.cache) return this.options.cache.record(use, keep);
    for (const k of use) {
      if (this.memLedger.has(ledgerKey(k.kmeId, k.keyId))) throw new KmeError('key_reused', `QKD key ${k.keyId} was already used here`);
    }
    for (const k of use) this.memLedger.add(ledgerKey(k.kmeId, k.keyId));
  }

  async getEncKeys(bits: number, peer = this.options.peerSaeId): Promise<QkdKey[]> {
    const maxBits = this.options.maxBitsPerCall ?? 1 << 20;
    if (!Number.isSafeInteger(bits) || bits < 1 || bits > maxBits)
      throw new KmeError('invalid_argument', `QKD key request must be 1..${maxBits} bits, got ${String(bits)}`);
    const cache = this.options.cache;
    const drops = this.options.kmeDropsUnretrieved ?? false;
    if (cache && !drops && cache.available(peer).count > 0) {
      // Keys fetched ahead from a KME that has since forgotten them (it names another key
      // store now) would seal a capsule nobody can open: retire them before taking any.
      const storeId = keyStoreIdOf(await this.linkStatus(peer));
      if (storeId) cache.retireStale(peer, storeId);
      const hit = cache.take(peer, bits);
      if (hit) return hit.map((k) => ({ keyId: k.keyId, kmeId: k.kmeId, key: k.key }));
    }
    const st = await this.linkStatus(peer);
    const storeId = keyStoreIdOf(st);
    const size = this.options.keySizeBits ?? st.key_size;
    const perRequest = Math.max(1, st.max_key_per_request || 1);
    const need = Math.ceil(bits / size);
    const ahead = cache && !drops ? Math.min(this.options.prefetchKeys ?? 32, cache.room()) : 0;
    if (drops && need > perRequest) {
      throw new KmeError(
        'invalid_argument',
        `${bits} bits need ${need} keys of ${size} bits, more than one request of this KME (${perRequest}) can carry, and it drops keys between requests`,
      );
    }
    if (drops && cache) cache.invalidate(peer);
    const fetched: QkdKey[] = [];
    // The keys needed now are asked for first, on their own, so that a pool holding enough
    // for this message but not for the read-ahead still serves it.
    for (let left = need + ahead; left > 0;) {
      const n = Math.min(fetched.length < need ? need - fetched.length : left, perRequest);
      // A miss for the keys we need now is an error; a short pool while fetching ahead is not.
      try {
        const got = await this.options.client.encKeys(peer, { number: n, size });
        for (const k of got) fetched.push({ keyId: k.keyId, kmeId: st.source_KME_ID, key: k.key });
      } catch (e) {
        if (fetched.length >= need && e instanceof KmeError && e.code === 'exhausted') break;
        // Keys already fetched are spent at the KME: keep them for later, or at least never reuse them.
        if (fetched.length > 0) {
          const now = (this.options.now ?? Date.now)();
          const room = cache && !drops ? cache.room() : 0;
          this.record(
            fetched.slice(room),
            fetched.slice(0, room).map((k) => ({ ...k, peer, fetchedAt: now, ...(storeId ? { storeId } : {}) })),
          );
        }
        throw e;
      }
      left -= n;
    }
    const use = fetched.slice(0, need);
    const now = (this.options.now ?? Date.now)();
    const keep = fetched.slice(need).map((k) => ({ ...k, peer, fetchedAt: now, ...(storeId ? { storeId } : {}) }));
    this.record(use, keep);
    return use;
  }

  async getDecKeys(refs: readonly QkdKeyRef[], peer = this.options.peerSaeId): Promise<QkdKey[]> {
    if (refs.length === 0) throw new KmeError('invalid_argument', 'no QKD key named');
    const st = await this.linkStatus(peer);
    for (const r of refs) {
      if (r.kmeId !== st.target_KME_ID) {
        throw new KmeError(
          'invalid_argument',
          `key ${r.keyId} comes from KME ${r.kmeId}, but our KME ${st.source_KME_ID} is linked to ${st.target_KME_ID}`,
        );
      }
      if (this.isUsed(r.kmeId, r.keyId))
        throw new KmeError('key_reused', `QKD key ${r.keyId} was already used here: refusing it (replayed message?)`);
    }
    const perRequest = Math.max(1, st.max_key_per_request || 1);
    const out: QkdKey[] = [];
    for (let i = 0; i < refs.length; i += perRequest) {
      const chunk = refs.slice(i, i + perRequest);
      const got = await this.options.client.decKeys(
        peer,
        chunk.map((r) => r.keyId),
      );
      for (let j = 0; j < got.length; j++) out.push({ keyId: chunk[j]!.keyId, kmeId: chunk[j]!.kmeId, key: got[j]!.key });
    }
    this.record(out, []);
    return out;
  }
}
