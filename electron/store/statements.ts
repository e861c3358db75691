// Prepared statements kept per connection and SQL text. The mail path runs the same few
// statements for every message sent or received (the outbox row, the pending Tell, the
// stored message and its extras), and preparing one cost about as much as running it
// (better-sqlite3 compiles the SQL each time). Bounded: the oldest goes past MAX_KEPT.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export const MAX_KEPT = 128;

const kept = new WeakMap<Db, Map<string, Statement>>();

/** `db.prepare(sql)`, compiled once per connection. */
export function prepared(db: Db, sql: string): Statement {
  let byText = kept.get(db);
  if (!byText) kept.set(db, (byText = new Map()));
  let s = byText.get(sql);
  if (!s) {
    s = db.prepare(sql);
    byText.set(sql, s);
    if (byText.size > MAX_KEPT) byText.delete(byText.keys().next().value!);
  }
  return s;
}

/** How many statements are kept for `db` (tests). */
export function keptStatements(db: Db): number {
  return kept.get(db)?.size ?? 0;
}
