// Facts about a stored message that the messages table does not keep (attachments, layout,
// certificate, thread ids, delivery, draft settings, where a trashed message came from):
// one sealed JSON value per message, bound to its id.
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import { prepared } from './statements.js';

const aad = (id: string) => `qmail.message-extras.v1:${id}`;

export class ExtrasTable<X> {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  put(id: string, x: X): void {
    prepared(this.db, 'INSERT INTO mail_extras (id, sealed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed').run(
      id,
      this.box().seal(Buffer.from(JSON.stringify(x)), aad(id)),
    );
  }

  get(id: string): X | undefined {
    const row = prepared(this.db, 'SELECT sealed FROM mail_extras WHERE id = ?').get(id) as { sealed: Buffer } | undefined;
    return row ? (JSON.parse(this.box().open(row.sealed, aad(id)).toString('utf8')) as X) : undefined;
  }

  /** The extras of every message whose id is in (after, upTo], by id: one query for a slice of the index build. */
  range(after: string, upTo: string): Map<string, X> {
    const box = this.box();
    const rows = prepared(this.db, 'SELECT id, sealed FROM mail_extras WHERE id > ? AND id <= ?').all(after, upTo) as {
      id: string;
      sealed: Buffer;
    }[];
    return new Map(rows.map((r) => [r.id, JSON.parse(box.open(r.sealed, aad(r.id)).toString('utf8')) as X]));
  }

  remove(id: string): void {
    prepared(this.db, 'DELETE FROM mail_extras WHERE id = ?').run(id);
  }
}
