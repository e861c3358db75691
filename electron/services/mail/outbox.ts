// The outbox state machine. A message is queued (sealed), then attempted; an attempt that
// fails for a reason that may pass is queued again after base × 2^(n-1) (capped), and after
// maxAttempts, or at once for a reason that will not pass, the message has failed. A failed
// or waiting message can be retried or given back to Drafts whole. Rows a crash or quit left
// in `sending` are queued again when the outbox starts. A retry after a partial delivery
// tells only the recipients not reached yet. The attempt itself (bundle, stripes, Tells,
// filing in Sent) is injected, so the machine runs in tests without servers.
// Longer than 400 lines on purpose: one state machine, its window of attempts in flight and
// the queue it lists are one set of rules; split, each half would need the other's state.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { OutboxItem, RecipientDelivery } from '../../../shared/ipc/index.js';
import { parseMailbox } from '../../../shared/cbdf/address.js';
import type { OutboxEntry } from '../../store/outbox.js';
import {
  checkLayoutBounds,
  MailError,
  MAX_BACKOFF_MS,
  normalAddress,
  StripeLayoutError,
  type DraftInput,
  type Layout,
  type MailContext,
  type OutboxJob,
  type OutgoingMessage,
  type StoredAttachment,
} from './context.js';
import { PassLoop, type Schedule } from './pass-loop.js';
import { MAX_ATTACHMENT_BYTES } from './bundle.js';

/** One attempt as the outbox asks for it. */
export interface AttemptRequest {
  id: string;
  job: OutboxJob;
  /** Every recipient, in written form. */
  everyone: string[];
  /** Recipients an earlier attempt reached: not told again. */
  reached: RecipientDelivery[];
  onProgress(uploaded: number, total: number): void;
}

/** What a successful attempt reports (it has filed the message in Sent). */
export interface AttemptOutcome {
  delivered: string[];
  /** CC each paid recipient's locker held. */
  paid?: Record<string, string>;
  fallback?: { from: 'L1' | 'L2'; reason: string };
}

/** A failure the outbox can read: whether it may pass, and what it learnt per recipient. */
export interface AttemptFailure {
  retryable: boolean;
  recipients?: { address: string; delivered: boolean; reason?: string; paid?: string; refunded?: boolean }[];
}

export interface OutboxOptions {
  attempt(req: AttemptRequest): Promise<AttemptOutcome>;
  /** How a thrown error reads to the outbox (send errors say whether they may pass). */
  classify(e: unknown): AttemptFailure;
  saveDraft(d: DraftInput): string;
  /** The letter ids a reply to `id` carries, when `id` is part of a conversation. */
  threadRef(id: string): { inReplyTo: string; root: string } | undefined;
  /** The servers the directory listed last time, if asked yet (the widest layout). */
  serverCount(): number | undefined;
  /** Delay before attempt n+1 is retryBaseMs × 2^(n-1), capped at five minutes. */
  retryBaseMs?: number;
  maxAttempts?: number;
  /** Runs `fn` after `ms`; returns a cancel. Default: an unref'd timer. */
  schedule?: Schedule;
  /**
   * What each attempt uploaded (finding 9): kept once it reached someone or is the sent
   * message, deleted from the servers once the message is given up or back in Drafts.
   */
  uploads?: { attemptEnded(id: string, reachedSomeone: boolean): void; sent(id: string): void; discard(id: string): void };
}

/** Messages sent at once at most. */
export const MAX_IN_FLIGHT = 8;

/** A file to attach, by reference: read when the letter is striped, never held whole. */
function fileAttachment(name: string, path: string): StoredAttachment {
  let size;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new MailError('invalid_input', `${name} cannot be read (is it still there?).`);
  }
  if (size > MAX_ATTACHMENT_BYTES) throw new MailError('invalid_input', `${name} is over 4 GiB.`);
  return { name, path, size };
}

export class Outbox {
  private readonly loop: PassLoop;
  private readonly waiters = new Map<string, ((item: OutboxItem) => void)[]>();

  constructor(
    private readonly ctx: MailContext,
    private readonly o: OutboxOptions,
  ) {
    this.loop = new PassLoop(() => this.drain(), o.schedule);
    // A send interrupted by a crash or quit is picked up again (readable without the key).
    ctx.tables.outbox.recoverSending();
  }

  private get table() {
    return this.ctx.tables.outbox;
  }

  /** After unlock: seal errors an older profile kept in the clear, then send what is due. */
  start(): void {
    if (this.loop.running) return;
    this.unsent = null;
    this.table.sealLegacyErrors();
    this.loop.start();
  }

  /** Sends nothing more from now; stop() also waits for the attempts in flight. */
  halt(): void {
    this.loop.halt();
    this.unsent = null;
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.unsent = null;
  }

  // ------------------------------------------------------------------ what the UI sees

  private toItem(r: OutboxEntry<OutboxJob>): OutboxItem {
    const job = r.job;
    return {
      id: r.id,
      to: [...job.to, ...job.cc],
      subject: job.subject,
      state: r.state,
      attempts: r.attempts,
      uploaded: r.uploaded,
      total: r.total,
      createdAt: r.createdAt,
      ...(r.error ? { error: r.error } : {}),
      ...(r.state === 'queued' ? { nextAttemptAt: r.nextAt } : {}),
      level: job.fallback ? 'L3' : job.level,
      ...(job.fallback ? { fallback: job.fallback } : {}),
      recipients: this.recipientStates(r),
    };
  }

  /** Each recipient's state: what the last attempt learnt, else the row's own state. */
  private recipientStates(r: OutboxEntry<OutboxJob>): RecipientDelivery[] {
    const known = new Map((r.job.delivery ?? []).map((d) => [d.address, d]));
    return [...new Set([...r.job.to, ...r.job.cc])].map((address) => {
      const name = this.ctx.names.known(address);
      const k = known.get(address);
      // What the recipient's locker paid, or that it came back, whatever the state.
      const base = { address, ...(name ? { name } : {}), ...(k?.paid ? { paid: k.paid } : {}), ...(k?.refunded ? { refunded: true } : {}) };
      if (r.state === 'sent') return { ...base, state: 'delivered' as const, ...(k?.at ? { at: k.at } : {}) };
      if (k?.state === 'delivered') return { ...base, state: 'delivered' as const, ...(k.at ? { at: k.at } : {}) };
      if (r.state === 'failed')
        return { ...base, state: 'failed' as const, reason: k?.reason ?? r.error ?? 'the servers did not accept it' };
      return {
        ...base,
        state: r.state === 'sending' ? ('sending' as const) : ('queued' as const),
        ...(k?.reason ? { reason: k.reason } : {}),
      };
    });
  }

  /**
   * The unsent rows as last read, by id, while unlocked: every change the outbox makes re-reads
   * only its own row (announce), instead of every unsent row being read and unsealed again on
   * each change (quadratic in a long queue). Dropped on halt, and read whole again when empty.
   */
  private unsent: Map<string, OutboxEntry<OutboxJob>> | null = null;

  list(): OutboxItem[] {
    if (!this.ctx.unlocked()) this.unsent = null;
    this.unsent ??= new Map(this.table.unsent().map((r) => [r.id, r]));
    return [...this.unsent.values()].map((r) => this.toItem(r));
  }

  item(id: string): OutboxItem | undefined {
    const r = this.table.get(id);
    return r ? this.toItem(r) : undefined;
  }

  /** Tells the window about a change to row `id` (and its outcome when it has just settled). */
  private announce(id: string): void {
    const row = this.table.get(id);
    if (this.unsent) {
      if (row && row.state !== 'sent') {
        // Kept in creation order, as the table lists them (a new row is the newest).
        this.unsent.set(id, row);
      } else this.unsent.delete(id);
    }
    const item = row ? this.toItem(row) : undefined;
    const settled = item && (item.state === 'sent' || item.state === 'failed') ? item : undefined;
    this.ctx.emit('outbox.changed', { items: this.list(), ...(settled ? { settled } : {}) });
    if (!settled) return;
    for (const w of this.waiters.get(settled.id) ?? []) w(settled);
    this.waiters.delete(settled.id);
  }

  // ------------------------------------------------------------------ what the user does

  /** Validates and queues a message; the worker sends it. `fallback`: already decided to go at L3. */
  queue(m: OutgoingMessage, fallback?: { from: 'L1' | 'L2'; reason: string }): OutboxItem {
    this.ctx.identity.me();
    for (const a of [...m.to, ...m.cc]) {
      try {
        parseMailbox(a);
      } catch {
        throw new MailError('invalid_input', `${a} is not a QMail address (they look like 0006.0.1000).`);
      }
    }
    const stripes: Layout = m.stripes ?? this.ctx.defaultLayout;
    checkLayoutBounds(stripes);
    const max = this.o.serverCount();
    if (max !== undefined && stripes.k + stripes.p > max) throw new StripeLayoutError(stripes, max);
    // A reply whose original was erased meanwhile still goes, just without the thread reference.
    const answered = m.inReplyTo && this.ctx.tables.messages.get(m.inReplyTo) ? m.inReplyTo : undefined;
    const thread = answered ? this.o.threadRef(answered) : undefined;
    const id = randomBytes(16).toString('hex');
    const job: OutboxJob = {
      to: m.to,
      cc: m.cc,
      subject: m.subject,
      body: m.body,
      attachments: m.attachments.map((a) =>
        'path' in a
          ? fileAttachment(a.name, a.path)
          : 'ref' in a
            ? { name: a.name, ref: a.ref, size: a.size }
            : { name: a.name, data: Buffer.from(a.data).toString('base64') },
      ),
      level: m.level,
      stripes,
      ...(m.allowFallback ? { allowFallback: true } : {}),
      ...(fallback ? { fallback } : {}),
      ...(answered ? { replyTo: answered } : {}),
      ...(thread ? { thread } : {}),
      ...(m.document ? { document: m.document } : {}),
      ...(m.tips && Object.keys(m.tips).length ? { tips: m.tips } : {}),
    };
    this.table.insert(id, job, this.ctx.now());
    this.announce(id);
    this.kick();
    return this.item(id)!;
  }

  /** What a given-up item's lockers held came back to the wallet: its recipients say so. */
  markRefunded(id: string, addresses: readonly string[]): void {
    const r = this.table.get(id);
    if (!r || !addresses.length) return;
    const known = r.job.delivery ?? [];
    const delivery = [
      ...known.map((d) => (addresses.includes(d.address) ? { ...d, refunded: true } : d)),
      ...addresses
        .filter((a) => !known.some((d) => d.address === a))
        .map((address) => ({ address, state: 'failed' as const, refunded: true })),
    ];
    this.table.setJob(id, { ...r.job, delivery });
    this.announce(id);
  }

  /** Resolves when the item is sent or has failed for good. */
  waitFor(id: string): Promise<OutboxItem> {
    const cur = this.item(id);
    if (!cur) return Promise.reject(new MailError('not_found', 'No such outbox item.'));
    if (cur.state === 'sent' || cur.state === 'failed') return Promise.resolve(cur);
    // The outbox timers are unref'd so an idle app can quit; someone waiting on a send
    // keeps the process alive until it settles.
    const keepAlive = setInterval(() => {}, 60_000);
    return new Promise<OutboxItem>((res) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), res])).finally(() =>
      clearInterval(keepAlive),
    );
  }

  retry(id: string): OutboxItem {
    if (!this.table.requeue(id, this.ctx.now(), undefined, true))
      throw new MailError('not_found', 'That message is not waiting in the outbox.');
    this.announce(id);
    this.kick();
    return this.item(id)!;
  }

  cancel(id: string): void {
    if (!this.table.remove(id, true))
      throw new MailError('not_found', 'That message is not waiting in the outbox (it may be sending right now).');
    this.o.uploads?.discard(id);
    this.announce(id);
  }

  /**
   * Takes a waiting or failed message out of the outbox and gives it back to Drafts whole
   * (recipients, text, attachments, level, layout, the message it answers); returns the draft's id.
   */
  returnToDrafts(id: string): string {
    const r = this.table.waiting(id);
    if (!r) throw new MailError('not_found', 'That message is not waiting in the outbox (it may be sending right now).');
    const job = r.job;
    let draftId = '';
    this.ctx.db.transaction(() => {
      draftId = this.o.saveDraft({
        to: job.to,
        cc: job.cc,
        subject: job.subject,
        body: job.body,
        level: job.fallback ? job.fallback.from : job.level,
        stripes: job.stripes,
        attachments: job.attachments,
        ...(job.replyTo && this.ctx.tables.messages.get(job.replyTo) ? { inReplyTo: job.replyTo } : {}),
        ...(job.document ? { document: job.document } : {}),
      });
      this.table.remove(id);
    })();
    this.o.uploads?.discard(id);
    this.announce(id);
    return draftId;
  }

  // ------------------------------------------------------------------ the worker

  /** Wakes the drain in progress (a message was queued or retried while others are sending). */
  private wake: (() => void) | null = null;

  /** Runs the worker after `delayMs` (now by default), or right after the drain in progress. */
  kick(delayMs = 0): void {
    if (delayMs === 0 && this.wake) this.wake();
    this.loop.kick(delayMs);
  }

  /**
   * Attempts everything due, up to MAX_IN_FLIGHT at once: each attempt that ends makes room for
   * the next due message at once (no waiting for the slowest of a batch), and a message queued
   * meanwhile starts as soon as there is room. Each message is still one attempt at a time
   * (`sending` rows are not due). When nothing is due or sending, schedules the next due row.
   */
  async drain(): Promise<void> {
    const sending = new Set<Promise<void>>();
    try {
      for (;;) {
        if (!this.loop.running || !this.ctx.unlocked()) return;
        const room = MAX_IN_FLIGHT - sending.size;
        for (const r of room > 0 ? this.table.due(this.ctx.now(), room) : []) {
          const p: Promise<void> = this.attempt(r).finally(() => sending.delete(p));
          sending.add(p);
        }
        if (!sending.size) {
          const next = this.table.nextDue();
          if (next !== undefined) this.kick(Math.max(50, next - this.ctx.now()));
          return;
        }
        await Promise.race([...sending, new Promise<void>((r) => (this.wake = r))]);
        this.wake = null;
      }
    } finally {
      this.wake = null;
      await Promise.all(sending);
    }
  }

  private async attempt(r: OutboxEntry<OutboxJob>): Promise<void> {
    const { job } = r;
    this.table.startAttempt(r.id);
    this.announce(r.id);
    // Recipients an earlier attempt reached are not told again (the retry goes under a new GUID).
    const everyone = [...new Set([...job.to, ...job.cc].map(normalAddress))];
    const reached = (job.delivery ?? []).filter((d) => d.state === 'delivered' && everyone.includes(d.address));
    let lastAnnounce = 0;
    try {
      const res = await this.o.attempt({
        id: r.id,
        job,
        everyone,
        reached,
        onProgress: (uploaded, total) => {
          // Written when announced (at most every 250 ms, and the last one): the window reads it
          // from there; a crash requeues the row anyway.
          if (this.ctx.now() - lastAnnounce > 250 || uploaded === total) {
            lastAnnounce = this.ctx.now();
            this.table.progress(r.id, uploaded, total);
            this.announce(r.id);
          }
        },
      });
      const fallback = job.fallback ?? res.fallback;
      // Keep a stub (recipients, subject) so late waiters learn the outcome; the body now lives in Sent.
      const at = this.ctx.now();
      const stub: OutboxJob = {
        ...job,
        body: '',
        attachments: [],
        document: undefined,
        ...(fallback ? { fallback } : {}),
        delivery: [
          ...reached,
          ...res.delivered.map((address) => ({
            address,
            state: 'delivered' as const,
            at,
            ...(res.paid?.[address] ? { paid: res.paid[address] } : {}),
          })),
        ],
      };
      this.table.sent(r.id, stub);
      this.o.uploads?.sent(r.id);
      this.announce(r.id);
      this.ctx.emit('mail.changed', { folders: ['sent'] });
    } catch (e) {
      const attempts = r.attempts + 1;
      const max = this.o.maxAttempts ?? 6;
      const { retryable, recipients } = this.o.classify(e);
      const message = (e as Error).message;
      this.ctx.log('send attempt failed', { id: r.id, attempts, error: message });
      this.o.uploads?.attemptEnded(r.id, recipients?.some((x) => x.delivered) ?? false);
      if (recipients?.length) {
        const now: RecipientDelivery[] = recipients.map((x) => ({
          address: x.address,
          state: x.delivered ? 'delivered' : 'failed',
          ...(x.delivered ? { at: this.ctx.now() } : { reason: x.reason ?? message }),
          ...(x.paid ? { paid: x.paid } : {}),
          ...(x.refunded ? { refunded: true } : {}),
        }));
        const delivery = [...reached, ...now.filter((d) => !reached.some((p) => p.address === d.address))];
        this.table.setJob(r.id, { ...job, delivery });
      }
      if (retryable && attempts < max) {
        const delay = Math.min(MAX_BACKOFF_MS, (this.o.retryBaseMs ?? 2000) * 2 ** (attempts - 1));
        this.table.requeue(r.id, this.ctx.now() + delay, `Will retry: ${message}`);
        this.announce(r.id);
      } else {
        this.table.failed(r.id, message);
        this.o.uploads?.discard(r.id);
        this.announce(r.id);
        this.ctx.emit('notify', { level: 'error', title: `Not sent: ${job.subject || '(no subject)'}`, body: message });
      }
    }
  }
}
