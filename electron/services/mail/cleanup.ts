// Deleting what a failed send left on servers (issue 12, finding 9). Every object an attempt
// uploads is recorded first (store/uploads.ts); once its message is given up or taken back to
// Drafts, each is deleted from its server with the owner-only delete (EXT-OT 81), best effort:
// a few tries with a backoff, kept in the profile so a restart picks them up again. Objects of
// a sent message, or of an attempt that reached some recipient, are never deleted.
import type { UploadRow, UploadsTable } from '../../store/uploads.js';
import { MAX_BACKOFF_MS, type MailContext } from './context.js';
import { QMailServerClient } from '../net/group6.js';
import { PassLoop, type Schedule } from './pass-loop.js';
import { StatusError, type ConnectionPool } from '../net/transport.js';
import { Status } from '../../../shared/raida/index.js';

/** Tries per object before it is left to the server's retention. */
export const MAX_DELETE_TRIES = 6;
/** Objects deleted at once. */
const BATCH = 32;

export interface CleanupOptions {
  /** Delay before try n+1 is baseMs × 2^n, capped. */
  baseMs?: number;
  schedule?: Schedule;
}

export class UploadCleanup {
  private readonly loop: PassLoop;

  constructor(
    private readonly ctx: MailContext,
    readonly table: UploadsTable,
    private readonly pool: ConnectionPool,
    private readonly o: CleanupOptions = {},
  ) {
    this.loop = new PassLoop(() => this.run(), o.schedule);
  }

  /** After unlock, before the outbox sends: what a crash left behind is sorted, then deleted. */
  start(): void {
    if (this.loop.running) return;
    this.table.recover(this.ctx.now());
    this.loop.start();
  }

  halt(): void {
    this.loop.halt();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  // What the outbox tells (OutboxOptions.uploads).
  attemptEnded(outboxId: string, reachedSomeone: boolean): void {
    this.table.attemptEnded(outboxId, reachedSomeone);
  }

  sent(outboxId: string): void {
    this.table.forget(outboxId);
  }

  discard(outboxId: string): void {
    if (this.table.discard(outboxId, this.ctx.now())) this.kick();
  }

  /** Resolves once nothing is due now (tests, a quitting CLI). */
  async settle(): Promise<void> {
    await this.loop.settle();
  }

  private kick(delayMs = 0): void {
    this.loop.kick(delayMs);
  }

  private async run(): Promise<void> {
    for (let round = 0; round < 64; round++) {
      const me = this.loop.running && this.ctx.unlocked() ? this.ctx.identity.current() : undefined;
      if (!me) return;
      const rows = this.table.due(this.ctx.now(), BATCH);
      if (!rows.length) break;
      await Promise.all(rows.map((r) => this.deleteOne(r)));
    }
    const next = this.table.nextDue();
    if (next !== undefined) this.kick(Math.max(50, next - this.ctx.now()));
  }

  private async deleteOne(r: UploadRow): Promise<void> {
    const me = this.ctx.identity.current();
    const h = me?.servers.find((s) => s.nodeId === r.nodeId);
    if (!me || !h) {
      // Not hired there any more: our AN is gone, the server's retention removes it.
      this.ctx.log('uploaded object left to its server', { node: r.nodeId, reason: 'not hired' });
      this.table.done(r);
      return;
    }
    try {
      const client = new QMailServerClient(this.pool, { host: h.host, port: h.port, raidaId: h.raidaId }, 10_000);
      await client.deleteObject(
        { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) },
        new Uint8Array(Buffer.from(r.guid, 'hex')),
        r.fileType,
      );
      this.table.done(r);
    } catch (e) {
      const refused = e instanceof StatusError && (e.status === Status.INVALID_AN || e.status === Status.COIN_NOT_FOUND);
      if (refused || r.tries + 1 >= MAX_DELETE_TRIES) {
        this.ctx.log('uploaded object not deleted', { node: r.nodeId, tries: r.tries + 1, error: (e as Error).message });
        this.table.done(r);
      } else this.table.postpone(r, this.ctx.now() + Math.min(MAX_BACKOFF_MS, (this.o.baseMs ?? 2000) * 2 ** r.tries));
    }
  }
}
