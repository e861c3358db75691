// The outbox table: one row per message waiting, sending, sent or failed. State, attempt
// count and timing stay readable so the outbox can be scheduled without the key; the message
// itself (recipients, subject, text, attachments) and the last error (it names recipients)
// are sealed, each bound to its row.
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import { prepared } from './statements.js';

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

/** One outbox row, opened: `job` is whatever the outbox keeps about its message. */
export interface OutboxEntry<J> {
  id: string;
  state: OutboxState;
  attempts: number;
  nextAt: number;
  createdAt: number;
  uploaded: number;
  total: number;
  error?: string;
  job: J;
}

interface Row {
  id: string;
  state: OutboxState;
  attempts: number;
  next_at: number;
  created_at: number;
  uploaded: number;
  total: number;
  error: string | null;
  error_sealed: Buffer | null;
  sealed: Buffer;
}

const jobAad = (id: string) => `qmail.outbox.v1:${id}`;
const errorAad = (id: string) => `qmail.outbox-error.v1:${id}`;

/** Jobs sealed in fewer bytes than this are kept opened (a big attachment is opened each time). */
const KEEP_OPENED_BELOW = 256 * 1024;

export class OutboxTable<J> {
  /**
   * Jobs already opened, by row, valid while the row's sealed bytes and the vault's box are the
   * same: the outbox lists every unsent row on each change it announces, so a long queue would
   * otherwise be unsealed and parsed over and over. Callers never modify a job they read.
   */
  private readonly opened = new Map<string, { box: SecretBox; sealed: Buffer; job: J }>();

  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  private openJob(r: Row): J {
    const box = this.box();
    const hit = this.opened.get(r.id);
    if (hit && hit.box === box && hit.sealed.equals(r.sealed)) return hit.job;
    const job = JSON.parse(box.open(r.sealed, jobAad(r.id)).toString('utf8')) as J;
    if (r.state !== 'sent' && r.sealed.length < KEEP_OPENED_BELOW) this.opened.set(r.id, { box, sealed: r.sealed, job });
    else this.opened.delete(r.id);
    return job;
  }

  private open(r: Row): OutboxEntry<J> {
    const error = r.error_sealed ? this.box().open(r.error_sealed, errorAad(r.id)).toString('utf8') : (r.error ?? undefined);
    return {
      id: r.id,
      state: r.state,
      attempts: r.attempts,
      nextAt: r.next_at,
      createdAt: r.created_at,
      uploaded: r.uploaded,
      total: r.total,
      ...(error ? { error } : {}),
      job: this.openJob(r),
    };
  }

  private sealJob(id: string, job: J): Buffer {
    return this.box().seal(Buffer.from(JSON.stringify(job)), jobAad(id));
  }

  private sealError(id: string, error: string | undefined): Buffer | null {
    return error ? this.box().seal(Buffer.from(error), errorAad(id)) : null;
  }

  insert(id: string, job: J, now: number): void {
    prepared(this.db, "INSERT INTO mail_outbox (id, state, attempts, next_at, created_at, sealed) VALUES (?, 'queued', 0, ?, ?, ?)").run(
      id,
      now,
      now,
      this.sealJob(id, job),
    );
  }

  get(id: string): OutboxEntry<J> | undefined {
    const r = prepared(this.db, 'SELECT * FROM mail_outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? this.open(r) : undefined;
  }

  /** A row still waiting (queued) or given up (failed): the ones a user may retry, cancel or edit. */
  waiting(id: string): OutboxEntry<J> | undefined {
    const r = prepared(this.db, "SELECT * FROM mail_outbox WHERE id = ? AND state IN ('failed', 'queued')").get(id) as Row | undefined;
    return r ? this.open(r) : undefined;
  }

  /** Everything not sent yet, oldest first. */
  unsent(): OutboxEntry<J>[] {
    const rows = prepared(this.db, "SELECT * FROM mail_outbox WHERE state != 'sent' ORDER BY created_at").all() as Row[];
    return rows.map((r) => this.open(r));
  }

  /** Queued rows whose time has come, soonest first. */
  due(now: number, limit: number): OutboxEntry<J>[] {
    const rows = prepared(this.db, "SELECT * FROM mail_outbox WHERE state = 'queued' AND next_at <= ? ORDER BY next_at LIMIT ?").all(
      now,
      limit,
    ) as Row[];
    return rows.map((r) => this.open(r));
  }

  /** When the next queued row is due; undefined when none waits. */
  nextDue(): number | undefined {
    const r = prepared(this.db, "SELECT MIN(next_at) AS t FROM mail_outbox WHERE state = 'queued'").get() as { t: number | null };
    return r.t ?? undefined;
  }

  startAttempt(id: string): void {
    prepared(this.db, "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?").run(id);
  }

  progress(id: string, uploaded: number, total: number): void {
    prepared(this.db, 'UPDATE mail_outbox SET uploaded = ?, total = ? WHERE id = ?').run(uploaded, total, id);
  }

  setJob(id: string, job: J): void {
    prepared(this.db, 'UPDATE mail_outbox SET sealed = ? WHERE id = ?').run(this.sealJob(id, job), id);
  }

  sent(id: string, job: J): void {
    this.opened.delete(id);
    prepared(this.db, "UPDATE mail_outbox SET state = 'sent', error = NULL, error_sealed = NULL, sealed = ? WHERE id = ?").run(
      this.sealJob(id, job),
      id,
    );
  }

  /** Back to queued for another attempt at `nextAt`; `error` is what went wrong (sealed), none for a retry asked by the user. */
  requeue(id: string, nextAt: number, error?: string, onlyWaiting = false): boolean {
    const sql = `UPDATE mail_outbox SET state = 'queued', next_at = ?, error = NULL, error_sealed = ? WHERE id = ?${onlyWaiting ? " AND state IN ('failed', 'queued')" : ''}`;
    return prepared(this.db, sql).run(nextAt, this.sealError(id, error), id).changes === 1;
  }

  failed(id: string, error: string): void {
    prepared(this.db, "UPDATE mail_outbox SET state = 'failed', error = NULL, error_sealed = ? WHERE id = ?").run(
      this.sealError(id, error),
      id,
    );
  }

  remove(id: string, onlyWaiting = false): boolean {
    this.opened.delete(id);
    const sql = `DELETE FROM mail_outbox WHERE id = ?${onlyWaiting ? " AND state IN ('failed', 'queued')" : ''}`;
    return prepared(this.db, sql).run(id).changes === 1;
  }

  /** Rows left in `sending` by a crash or quit go back to the queue; returns how many. */
  recoverSending(): number {
    return prepared(this.db, "UPDATE mail_outbox SET state = 'queued' WHERE state = 'sending'").run().changes;
  }

  /**
   * Seals errors a schema 2 profile kept in the clear (needs the key, so it runs after unlock).
   * secure_delete overwrites the freed text instead of leaving it in free pages.
   */
  sealLegacyErrors(): number {
    const rows = prepared(this.db, 'SELECT id, error FROM mail_outbox WHERE error IS NOT NULL').all() as { id: string; error: string }[];
    if (!rows.length) return 0;
    const before = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      this.db.transaction(() => {
        for (const r of rows)
          prepared(this.db, 'UPDATE mail_outbox SET error = NULL, error_sealed = ? WHERE id = ?').run(this.sealError(r.id, r.error), r.id);
      })();
    } finally {
      this.db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
    }
    return rows.length;
  }
}
