// Single-row tables: the profile's QMail identity and its KME settings (each one sealed
// value) and where those settings came from (readable: embedded, user or declined).
import type { Db } from './database.js';

export type SingleRow = 'mail_identity' | 'qkd_settings';

/** The sealed value of a single-row table, if set. */
export function readSealedRow(db: Db, table: SingleRow): Buffer | undefined {
  return (db.prepare(`SELECT sealed FROM ${table} WHERE id = 1`).get() as { sealed: Buffer } | undefined)?.sealed;
}

export function hasRow(db: Db, table: SingleRow): boolean {
  return db.prepare(`SELECT 1 FROM ${table} WHERE id = 1`).get() !== undefined;
}

export function writeSealedRow(db: Db, table: SingleRow, sealed: Buffer, at: number): void {
  if (table === 'mail_identity') {
    db.prepare(
      'INSERT INTO mail_identity (id, sealed, updated_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at',
    ).run(sealed, at);
  } else
    db.prepare('INSERT INTO qkd_settings (id, sealed) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed').run(sealed);
}

export function clearRow(db: Db, table: SingleRow): void {
  db.prepare(`DELETE FROM ${table}`).run();
}

export function readQkdOrigin<O extends string>(db: Db): O | undefined {
  return (db.prepare('SELECT origin FROM qkd_origin WHERE id = 1').get() as { origin: O } | undefined)?.origin;
}

export function writeQkdOrigin(db: Db, origin: string): void {
  db.prepare('INSERT INTO qkd_origin (id, origin) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET origin = excluded.origin').run(origin);
}
