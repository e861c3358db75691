// The local store: one SQLite file per profile, WAL, one writer (this process). Schema
// changes are numbered migrations applied in a transaction, recorded in user_version.
import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { ownerOnlyDir, prepareOwnerOnlySqlite } from '../../server/owner-only.js';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  up: string;
}

/** The profile's QKD key cache tables: `<prefix>_keys` and `<prefix>_used`. */
export const QKD_CACHE_TABLE = 'qkd_cache';

/** The QKD key cache's two tables (the profile's from migration 2; a standalone cache database makes them itself). */
export function qkdCacheSchema(prefix: string): string {
  return `CREATE TABLE IF NOT EXISTS ${prefix}_keys (kme TEXT NOT NULL, id TEXT NOT NULL, sealed BLOB NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (kme, id));
      CREATE TABLE IF NOT EXISTS ${prefix}_used (entry TEXT PRIMARY KEY, at INTEGER NOT NULL);`;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'vault and messages',
    up: `
      CREATE TABLE vault (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        kdf TEXT NOT NULL,            -- JSON: algorithm and cost parameters
        salt BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,    -- data key sealed by the passphrase key (AES-256-GCM)
        keychain_key BLOB,            -- data key wrapped by the OS keychain, when one exists
        created_at INTEGER NOT NULL
      );
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        folder TEXT NOT NULL,
        date INTEGER NOT NULL,
        unread INTEGER NOT NULL DEFAULT 0,
        sealed BLOB NOT NULL          -- everything a person wrote or read, encrypted
      );
      CREATE INDEX messages_by_folder_date ON messages (folder, date DESC);
    `,
  },
  {
    // Schema 1 profiles made these tables on first use (IF NOT EXISTS keeps those as they are).
    version: 2,
    name: 'identity, QKD settings and key cache, outbox, extras, received',
    up: `
      CREATE TABLE IF NOT EXISTS mail_identity (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS qkd_settings (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS qkd_origin (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL);
      ${qkdCacheSchema(QKD_CACHE_TABLE)}
      CREATE TABLE IF NOT EXISTS mail_outbox (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
        error TEXT, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_extras (id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_seen (guid TEXT PRIMARY KEY, message_id TEXT, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_pending (guid TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, sealed BLOB NOT NULL);
    `,
  },
  {
    // Outbox errors name recipients: sealed from now on. The clear text a schema 2 profile
    // holds in \`error\` is sealed into \`error_sealed\` at the first unlock (OutboxTable.sealLegacyErrors).
    version: 3,
    name: 'sealed outbox errors',
    up: `ALTER TABLE mail_outbox ADD COLUMN error_sealed BLOB;`,
  },
  {
    // What each send attempt uploaded, until it is either the sent message or deleted from its
    // server (issue 12, finding 9). Object ids are random per send or keyed (EXT-9).
    version: 4,
    name: 'uploaded objects',
    up: `
      CREATE TABLE IF NOT EXISTS mail_uploads (
        node_id TEXT NOT NULL, guid TEXT NOT NULL, file_type INTEGER NOT NULL,
        outbox_id TEXT NOT NULL, state TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (node_id, guid, file_type));
      CREATE INDEX IF NOT EXISTS mail_uploads_outbox ON mail_uploads (outbox_id, state);
    `,
  },
  {
    // Legacy (IMAP/POP3/SMTP) accounts: settings and secrets sealed; per-folder sync state
    // (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, how far the initial sync got) and per-message
    // UID, flags, size and date clear; envelopes, folder paths and cached bodies sealed.
    version: 5,
    name: 'legacy accounts',
    up: `
      CREATE TABLE IF NOT EXISTS legacy_accounts (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, sealed BLOB NOT NULL, secret BLOB);
      CREATE TABLE IF NOT EXISTS legacy_folders (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES legacy_accounts (id) ON DELETE CASCADE,
        role TEXT, uidvalidity INTEGER, uidnext INTEGER, highestmodseq TEXT, top_uid INTEGER, low_uid INTEGER,
        synced_at INTEGER, sealed BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS legacy_folders_account ON legacy_folders (account_id, role);
      CREATE TABLE IF NOT EXISTS legacy_messages (
        id TEXT PRIMARY KEY, folder_id TEXT NOT NULL REFERENCES legacy_folders (id) ON DELETE CASCADE,
        uid INTEGER NOT NULL, uidl TEXT, date INTEGER NOT NULL, flags INTEGER NOT NULL, size INTEGER NOT NULL,
        body_chunks INTEGER, sealed BLOB NOT NULL, UNIQUE (folder_id, uid));
      CREATE INDEX IF NOT EXISTS legacy_messages_by_date ON legacy_messages (folder_id, date DESC);
      CREATE UNIQUE INDEX IF NOT EXISTS legacy_messages_uidl ON legacy_messages (folder_id, uidl) WHERE uidl IS NOT NULL;
      CREATE TABLE IF NOT EXISTS legacy_bodies (
        message_id TEXT NOT NULL REFERENCES legacy_messages (id) ON DELETE CASCADE, seq INTEGER NOT NULL, sealed BLOB NOT NULL,
        PRIMARY KEY (message_id, seq));
    `,
  },
  {
    // The wallet (Chips): each coin sealed in its own row (denomination, serial, one AN per
    // server, last results, the proposed ANs of a pown in flight); history entries sealed.
    version: 6,
    name: 'wallet',
    up: `
      CREATE TABLE IF NOT EXISTS wallet_coins (id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS wallet_history (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, sealed BLOB NOT NULL);
    `,
  },
  {
    // Folder counts (total and unread) from an index alone: without it every count read
    // each row, sealed body and all (half a second at 100,000 messages).
    version: 7,
    name: 'messages by folder and unread',
    up: `CREATE INDEX IF NOT EXISTS messages_by_folder_unread ON messages (folder, unread);`,
  },
  {
    // Senders whose remote images the user allowed (legacy mail): one row, the list sealed.
    version: 8,
    name: 'legacy image senders',
    up: `CREATE TABLE IF NOT EXISTS legacy_image_senders (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);`,
  },
  {
    // Tips and inbox fees (store/tips.ts): each locker a send fills, recorded (sealed: code,
    // recipient, amount) before its coins go in and kept until its Tell is answered, so a crash
    // leaves them recoverable; received tips still to collect from their locker; our inbox
    // settings the beacon does not hold (contacts are free). States and times only in clear.
    version: 9,
    name: 'tip lockers, received tips, inbox settings',
    up: `
      CREATE TABLE IF NOT EXISTS mail_lockers (
        id TEXT PRIMARY KEY, outbox_id TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, sealed BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS mail_lockers_outbox ON mail_lockers (outbox_id, state);
      CREATE TABLE IF NOT EXISTS mail_tips (
        message_id TEXT PRIMARY KEY, tries INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS fee_settings (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
    `,
  },
  {
    // Paid server terms (store/market-terms.ts): per server, until when this identity's hire
    // is paid, so the app shows expiry and renews before it. Sealed; the node id in clear is
    // the key (it is one of the directory's public servers).
    version: 10,
    name: 'market terms',
    up: `CREATE TABLE IF NOT EXISTS market_terms (node_id TEXT PRIMARY KEY, sealed BLOB NOT NULL);`,
  },
];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export function openDatabase(file: string, list: Migration[] = migrations): Db {
  // The profile folder and its database (and WAL/SHM) are the user's alone.
  ownerOnlyDir(dirname(file));
  prepareOwnerOnlySqlite(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, list);
  return db;
}

export function migrate(db: Db, list: Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = list.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) {
    throw new MigrationError(`this profile was written by a newer version (schema ${current}, this app knows ${latest}); update the app`);
  }
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
