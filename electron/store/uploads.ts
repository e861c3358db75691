// The objects send attempts put on servers, one row per (server, object), written before the
// upload starts so a crash cannot forget one. A row is `sending` while its attempt runs,
// `failed` once the attempt reached no recipient (the next attempt stores the message under a
// new GUID), `discard` once the message was given up or taken back to Drafts: the client then
// deletes the object from its server. A row whose object is the sent message, or was delivered
// to some recipient, is simply forgotten (the server's retention removes it).
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export type UploadState = 'sending' | 'failed' | 'discard';

export interface UploadedObject {
  nodeId: string;
  /** Object id, hex. */
  guid: string;
  fileType: number;
}

export interface UploadRow extends UploadedObject {
  outboxId: string;
  tries: number;
}

export class UploadsTable {
  /** The record written before each upload (several per message): prepared once, not on every call. */
  private insert: Statement<[string, string, number, string]> | undefined;

  constructor(private readonly db: Db) {}

  /** Records an object about to be uploaded for outbox item `outboxId`. */
  begin(outboxId: string, o: UploadedObject): void {
    this.insert ??= this.db.prepare(
      "INSERT INTO mail_uploads (node_id, guid, file_type, outbox_id, state) VALUES (?, ?, ?, ?, 'sending') ON CONFLICT DO NOTHING",
    );
    this.insert.run(o.nodeId, o.guid, o.fileType, outboxId);
  }

  /** The attempt in flight for `outboxId` ended: its objects are `failed` (reached nobody) or forgotten (they are the message). */
  attemptEnded(outboxId: string, reachedSomeone: boolean): void {
    if (reachedSomeone) this.db.prepare("DELETE FROM mail_uploads WHERE outbox_id = ? AND state = 'sending'").run(outboxId);
    else this.db.prepare("UPDATE mail_uploads SET state = 'failed' WHERE outbox_id = ? AND state = 'sending'").run(outboxId);
  }

  /** The message was sent: what earlier attempts stored is left to the servers' retention. */
  forget(outboxId: string): void {
    this.db.prepare('DELETE FROM mail_uploads WHERE outbox_id = ?').run(outboxId);
  }

  /** The message was given up or taken back: every object its attempts stored is to be deleted. */
  discard(outboxId: string, now: number): number {
    return this.db
      .prepare("UPDATE mail_uploads SET state = 'discard', next_at = ? WHERE outbox_id = ? AND state != 'discard'")
      .run(now, outboxId).changes;
  }

  /**
   * At start, nothing is sending: rows a crash left `sending` reached nobody we know of. Rows
   * of an outbox item that is gone or failed are to be deleted. Returns how many are.
   */
  recover(now: number): number {
    this.db.prepare("UPDATE mail_uploads SET state = 'failed' WHERE state = 'sending'").run();
    return this.db
      .prepare(
        "UPDATE mail_uploads SET state = 'discard', next_at = ? WHERE state = 'failed' AND outbox_id NOT IN (SELECT id FROM mail_outbox WHERE state IN ('queued', 'sending', 'sent'))",
      )
      .run(now).changes;
  }

  due(now: number, limit: number): UploadRow[] {
    const rows = this.db
      .prepare(
        "SELECT node_id, guid, file_type, outbox_id, tries FROM mail_uploads WHERE state = 'discard' AND next_at <= ? ORDER BY next_at LIMIT ?",
      )
      .all(now, limit) as { node_id: string; guid: string; file_type: number; outbox_id: string; tries: number }[];
    return rows.map((r) => ({ nodeId: r.node_id, guid: r.guid, fileType: r.file_type, outboxId: r.outbox_id, tries: r.tries }));
  }

  /** When the next object to delete is due; undefined when none is. */
  nextDue(): number | undefined {
    const r = this.db.prepare("SELECT MIN(next_at) AS t FROM mail_uploads WHERE state = 'discard'").get() as { t: number | null };
    return r.t ?? undefined;
  }

  postpone(o: UploadedObject, nextAt: number): void {
    this.db
      .prepare('UPDATE mail_uploads SET tries = tries + 1, next_at = ? WHERE node_id = ? AND guid = ? AND file_type = ?')
      .run(nextAt, o.nodeId, o.guid, o.fileType);
  }

  /** Deleted from its server (or given up on): the row goes. */
  done(o: UploadedObject): void {
    this.db.prepare('DELETE FROM mail_uploads WHERE node_id = ? AND guid = ? AND file_type = ?').run(o.nodeId, o.guid, o.fileType);
  }

  count(outboxId?: string): number {
    const r = (
      outboxId === undefined
        ? this.db.prepare('SELECT COUNT(*) AS n FROM mail_uploads').get()
        : this.db.prepare('SELECT COUNT(*) AS n FROM mail_uploads WHERE outbox_id = ?').get(outboxId)
    ) as { n: number };
    return r.n;
  }
}
