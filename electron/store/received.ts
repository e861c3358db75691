// What the receive loop keeps: the GUIDs already handled (stored, or given up for good) and
// the Tells a ping handed over that are not stored yet. A Tell names its sender, so it is
// kept sealed, bound to its GUID; the GUID itself is random per send.
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import { prepared } from './statements.js';

export interface PendingTell {
  guid: string;
  attempts: number;
  /** The Tell as the beacon gave it (encoded), opened. */
  tell: Uint8Array;
}

const aad = (guid: string) => `qmail.pending-tell.v1:${guid}`;

export class ReceivedTable {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  seen(guid: string): boolean {
    return prepared(this.db, 'SELECT 1 FROM mail_seen WHERE guid = ?').get(guid) !== undefined;
  }

  /** Records a GUID as handled: `messageId` is the stored message, null when it was given up. */
  markSeen(guid: string, messageId: string | null, at: number): void {
    if (messageId === null) prepared(this.db, 'INSERT OR IGNORE INTO mail_seen (guid, message_id, at) VALUES (?, NULL, ?)').run(guid, at);
    else prepared(this.db, 'INSERT OR REPLACE INTO mail_seen (guid, message_id, at) VALUES (?, ?, ?)').run(guid, messageId, at);
  }

  /** Keeps a Tell until its message is stored; a Tell already kept stays as it is. */
  keep(guid: string, tell: Uint8Array, now: number): void {
    prepared(this.db, 'INSERT OR IGNORE INTO mail_pending (guid, attempts, next_at, sealed) VALUES (?, 0, ?, ?)').run(
      guid,
      now,
      this.box().seal(tell, aad(guid)),
    );
  }

  due(now: number, limit: number): PendingTell[] {
    const rows = prepared(this.db, 'SELECT guid, attempts, sealed FROM mail_pending WHERE next_at <= ? ORDER BY next_at LIMIT ?').all(
      now,
      limit,
    ) as { guid: string; attempts: number; sealed: Buffer }[];
    return rows.map((r) => ({ guid: r.guid, attempts: r.attempts, tell: new Uint8Array(this.box().open(r.sealed, aad(r.guid))) }));
  }

  postpone(guid: string, nextAt: number): void {
    prepared(this.db, 'UPDATE mail_pending SET attempts = attempts + 1, next_at = ? WHERE guid = ?').run(nextAt, guid);
  }

  drop(guid: string): void {
    prepared(this.db, 'DELETE FROM mail_pending WHERE guid = ?').run(guid);
  }

  /** When the next kept Tell is due; undefined when none is kept. */
  nextDue(): number | undefined {
    const r = prepared(this.db, 'SELECT MIN(next_at) AS t FROM mail_pending').get() as { t: number | null };
    return r.t ?? undefined;
  }

  pendingCount(): number {
    return (prepared(this.db, 'SELECT COUNT(*) AS n FROM mail_pending').get() as { n: number }).n;
  }
}
