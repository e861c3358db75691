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
