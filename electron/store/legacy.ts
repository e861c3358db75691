// Legacy (IMAP/POP3) accounts at rest. What names a person, a subject, an address or a
// folder is sealed, bound to its row; UIDs, sync state, dates, sizes and flag bits stay clear
// so lists can be ordered and synced without opening every row.
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Db } from './database.js';
import { SEAL_NONCE_BYTES, SEAL_VERSION, type SecretBox } from './secret-box.js';

// Row ids are 16 random bytes, taken from a CSPRNG buffer refilled every 256 ids: an initial
// sync stores thousands of rows, and one randomBytes call per row was a visible part of it.
const IDS_PER_FILL = 256;
let idPool = Buffer.alloc(0);
let idAt = 0;
export const newLegacyId = (): string => {
  if (idAt >= idPool.length) {
    idPool = randomBytes(16 * IDS_PER_FILL);
    idAt = 0;
  }
  const id = idPool.toString('hex', idAt, idAt + 16);
  idPool.fill(0, idAt, idAt + 16);
  idAt += 16;
  return id;
};

/**
 * Seals many small values in SecretBox's format (version ‖ nonce ‖ ciphertext ‖ tag, opened by
 * `box.open`) with the nonces of the whole batch drawn by one CSPRNG call: an initial sync
 * seals one envelope per row, and a randomBytes call per seal was a visible part of it.
 */
function sealBatch(box: SecretBox, items: { plain: Uint8Array; aad: string }[]): Buffer[] {
  const nonces = randomBytes(SEAL_NONCE_BYTES * items.length);
  return box.lendKey((key) =>
    items.map(({ plain, aad }, i) => {
      const nonce = nonces.subarray(i * SEAL_NONCE_BYTES, (i + 1) * SEAL_NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = cipher.update(plain);
      cipher.final();
      return Buffer.concat([Buffer.of(SEAL_VERSION), nonce, body, cipher.getAuthTag()]);
    }),
  );
}

/** Flag bits kept clear in `legacy_messages.flags`. */
export const Flag = { seen: 1, flagged: 2, answered: 4, draft: 8, deleted: 16 } as const;

export type FolderRole = 'inbox' | 'sent' | 'drafts' | 'archive' | 'trash' | 'junk';

export interface FolderState {
  id: string;
  accountId: string;
  path: string;
  role: FolderRole | null;
  uidvalidity: number | null;
  uidnext: number | null;
  highestmodseq: string | null;
  /** The initial sync covers [lowUid, topUid]; done when lowUid <= 1. */
  topUid: number | null;
  lowUid: number | null;
  syncedAt: number | null;
}

export interface Envelope {
  from: string;
  fromName?: string;
  to: string[];
  cc: string[];
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  hasAttachments: boolean;
}

export interface MessageRow {
  id: string;
  folderId: string;
  uid: number;
  uidl: string | null;
  date: number;
  flags: number;
  size: number;
  bodyChunks: number | null;
  envelope: Envelope;
}

export interface NewMessage {
  uid: number;
  uidl?: string;
  date: number;
  flags: number;
  size: number;
  envelope: Envelope;
}

const aad = {
  account: (id: string) => `qmail.legacy.account.v1:${id}`,
  secret: (id: string) => `qmail.legacy.secret.v1:${id}`,
  folder: (id: string) => `qmail.legacy.folder.v1:${id}`,
  message: (id: string) => `qmail.legacy.message.v1:${id}`,
  body: (id: string, seq: number, last: boolean) => `qmail.legacy.body.v1:${id}:${seq}:${last ? 'last' : 'more'}`,
};

interface FolderRowDb {
  id: string;
  account_id: string;
  role: FolderRole | null;
  uidvalidity: number | null;
  uidnext: number | null;
  highestmodseq: string | null;
  top_uid: number | null;
  low_uid: number | null;
  synced_at: number | null;
  sealed: Buffer;
}

interface MessageRowDb {
  id: string;
  folder_id: string;
  uid: number;
  uidl: string | null;
  date: number;
  flags: number;
  size: number;
  body_chunks: number | null;
  sealed: Buffer;
}

export class LegacyStore {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  // Accounts: `settings` and `secret` are JSON the service defines; both sealed.
  putAccount(id: string, settings: unknown, secret: unknown | undefined, now: number): void {
    const sealed = this.box().seal(Buffer.from(JSON.stringify(settings)), aad.account(id));
    const sec = secret === undefined ? null : this.box().seal(Buffer.from(JSON.stringify(secret)), aad.secret(id));
    this.db
      .prepare(
        `INSERT INTO legacy_accounts (id, created_at, sealed, secret) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed, secret = COALESCE(excluded.secret, legacy_accounts.secret)`,
      )
      .run(id, now, sealed, sec);
  }

  setSecret(id: string, secret: unknown): void {
    this.db
      .prepare('UPDATE legacy_accounts SET secret = ? WHERE id = ?')
      .run(this.box().seal(Buffer.from(JSON.stringify(secret)), aad.secret(id)), id);
  }

  accounts(): { id: string; createdAt: number; settings: unknown }[] {
    const rows = this.db.prepare('SELECT id, created_at, sealed FROM legacy_accounts ORDER BY created_at, id').all() as {
      id: string;
      created_at: number;
      sealed: Buffer;
    }[];
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      settings: JSON.parse(this.box().open(r.sealed, aad.account(r.id)).toString('utf8')) as unknown,
    }));
  }

  secret(id: string): unknown {
    const r = this.db.prepare('SELECT secret FROM legacy_accounts WHERE id = ?').get(id) as { secret: Buffer | null } | undefined;
    if (!r?.secret) return undefined;
    return JSON.parse(this.box().open(r.secret, aad.secret(id)).toString('utf8')) as unknown;
  }

  removeAccount(id: string): boolean {
    return this.db.prepare('DELETE FROM legacy_accounts WHERE id = ?').run(id).changes === 1;
  }

  // Folders
  private openFolder(r: FolderRowDb): FolderState {
    const { path } = JSON.parse(this.box().open(r.sealed, aad.folder(r.id)).toString('utf8')) as { path: string };
    return {
      id: r.id,
      accountId: r.account_id,
      path,
      role: r.role,
      uidvalidity: r.uidvalidity,
      uidnext: r.uidnext,
      highestmodseq: r.highestmodseq,
      topUid: r.top_uid,
      lowUid: r.low_uid,
      syncedAt: r.synced_at,
    };
  }

  folders(accountId: string): FolderState[] {
    return (this.db.prepare('SELECT * FROM legacy_folders WHERE account_id = ?').all(accountId) as FolderRowDb[]).map((r) =>
      this.openFolder(r),
    );
  }

  folder(id: string): FolderState | undefined {
    const r = this.db.prepare('SELECT * FROM legacy_folders WHERE id = ?').get(id) as FolderRowDb | undefined;
    return r ? this.openFolder(r) : undefined;
  }

  addFolder(accountId: string, path: string, role: FolderRole | null): FolderState {
    const id = newLegacyId();
    this.db
      .prepare('INSERT INTO legacy_folders (id, account_id, role, sealed) VALUES (?, ?, ?, ?)')
      .run(id, accountId, role, this.box().seal(Buffer.from(JSON.stringify({ path })), aad.folder(id)));
    return this.folder(id)!;
  }

  setFolderRole(id: string, role: FolderRole | null): void {
    this.db.prepare('UPDATE legacy_folders SET role = ? WHERE id = ?').run(role, id);
  }

  removeFolder(id: string): void {
    this.db.prepare('DELETE FROM legacy_folders WHERE id = ?').run(id);
  }

  saveState(
    id: string,
    s: Partial<Pick<FolderState, 'uidvalidity' | 'uidnext' | 'highestmodseq' | 'topUid' | 'lowUid' | 'syncedAt'>>,
  ): void {
    const cols: [string, unknown][] = [];
    if ('uidvalidity' in s) cols.push(['uidvalidity', s.uidvalidity]);
    if ('uidnext' in s) cols.push(['uidnext', s.uidnext]);
    if ('highestmodseq' in s) cols.push(['highestmodseq', s.highestmodseq]);
    if ('topUid' in s) cols.push(['top_uid', s.topUid]);
    if ('lowUid' in s) cols.push(['low_uid', s.lowUid]);
    if ('syncedAt' in s) cols.push(['synced_at', s.syncedAt]);
    if (!cols.length) return;
    this.db
      .prepare(`UPDATE legacy_folders SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`)
      .run(...cols.map(([, v]) => v), id);
  }

  /** UIDVALIDITY changed: every message of the folder goes, its state starts again. */
  resetFolder(id: string, uidvalidity: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM legacy_messages WHERE folder_id = ?').run(id);
      this.db
        .prepare(
          'UPDATE legacy_folders SET uidvalidity = ?, uidnext = NULL, highestmodseq = NULL, top_uid = NULL, low_uid = NULL WHERE id = ?',
        )
        .run(uidvalidity, id);
    })();
  }

  // Messages
  /** Inserts what is not there yet (a UID already stored is left as it is: no duplicates) and saves `state` in the same transaction. */
  addMessages(folderId: string, list: NewMessage[], state?: Parameters<LegacyStore['saveState']>[1]): number {
    const ins = this.db.prepare(
      'INSERT OR IGNORE INTO legacy_messages (id, folder_id, uid, uidl, date, flags, size, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    let added = 0;
    // Ids and seals first, outside the transaction (one nonce draw for the chunk).
    const ids = list.map(() => newLegacyId());
    const sealed = sealBatch(
      this.box(),
      list.map((m, i) => ({ plain: Buffer.from(JSON.stringify(m.envelope)), aad: aad.message(ids[i]!) })),
    );
    this.db.transaction(() => {
      for (let i = 0; i < list.length; i++) {
        const m = list[i]!;
        added += ins.run(ids[i], folderId, m.uid, m.uidl ?? null, m.date, m.flags, m.size, sealed[i]).changes;
      }
      if (state) this.saveState(folderId, state);
    })();
    return added;
  }

  private openMessage(r: MessageRowDb): MessageRow {
    return {
      id: r.id,
      folderId: r.folder_id,
      uid: r.uid,
      uidl: r.uidl,
      date: r.date,
      flags: r.flags,
      size: r.size,
      bodyChunks: r.body_chunks,
      envelope: JSON.parse(this.box().open(r.sealed, aad.message(r.id)).toString('utf8')) as Envelope,
    };
  }

  message(id: string): MessageRow | undefined {
    const r = this.db.prepare('SELECT * FROM legacy_messages WHERE id = ?').get(id) as MessageRowDb | undefined;
    return r ? this.openMessage(r) : undefined;
  }

  /** Replaces a message's sealed envelope (a decrypted message's real subject, learnt when it is opened). */
  setEnvelope(id: string, envelope: Envelope): void {
    this.db
      .prepare('UPDATE legacy_messages SET sealed = ? WHERE id = ?')
      .run(this.box().seal(Buffer.from(JSON.stringify(envelope)), aad.message(id)), id);
  }

  messageByUid(folderId: string, uid: number): MessageRow | undefined {
    const r = this.db.prepare('SELECT * FROM legacy_messages WHERE folder_id = ? AND uid = ?').get(folderId, uid) as
      MessageRowDb | undefined;
    return r ? this.openMessage(r) : undefined;
  }

  /** The stored messages of a folder among these UIDs (a server's search answer), from the clear columns: id, UID, date. */
  byUids(folderId: string, uids: readonly number[]): { id: string; uid: number; date: number }[] {
    const out: { id: string; uid: number; date: number }[] = [];
    for (let at = 0; at < uids.length; at += 500) {
      const part = uids.slice(at, at + 500);
      out.push(
        ...(this.db
          .prepare(`SELECT id, uid, date FROM legacy_messages WHERE folder_id = ? AND uid IN (${part.map(() => '?').join(',')})`)
          .all(folderId, ...part) as { id: string; uid: number; date: number }[]),
      );
    }
    return out;
  }

  /** UID → flags of a folder, without opening anything. */
  uidFlags(folderId: string): Map<number, number> {
    const rows = this.db.prepare('SELECT uid, flags FROM legacy_messages WHERE folder_id = ?').all(folderId) as {
      uid: number;
      flags: number;
    }[];
    return new Map(rows.map((r) => [r.uid, r.flags]));
  }

  uidls(folderId: string): Set<string> {
    const rows = this.db.prepare('SELECT uidl FROM legacy_messages WHERE folder_id = ? AND uidl IS NOT NULL').all(folderId) as {
      uidl: string;
    }[];
    return new Set(rows.map((r) => r.uidl));
  }

  maxUid(folderId: string): number {
    return (this.db.prepare('SELECT COALESCE(MAX(uid), 0) AS m FROM legacy_messages WHERE folder_id = ?').get(folderId) as { m: number }).m;
  }

  count(folderId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM legacy_messages WHERE folder_id = ?').get(folderId) as { n: number }).n;
  }

  setFlags(folderId: string, changes: { uid: number; flags: number }[]): number {
    const up = this.db.prepare('UPDATE legacy_messages SET flags = ? WHERE folder_id = ? AND uid = ? AND flags != ?');
    let n = 0;
    this.db.transaction(() => {
      for (const c of changes) n += up.run(c.flags, folderId, c.uid, c.flags).changes;
    })();
    return n;
  }

  removeUids(folderId: string, uids: number[]): number {
    const del = this.db.prepare('DELETE FROM legacy_messages WHERE folder_id = ? AND uid = ?');
    let n = 0;
    this.db.transaction(() => {
      for (const u of uids) n += del.run(folderId, u).changes;
    })();
    return n;
  }

  removeMessage(id: string): void {
    this.db.prepare('DELETE FROM legacy_messages WHERE id = ?').run(id);
  }

  /** Messages of the folders given, newest first. */
  list(folderIds: string[], offset: number, limit: number): { total: number; items: MessageRow[] } {
    if (!folderIds.length) return { total: 0, items: [] };
    const marks = folderIds.map(() => '?').join(',');
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM legacy_messages WHERE folder_id IN (${marks})`).get(...folderIds) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`SELECT * FROM legacy_messages WHERE folder_id IN (${marks}) ORDER BY date DESC, id LIMIT ? OFFSET ?`)
      .all(...folderIds, limit, offset) as MessageRowDb[];
    return { total, items: rows.map((r) => this.openMessage(r)) };
  }

  allIn(folderIds: string[]): MessageRow[] {
    return this.list(folderIds, 0, Number.MAX_SAFE_INTEGER).items;
  }

  // Bodies: sealed chunks written as they stream in, each bound to its message, its place and
  // whether it is the last (a cut or reordered body does not open); `body_chunks` is set with the last.
  bodyWriter(messageId: string): { write(chunk: Uint8Array, last: boolean): void; abort(): void } {
    this.db.prepare('DELETE FROM legacy_bodies WHERE message_id = ?').run(messageId);
    this.db.prepare('UPDATE legacy_messages SET body_chunks = NULL WHERE id = ?').run(messageId);
    const ins = this.db.prepare('INSERT INTO legacy_bodies (message_id, seq, sealed) VALUES (?, ?, ?)');
    let seq = 0;
    return {
      write: (chunk, last) => {
        ins.run(messageId, seq, this.box().seal(chunk, aad.body(messageId, seq, last)));
        seq++;
        if (last) this.db.prepare('UPDATE legacy_messages SET body_chunks = ? WHERE id = ?').run(seq, messageId);
      },
      abort: () => {
        this.db.prepare('DELETE FROM legacy_bodies WHERE message_id = ?').run(messageId);
      },
    };
  }

  *body(messageId: string): Generator<Buffer> {
    const r = this.db.prepare('SELECT body_chunks FROM legacy_messages WHERE id = ?').get(messageId) as
      { body_chunks: number | null } | undefined;
    const total = r?.body_chunks;
    if (total == null) return;
    const get = this.db.prepare('SELECT sealed FROM legacy_bodies WHERE message_id = ? AND seq = ?');
    for (let i = 0; i < total; i++) {
      const row = get.get(messageId, i) as { sealed: Buffer } | undefined;
      if (!row) throw new Error('a cached body chunk is missing');
      yield this.box().open(row.sealed, aad.body(messageId, i, i === total - 1));
    }
  }

  hasBody(messageId: string): boolean {
    const r = this.db.prepare('SELECT body_chunks FROM legacy_messages WHERE id = ?').get(messageId) as
      { body_chunks: number | null } | undefined;
    return r?.body_chunks != null;
  }
}
