// Anti-replay (QMail/1.0 §5 asks deployments to define one), kept in the node's database so
// a restart forgets nothing.
//  - Authenticated envelope (EXT-8): the request carries its sender's clock under the tag;
//    one further than AEAD_WINDOW_MS from ours is refused as stale, and each (key coin,
//    nonce) is admitted once: the nonce keys the request, so no altered copy verifies.
//  - AES-CTR (types 1, 2, the standard's envelope): no MAC, no clock. A (key coin, nonce,
//    challenge) seen in the last CTR_WINDOW_MS is refused. This stops byte-identical
//    copies only: CTR is malleable, so flipped challenge bits (CRC fixed up) pass
//    (docs/security.md says what that still allows).
//  - Clear (type 0) requests are not checked here; authenticated commands refuse them.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AEAD_WINDOW_MS, Encryption, type DecodedRequest } from '../../shared/raida/index.js';
import type { Storage } from '../storage/index.js';
import { prepareOwnerOnlySqlite } from '../owner-only.js';

export const CTR_WINDOW_MS = 15 * 60_000;
const PRUNE_EVERY_MS = 60_000;

export type ReplayVerdict = 'ok' | 'replay' | 'stale';

/** The payload of a 'stale' refusal (EXT-8): the node's clock, ms since 1970, 8 bytes big-endian. */
export function clockPayload(nowMs: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(nowMs))));
  return b;
}

export type ReplayStore = Pick<Storage, 'admitRequest' | 'forgetRequests'> & { close?(): void };

/**
 * The replay memory of a SQLite node: its own file, `replay.db` beside `node.db`, in WAL
 * with synchronous=NORMAL. Each admitted request is one commit that survives the process
 * being killed (the WAL is in the kernel's hands before the answer), but is not fsynced:
 * fsyncing the whole node database once per request cut small authenticated commands to a
 * few hundred per second. A power cut can forget the last moments of it (see security.md).
 * A PostgreSQL node keeps the table in its database (commits without waiting for the flush).
 */
export function openReplayStore(storage: Storage, dataDir: string): ReplayStore {
  if (storage.backend !== 'sqlite')
    return { admitRequest: (...a) => storage.admitRequest(...a), forgetRequests: (b) => storage.forgetRequests(b) }; // closed with the storage
  const file = join(dataDir, 'replay.db');
  prepareOwnerOnlySqlite(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS replays (id BLOB PRIMARY KEY, seen_at INTEGER NOT NULL); CREATE INDEX IF NOT EXISTS replays_seen ON replays (seen_at);',
  );
  const insert = db.prepare(
    'INSERT INTO replays (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at WHERE replays.seen_at < ?',
  );
  const forget = db.prepare('DELETE FROM replays WHERE seen_at < ?');
  return {
    admitRequest: async (id, at, forgetBefore) => insert.run(Buffer.from(id), at, forgetBefore).changes === 1,
    forgetRequests: async (before) => forget.run(before).changes,
    close: () => db.close(),
  };
}

function requestId(req: DecodedRequest): Uint8Array {
  const h = req.header;
  const coin = Buffer.alloc(6);
  coin.writeUInt8(h.encryption, 0);
  coin.writeInt8(h.keyDenomination, 1);
  coin.writeUInt32BE(h.keySerial >>> 0, 2);
  const d = createHash('sha256').update('qmail-replay/1').update(coin).update(h.nonce);
  if (h.encryption !== Encryption.AEAD) d.update(req.challenge);
  return new Uint8Array(d.digest().subarray(0, 16));
}

export class ReplayGuard {
  private lastPrune = -Infinity;

  constructor(
    private readonly store: ReplayStore,
    private readonly now: () => number = Date.now,
    private readonly windows = { aeadMs: AEAD_WINDOW_MS, ctrMs: CTR_WINDOW_MS },
  ) {}

  async check(req: DecodedRequest): Promise<ReplayVerdict> {
    const enc = req.header.encryption;
    if (enc === Encryption.NONE) return 'ok';
    const t = this.now();
    await this.prune(t);
    if (enc === Encryption.AEAD) {
      if (req.sentAt === undefined || Math.abs(t - req.sentAt) > this.windows.aeadMs) return 'stale';
      // Anything admitted now could be replayed until its sent_at leaves the window: ≤ 2 windows.
      return (await this.store.admitRequest(requestId(req), t, t - 2 * this.windows.aeadMs)) ? 'ok' : 'replay';
    }
    return (await this.store.admitRequest(requestId(req), t, t - this.windows.ctrMs)) ? 'ok' : 'replay';
  }

  close(): void {
    this.store.close?.();
  }

  private async prune(t: number): Promise<void> {
    if (t - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = t;
    await this.store.forgetRequests(t - Math.max(2 * this.windows.aeadMs, this.windows.ctrMs));
  }
}
