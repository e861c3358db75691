// A small encrypted-at-rest cache of QKD keys fetched ahead of need, and the ledger of
// every key already used. The two are committed together: a key leaves the cache and
// enters the ledger in one durable write, before the caller sees it, so a key is never
// handed out twice, across crashes and restarts.
//
// Storage is either one sealed file (rewritten atomically: temp file, fsync, rename) or
// two tables in a better-sqlite3 database (one transaction per change, each key sealed
// on its own). Sealing is the injected box's job (for example the vault's AEAD).
//
// Longer than 400 lines on purpose: the file and the SQLite storage keep one commit rule
// (cache out, ledger in, in one durable write) and read best beside each other.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { base64Decode, base64Encode } from '../../../shared/qkd/base64.js';
import { UUID_RE } from '../../../shared/qkd/etsi014.js';
import { KmeError } from './errors.js';
import type { SecretBox } from '../../store/secret-box.js';
import { QkdCacheTables } from '../../store/qkd-cache.js';

export interface SealBox {
  seal(plain: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): Uint8Array;
}

/** A SealBox over the vault's SecretBox, every value bound to `aad`. */
export function sealBoxFrom(box: SecretBox | (() => SecretBox), aad: string): SealBox {
  const get = typeof box === 'function' ? box : () => box;
  return { seal: (p) => get().seal(p, aad), open: (s) => get().open(s, aad) };
}

export interface CachedKey {
  keyId: string;
  kmeId: string;
  /** The SAE at the other end (slave SAE of enc_keys). */
  peer: string;
  key: Uint8Array;
  fetchedAt: number;
  /** The KME's key_store_id when it was fetched (our status extension), if the KME names one. */
  storeId?: string;
}

export type CacheStore = { file: string } | { db: Database.Database; table?: string };

interface Change {
  add?: CachedKey[];
  /** Ledger entries to add, as ledgerKey() strings. */
  consume?: string[];
  /** Cached keys to drop without using them (invalidation). */
  drop?: string[];
}

interface Backend {
  load(): { keys: CachedKey[]; consumed: string[] };
  apply(change: Change, state: { keys: Map<string, CachedKey>; consumed: Set<string> }): void;
  close(): void;
}

export const ledgerKey = (kmeId: string, keyId: string): string => `${kmeId}/${keyId.toLowerCase()}`;

const MAX_FILE_BYTES = 64 * 1024 * 1024;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

const FileSchema = z.object({
  v: z.literal(1),
  keys: z.array(
    z.object({
      id: z.string().regex(UUID_RE),
      kme: z.string().min(1).max(256),
      peer: z.string().min(1).max(256),
      key: z.string().max(1 << 20),
      at: z.number(),
      store: z.string().max(128).optional(),
    }),
  ),
  consumed: z.array(z.string().max(400)),
});

const RowSchema = z.object({
  id: z.string().regex(UUID_RE),
  kme: z.string(),
  peer: z.string(),
  key: z.string(),
  store: z.string().max(128).optional(),
});

function corrupt(what: string, cause?: unknown): KmeError {
  return new KmeError('cache_corrupt', `QKD key cache ${what}`, { cause });
}

class FileBackend implements Backend {
  constructor(
    private readonly path: string,
    private readonly box: SealBox,
  ) {}

  load() {
    let raw: Uint8Array;
    try {
      if (statSync(this.path).size > MAX_FILE_BYTES) throw corrupt(`file is larger than ${MAX_FILE_BYTES} bytes`);
      raw = readFileSync(this.path);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return { keys: [], consumed: [] };
      throw e instanceof KmeError ? e : corrupt(`cannot be read: ${(e as Error).message}`, e);
    }
    let parsed: z.infer<typeof FileSchema>;
    try {
      parsed = FileSchema.parse(JSON.parse(fromUtf8.decode(this.box.open(raw))));
    } catch (e) {
      throw corrupt('cannot be opened (wrong key, tampered or not a cache file)', e);
    }
    return {
      keys: parsed.keys.map((k) => ({
        keyId: k.id,
        kmeId: k.kme,
        peer: k.peer,
        key: base64Decode(k.key),
        fetchedAt: k.at,
        ...(k.store ? { storeId: k.store } : {}),
      })),
      consumed: parsed.consumed,
    };
  }

  apply(_change: Change, state: { keys: Map<string, CachedKey>; consumed: Set<string> }): void {
    const doc = {
      v: 1,
      keys: [...state.keys.values()].map((k) => ({
        id: k.keyId,
        kme: k.kmeId,
        peer: k.peer,
        key: base64Encode(k.key),
        at: k.fetchedAt,
        ...(k.storeId ? { store: k.storeId } : {}),
      })),
      consumed: [...state.consumed],
    };
    const sealed = this.box.seal(utf8.encode(JSON.stringify(doc)));
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      let at = 0;
      while (at < sealed.length) at += writeSync(fd, sealed, at, sealed.length - at);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, this.path);
    try {
      const dfd = openSync(dirname(this.path), 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } catch {
      /* directories cannot be fsynced everywhere (Windows); the rename is still atomic */
    }
  }

  close(): void {}
}

class SqliteBackend implements Backend {
  private readonly tables: QkdCacheTables;
  constructor(
    db: Database.Database,
    table: string,
    private readonly box: SealBox,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table))
      throw new KmeError('invalid_argument', `bad cache table name ${JSON.stringify(table)}`);
    this.tables = new QkdCacheTables(db, table);
  }

  load() {
    const keys: CachedKey[] = [];
    for (const row of this.tables.keys()) {
      let r: z.infer<typeof RowSchema>;
      try {
        r = RowSchema.parse(JSON.parse(fromUtf8.decode(this.box.open(row.sealed))));
      } catch (e) {
        throw corrupt(`row ${row.kme}/${row.id} cannot be opened`, e);
      }
      if (r.id !== row.id || r.kme !== row.kme) throw corrupt(`row ${row.kme}/${row.id} holds another key (swapped rows)`);
      keys.push({
        keyId: r.id,
        kmeId: r.kme,
        peer: r.peer,
        key: base64Decode(r.key),
        fetchedAt: row.at,
        ...(r.store ? { storeId: r.store } : {}),
      });
    }
    return { keys, consumed: this.tables.used() };
  }

  apply(change: Change): void {
    const split = (e: string): [string, string] => {
      const slash = e.indexOf('/');
      return [e.slice(0, slash), e.slice(slash + 1)];
    };
    this.tables.apply({
      add: (change.add ?? []).map((k) => ({
        kme: k.kmeId,
        id: k.keyId,
        sealed: this.box.seal(
          utf8.encode(
            JSON.stringify({
              id: k.keyId,
              kme: k.kmeId,
              peer: k.peer,
              key: base64Encode(k.key),
              ...(k.storeId ? { store: k.storeId } : {}),
            }),
          ),
        ),
        at: k.fetchedAt,
      })),
      remove: [...(change.consume ?? []), ...(change.drop ?? [])].map(split),
      use: change.consume ?? [],
      now: Date.now(),
    });
  }

  close(): void {}
}

export interface KeyCacheOptions {
  box: SealBox;
  store: CacheStore;
  /** Keys held ahead of need, at most. Default 4096. */
  maxKeys?: number;
}

export class QkdKeyCache {
  private readonly keys = new Map<string, CachedKey>();
  private readonly consumed = new Set<string>();
  /** Per peer, cached keys oldest first; entries no longer in `keys` are skipped lazily. */
  private readonly queues = new Map<string, { list: CachedKey[]; head: number }>();
  readonly maxKeys: number;

  private constructor(
    private readonly backend: Backend,
    maxKeys: number,
  ) {
    this.maxKeys = maxKeys;
    const s = backend.load();
    for (const k of s.keys) {
      this.keys.set(ledgerKey(k.kmeId, k.keyId), k);
      this.enqueue(k);
    }
    for (const c of s.consumed) this.consumed.add(c);
  }

  private enqueue(k: CachedKey): void {
    let q = this.queues.get(k.peer);
    if (!q) this.queues.set(k.peer, (q = { list: [], head: 0 }));
    q.list.push(k);
  }

  private live(k: CachedKey): boolean {
    return this.keys.get(ledgerKey(k.kmeId, k.keyId)) === k;
  }

  static open(opts: KeyCacheOptions): QkdKeyCache {
    const backend =
      'file' in opts.store
        ? new FileBackend(opts.store.file, opts.box)
        : new SqliteBackend(opts.store.db, opts.store.table ?? 'qkd_cache', opts.box);
    return new QkdKeyCache(backend, opts.maxKeys ?? 4096);
  }

  private commit(change: Change): void {
    // Update memory, persist, and undo the memory update if the write fails. The undo
    // record is the size of the change, not of the cache (the ledger only grows).
    const removed: Array<[string, CachedKey]> = [];
    const added: string[] = [];
    const newlyConsumed: string[] = [];
    for (const e of [...(change.consume ?? []), ...(change.drop ?? [])]) {
      const k = this.keys.get(e);
      if (k) removed.push([e, k]);
      this.keys.delete(e);
    }
    for (const k of change.add ?? []) {
      const e = ledgerKey(k.kmeId, k.keyId);
      this.keys.set(e, k);
      this.enqueue(k);
      added.push(e);
    }
    for (const e of change.consume ?? []) {
      if (!this.consumed.has(e)) newlyConsumed.push(e);
      this.consumed.add(e);
    }
    try {
      this.backend.apply(change, { keys: this.keys, consumed: this.consumed });
    } catch (e) {
      for (const a of added) this.keys.delete(a);
      for (const [id, k] of removed) this.keys.set(id, k);
      // Queues need no undo: their entries count only while `keys` holds them.
      for (const c of newlyConsumed) this.consumed.delete(c);
      throw e;
    }
  }

  isConsumed(kmeId: string, keyId: string): boolean {
    return this.consumed.has(ledgerKey(kmeId, keyId));
  }

  available(peer: string): { count: number; bits: number } {
    let count = 0;
    let bits = 0;
    const q = this.queues.get(peer);
    if (!q) return { count, bits };
    for (let i = q.head; i < q.list.length; i++) {
      const k = q.list[i]!;
      if (!this.live(k)) continue;
      count++;
      bits += k.key.length * 8;
    }
    return { count, bits };
  }

  /** Room left for keys fetched ahead. */
  room(): number {
    return Math.max(0, this.maxKeys - this.keys.size);
  }

  /**
   * Takes cached keys for `peer` (oldest first) totalling at least `bits`, records them
   * as used, durably, and returns them. Null (and nothing taken) if the cache is short.
   */
  take(peer: string, bits: number): CachedKey[] | null {
    const q = this.queues.get(peer);
    if (!q) return null;
    const out: CachedKey[] = [];
    let have = 0;
    let i = q.head;
    for (; i < q.list.length && have < bits; i++) {
      const k = q.list[i]!;
      if (!this.live(k)) continue;
      out.push(k);
      have += k.key.length * 8;
    }
    if (have < bits) return null;
    const head = q.head;
    q.head = i;
    try {
      this.commit({ consume: out.map((k) => ledgerKey(k.kmeId, k.keyId)) });
    } catch (e) {
      q.head = head;
      throw e;
    }
    if (q.head > 1024 && q.head * 2 > q.list.length) {
      q.list = q.list.slice(q.head);
      q.head = 0;
    }
    return out;
  }

  /**
   * Records keys fetched from the KME in one durable write: `use` are handed to the caller
   * now (ledger), `keep` go into the cache. Refuses any key the ledger or cache already has.
   */
  record(use: Array<{ kmeId: string; keyId: string }>, keep: CachedKey[] = []): void {
    const seen = new Set<string>();
    for (const k of [...use, ...keep]) {
      const e = ledgerKey(k.kmeId, k.keyId);
      if (this.consumed.has(e) || this.keys.has(e) || seen.has(e)) {
        throw new KmeError('key_reused', `QKD key ${k.keyId} from ${k.kmeId} was already used or cached here: refusing to use it again`);
      }
      seen.add(e);
    }
    if (keep.length > this.room()) throw new KmeError('invalid_argument', `the QKD key cache holds at most ${this.maxKeys} keys`);
    this.commit({ consume: [...use].map((k) => ledgerKey(k.kmeId, k.keyId)), add: keep });
  }

  /**
   * Retires the cached keys of `peer` that did not come from the KME's key store `storeId`
   * (the KME has forgotten them since): recorded as used, so they are never handed out.
   */
  retireStale(peer: string, storeId: string): number {
    const stale = [...this.keys.entries()].filter(([, k]) => k.peer === peer && k.storeId !== storeId).map(([e]) => e);
    if (stale.length) this.commit({ consume: stale });
    return stale.length;
  }

  /** Forgets the cached keys of `peer` without using them (e.g. a KME that drops unretrieved keys). */
  invalidate(peer: string): number {
    const drop = [...this.keys.entries()].filter(([, k]) => k.peer === peer).map(([e]) => e);
    if (drop.length) this.commit({ drop });
    return drop.length;
  }

  close(): void {
    this.backend.close();
  }
}
