// Messages at rest. Folder, date and the unread flag stay readable so lists can be
// ordered and counted without the key; everything a person wrote is sealed, bound to
// its row id.
import { randomBytes } from 'node:crypto';
import type { FolderId, MessageSummary, MessageView } from '../../shared/ipc/index.js';
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import { prepared } from './statements.js';

export interface StoredMessage {
  from: string;
  to: string[];
  subject: string;
  body: string;
  level: MessageSummary['level'];
  /** Display names, when known (see MessageSummary). */
  fromName?: string;
  toNames?: Record<string, string>;
  /** Chips that came or went with this qmail (MessageSummary.tip). */
  tip?: MessageSummary['tip'];
}

interface Row {
  id: string;
  folder: FolderId;
  date: number;
  unread: number;
  sealed: Buffer;
}

const PREVIEW_CHARS = 140;

export function newMessageId(): string {
  return randomBytes(16).toString('hex');
}

function aad(id: string): string {
  return `qmail.message.v1:${id}`;
}

export function previewOf(body: string): string {
  return body.replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS);
}

export class MessageStore {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  put(id: string, folder: FolderId, date: number, unread: boolean, m: StoredMessage): void {
    const sealed = this.box().seal(Buffer.from(JSON.stringify(m), 'utf8'), aad(id));
    prepared(
      this.db,
      `INSERT INTO messages (id, folder, date, unread, sealed) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET folder = excluded.folder, date = excluded.date, unread = excluded.unread, sealed = excluded.sealed`,
    ).run(id, folder, date, unread ? 1 : 0, sealed);
  }

  private open(row: Row): MessageView {
    const m = JSON.parse(this.box().open(row.sealed, aad(row.id)).toString('utf8')) as StoredMessage;
    return {
      id: row.id,
      folder: row.folder,
      date: row.date,
      unread: row.unread === 1,
      from: m.from,
      to: m.to,
      subject: m.subject,
      preview: previewOf(m.body),
      level: m.level,
      ...(m.fromName ? { fromName: m.fromName } : {}),
      ...(m.toNames && Object.keys(m.toNames).length ? { toNames: m.toNames } : {}),
      ...(m.tip ? { tip: m.tip } : {}),
      body: m.body,
    };
  }

  counts(): Map<FolderId, { total: number; unread: number }> {
    const rows = prepared(this.db, 'SELECT folder, COUNT(*) AS total, SUM(unread) AS unread FROM messages GROUP BY folder').all() as {
      folder: FolderId;
      total: number;
      unread: number | null;
    }[];
    return new Map(rows.map((r) => [r.folder, { total: r.total, unread: r.unread ?? 0 }]));
  }

  list(folder: FolderId, offset: number, limit: number): { total: number; items: MessageSummary[] } {
    const total = (prepared(this.db, 'SELECT COUNT(*) AS n FROM messages WHERE folder = ?').get(folder) as { n: number }).n;
    const rows = prepared(
      this.db,
      'SELECT id, folder, date, unread, sealed FROM messages WHERE folder = ? ORDER BY date DESC, id LIMIT ? OFFSET ?',
    ).all(folder, limit, offset) as Row[];
    return {
      total,
      items: rows.map((r) => {
        const { body: _body, ...summary } = this.open(r);
        return summary;
      }),
    };
  }

  get(id: string): MessageView | undefined {
    const row = prepared(this.db, 'SELECT id, folder, date, unread, sealed FROM messages WHERE id = ?').get(id) as Row | undefined;
    return row ? this.open(row) : undefined;
  }

  /** Sets (or clears) the tip a stored message shows; false when the message is gone. */
  setTip(id: string, tip: MessageSummary['tip'] | undefined): boolean {
    const row = prepared(this.db, 'SELECT sealed FROM messages WHERE id = ?').get(id) as { sealed: Buffer } | undefined;
    if (!row) return false;
    const m = JSON.parse(this.box().open(row.sealed, aad(id)).toString('utf8')) as StoredMessage;
    if (tip) m.tip = tip;
    else delete m.tip;
    prepared(this.db, 'UPDATE messages SET sealed = ? WHERE id = ?').run(
      this.box().seal(Buffer.from(JSON.stringify(m), 'utf8'), aad(id)),
      id,
    );
    return true;
  }

  setUnread(id: string, unread: boolean): boolean {
    return prepared(this.db, 'UPDATE messages SET unread = ? WHERE id = ?').run(unread ? 1 : 0, id).changes === 1;
  }

  /**
   * Stored messages in id order after `afterId` ('' for the first), at most `limit`: the
   * in-memory index is built from these slices after unlock, one query each.
   */
  page(afterId: string, limit: number): { id: string; folder: FolderId; date: number; message: StoredMessage }[] {
    const box = this.box();
    const rows = prepared(this.db, 'SELECT id, folder, date, sealed FROM messages WHERE id > ? ORDER BY id LIMIT ?').all(
      afterId,
      limit,
    ) as Omit<Row, 'unread'>[];
    return rows.map((r) => ({
      id: r.id,
      folder: r.folder,
      date: r.date,
      message: JSON.parse(box.open(r.sealed, aad(r.id)).toString('utf8')) as StoredMessage,
    }));
  }

  /** Every message id (to build the in-memory index after unlock). */
  ids(): string[] {
    return (prepared(this.db, 'SELECT id FROM messages').all() as { id: string }[]).map((r) => r.id);
  }

  remove(id: string): boolean {
    return prepared(this.db, 'DELETE FROM messages WHERE id = ?').run(id).changes === 1;
  }

  move(id: string, folder: FolderId): FolderId | undefined {
    const row = prepared(this.db, 'SELECT folder FROM messages WHERE id = ?').get(id) as { folder: FolderId } | undefined;
    if (!row) return undefined;
    prepared(this.db, 'UPDATE messages SET folder = ? WHERE id = ?').run(folder, id);
    return row.folder;
  }
}
