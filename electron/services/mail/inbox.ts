// The receive loop and the Tells it has not stored yet. While the profile is unlocked and has
// an identity: peek once, then long-poll the beacon (ping). A ping hands each Tell over once,
// so every Tell is first kept sealed (mail_pending) and dropped only once its message is stored
// or cannot ever be opened; the rest are retried with a backoff. The loop pings again as soon
// as a batch is kept, while that batch is opened (at most MAX_OPENING Tells at once, none
// twice). A qmail given up for good is announced (notify, onUnreadable). The beacon and the
// opening of a Tell are injected, so the loop runs in tests without servers.
import type { MessageSummary } from '../../../shared/ipc/index.js';
import type { TellNotice } from '../../../shared/qmail/index.js';
import { decodeTellList, encodeTellList } from '../../../shared/qmail/index.js';
import { formatMailbox } from '../../../shared/cbdf/address.js';
import { hex } from './objects.js';
import { certificate } from './certificate.js';
import { LEVEL_NAME, MAX_BACKOFF_MS, type MailContext, type Unreadable } from './context.js';
import type { Mailbox } from './mailbox.js';
import type { BeaconLink } from './beacon.js';
import { TellAcks } from './acks.js';
import { ReceiveError, type Received } from './receive.js';

/** Retries for a message whose QKD keys our KME does not have (1, 2 and 4 s after each failure). */
export const MAX_KEY_NOT_FOUND_ATTEMPTS = 3;
/** Retries for any other failure that may pass. */
export const MAX_RECEIVE_ATTEMPTS = 20;
/** Kept Tells opened at once at most (the receive loop's passes and a refresh together). */
export const MAX_OPENING = 64;
/** Pages one refresh reads from the beacon at most (255 Tells each). */
const MAX_PEEK_PAGES = 40;
/** Why a Tell is refused as junk rather than announced as unreadable. */
const REFUSED = new Set(['unknown_sender', 'bad-signature', 'wrong-sender', 'wrong-recipient']);

export interface InboxOptions {
  beacon: BeaconLink;
  /** Fetches and opens the qmail a Tell announces. */
  open(tell: TellNotice): Promise<Received>;
  mailbox: Mailbox;
  /**
   * A notice named a locker for us (the beacon's replacement holding our tip): records it to
   * be collected into the wallet and returns the tip the message shows meanwhile.
   */
  tip?(messageId: string, code: Uint8Array, sender: string): MessageSummary['tip'];
  /** Longest one ping parks on the beacon before we ask again (the server caps it too). */
  pingWaitMs?: number;
  sleep?(ms: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Inbox {
  private running = false;
  /** Whether start() asked for receiving (the CLI's one-shot send does not). */
  private wanted = false;
  private loop: Promise<void> | null = null;
  private receiving: Promise<number> | null = null;
  private readonly unreadable = new Set<(u: Unreadable) => void>();
  /** Tells kept sealed and not yet acknowledged to the beacon (EXT-6 bit 1). */
  readonly acks = new TellAcks();
  /** Kept Tells being opened now, by GUID: another pass does not open them again. */
  private readonly opening = new Set<string>();
  /** Passes the receive loop started without waiting for them (stop waits). */
  private readonly passes = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: MailContext,
    private readonly o: InboxOptions,
  ) {}

  /** Whether the loop runs now. */
  get polling(): boolean {
    return this.loop !== null;
  }

  /** After unlock. `receive: false` (the CLI's one-shot send) never polls: a Tell handed over while it exits would be lost. */
  start(receive = true): void {
    if (!this.running) {
      this.running = true;
      this.wanted = receive;
    }
    this.resume();
  }

  /** Starts the loop when the inbox runs, receiving is wanted, the profile is unlocked, an identity exists and no loop runs yet. */
  resume(): void {
    if (!this.running || !this.wanted || this.loop || !this.ctx.unlocked() || !this.ctx.identity.exists()) return;
    const loop = (async () => {
      await this.refresh().catch((e: unknown) => this.ctx.log('peek failed', { error: (e as Error).message }));
      await this.pollLoop();
    })().finally(() => {
      if (this.loop === loop) this.loop = null;
    });
    this.loop = loop;
  }

  /** Stops polling now (a ping in flight is cut); stop() also waits for the loop to end. */
  halt(): void {
    this.running = false;
    this.o.beacon.reset();
  }

  /** On lock or quit. */
  async stop(): Promise<void> {
    this.halt();
    await this.loop?.catch(() => {});
    await Promise.allSettled([...this.passes]);
  }

  /** Kept Tells being opened now (tests). */
  get openingCount(): number {
    return this.opening.size;
  }

  /** The servers changed: the next ping goes over a fresh connection. */
  restartPolling(): void {
    this.o.beacon.reset();
  }

  /** Calls `listener` for each received qmail given up for good (the correspondent answers them). */
  onUnreadable(listener: (u: Unreadable) => void): () => void {
    this.unreadable.add(listener);
    return () => this.unreadable.delete(listener);
  }

  /** Asks the beacon once (peek) and fetches what it lists; returns how many new messages were stored. */
  async refresh(): Promise<number> {
    if (this.receiving) return this.receiving;
    this.receiving = (async () => {
      const me = this.ctx.identity.me();
      // The beacon answers newest first, a page at a time; each peek names the page kept before,
      // so the beacon deletes it and answers the next, and the last one settles what is owed
      // (a one-shot process such as `qmail inbox` leaves nothing behind on the beacon).
      let stored = 0;
      for (let page = 0; page < MAX_PEEK_PAGES; page++) {
        const list = await this.acks.ask(me.beacon, (ack) => this.o.beacon.peek(me, ack));
        stored += list.tells.length ? await this.accept(list.tells, me.beacon) : await this.retryPending();
        if (!list.acknowledged || (list.remaining === 0 && this.acks.pending === 0)) break;
      }
      return stored;
    })().finally(() => {
      this.receiving = null;
    });
    return this.receiving;
  }

  /**
   * Keeps each new Tell (sealed) and processes what is due; returns how many new messages were
   * stored. `beacon`: the node that handed them over, told in the next ping or peek that they are kept.
   */
  async accept(tells: TellNotice[], beacon?: string): Promise<number> {
    const received = this.ctx.tables.received;
    for (const t of tells) {
      const g = hex(t.fileGroupGuid);
      if (received.seen(g)) continue;
      received.keep(g, encodeTellList({ remaining: 0, tells: [t] }), this.ctx.now());
    }
    // Every one is kept (or was handled before): the next ping or peek lets the beacon delete them.
    if (beacon) this.acks.kept(beacon, tells);
    return this.retryPending();
  }

  /** Processes kept Tells that are due and not being opened already, MAX_OPENING at once at most. */
  async retryPending(): Promise<number> {
    const received = this.ctx.tables.received;
    this.ctx.identity.me();
    const room = MAX_OPENING - this.opening.size;
    if (room <= 0) return 0;
    const rows = received
      .due(this.ctx.now(), room + this.opening.size)
      .filter((r) => !this.opening.has(r.guid))
      .slice(0, room);
    for (const r of rows) this.opening.add(r.guid);
    try {
      return await this.openRows(rows);
    } finally {
      for (const r of rows) this.opening.delete(r.guid);
    }
  }

  private async openRows(rows: ReturnType<MailContext['tables']['received']['due']>): Promise<number> {
    const received = this.ctx.tables.received;
    const tells = rows.map((r) => decodeTellList(r.tell).tells[0]!);
    const results = await Promise.allSettled(tells.map((t) => this.o.open(t)));
    let n = 0;
    results.forEach((r, i) => {
      const row = rows[i]!;
      if (r.status === 'rejected') {
        // Keys our KME does not know are retried a few times only (the KME client already
        // waited for a lagging peer KME on each attempt): a KME that lost them will not find them.
        const most =
          r.reason instanceof ReceiveError && r.reason.code === 'key_not_found' ? MAX_KEY_NOT_FOUND_ATTEMPTS : MAX_RECEIVE_ATTEMPTS;
        const retry = (r.reason instanceof ReceiveError ? r.reason.retryable : true) && row.attempts < most;
        this.ctx.log('receive failed', { guid: row.guid, retry, error: (r.reason as Error).message });
        if (retry) received.postpone(row.guid, this.ctx.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** row.attempts));
        else this.giveUp(row.guid, tells[i]!, r.reason as Error);
        return;
      }
      if (received.seen(row.guid)) this.dropAttachments(r.value);
      else if (this.file(r.value, tells[i]!.lockerKey)) n++;
      received.drop(row.guid);
    });
    return n;
  }

  private giveUp(guid: string, tell: TellNotice, reason: Error): void {
    const received = this.ctx.tables.received;
    received.markSeen(guid, null, this.ctx.now());
    received.drop(guid);
    const sender = formatMailbox(tell.sender);
    // A Tell we refuse (unknown sender, a capsule not signed by the sender it names) is junk:
    // dropped and acknowledged quietly, never announced or answered (finding 5).
    if (reason instanceof ReceiveError && reason.code && REFUSED.has(reason.code)) return;
    this.ctx.emit('notify', { level: 'warning', title: `A qmail from ${sender} could not be opened`, body: reason.message });
    const gaveUp: Unreadable = {
      sender,
      reason: reason.message,
      ...(reason instanceof ReceiveError && reason.code ? { code: reason.code } : {}),
    };
    for (const l of this.unreadable) l(gaveUp);
  }

  /** Files a received qmail in the Inbox with its certificate and conversation ids; false when it was here already. */
  private file(r: Received, locker: Uint8Array): boolean {
    const id = hex(r.guid);
    const l = r.letter;
    // The same letter under another GUID (the sender's retry after a Tell whose answer it
    // never got): remembered as seen, filed once.
    const before = l.id ? this.o.mailbox.letterFrom(hex(l.id), r.sender) : undefined;
    if (before !== undefined) {
      this.ctx.tables.received.markSeen(id, before, this.ctx.now());
      this.ctx.log('letter received again under another guid', { guid: id });
      this.dropAttachments(r);
      return false;
    }
    const level = LEVEL_NAME[r.level] ?? 'L3';
    this.ctx.names.learn(r.sender, r.senderName);
    const to = [...l.to, ...l.cc].map(formatMailbox);
    const toNames = Object.fromEntries(
      to.flatMap((a) => {
        const name = this.ctx.names.of(a);
        return name ? [[a, name]] : [];
      }),
    );
    this.ctx.db.transaction(() => {
      // A locker in the notice is a tip for us (the beacon's, after its cut): shown pending until collected.
      const tip = locker.some((b) => b !== 0) ? this.o.tip?.(id, locker, r.sender) : undefined;
      this.o.mailbox.file(
        id,
        'inbox',
        (l.timestamp ?? Math.floor(this.ctx.now() / 1000)) * 1000,
        true,
        { from: r.sender, fromName: r.senderName, to, subject: l.subject, body: l.body, level, toNames, ...(tip ? { tip } : {}) },
        {
          attachments: l.attachments.map((a) =>
            a.ref ? { name: a.name, ref: a.ref, size: a.size } : { name: a.name, data: Buffer.from(a.data ?? []).toString('base64') },
          ),
          stripes: r.layout,
          repaired: r.repaired,
          guid: id,
          certificate: certificate({
            direction: 'received',
            level,
            ...(r.verified.qkdKeys ? { qkd: [{ keys: r.verified.qkdKeys }] } : {}),
            signatureVerified: r.verified.signature,
            senderFingerprint: r.verified.senderFingerprint,
            stripes: r.layout,
            servers: r.verified.servers,
          }),
          ...(l.id ? { letterId: hex(l.id) } : {}),
          ...(l.document ? { document: Buffer.from(l.document).toString('base64') } : {}),
          ...(l.id && l.thread ? { inReplyTo: hex(l.thread.inReplyTo), threadRoot: hex(l.thread.root) } : {}),
        },
      );
      this.ctx.tables.received.markSeen(id, id, this.ctx.now());
    })();
    this.ctx.emit('mail.received', { id, from: r.sender, subject: l.subject });
    this.ctx.emit('mail.changed', { folders: ['inbox'] });
    this.ctx.emit('notify', { level: 'info', title: `New qmail from ${r.sender}`, body: l.subject || '(no subject)' });
    return true;
  }

  /** A letter not filed: what it wrote to the attachment store goes. */
  private dropAttachments(r: Received): void {
    for (const a of r.letter.attachments) if (a.ref) void this.ctx.tables.attachments.remove(a.ref).catch(() => undefined);
  }

  /** Whether a kept Tell is due that no pass is opening, and a pass has room for it. */
  private waitingDue(): boolean {
    if (this.opening.size >= MAX_OPENING) return false;
    return this.ctx.tables.received.due(this.ctx.now(), this.opening.size + 1).some((r) => !this.opening.has(r.guid));
  }

  private nextPendingDelay(): number | undefined {
    const t = this.ctx.tables.received.nextDue();
    return t === undefined ? undefined : Math.max(0, t - this.ctx.now());
  }

  /** A pass the loop does not wait for; when it opened something, what is due and left waiting goes next. */
  private pass(p: Promise<number>): void {
    const failed = (e: unknown) => this.ctx.log('receive pass failed', { error: (e as Error).message });
    const done = p.then(() => {
      try {
        if (this.running && this.ctx.unlocked() && this.waitingDue()) this.pass(this.retryPending());
      } catch (e) {
        failed(e); // the profile closed meanwhile: nothing more to open
      }
    }, failed);
    this.passes.add(done);
    void done.finally(() => this.passes.delete(done));
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (!this.ctx.unlocked() || !this.ctx.identity.exists()) return;
      try {
        const me = this.ctx.identity.me();
        if (this.nextPendingDelay() === 0) this.pass(this.retryPending());
        const list = await this.acks.ask(me.beacon, (ack) => this.o.beacon.ping(me, this.o.pingWaitMs ?? 30_000, ack));
        // Kept at once (the next ping names them), opened while that ping waits for more:
        // a batch being opened no longer holds back the Tells that arrive meanwhile.
        if (list.tells.length) this.pass(this.accept(list.tells, me.beacon));
        failures = 0;
      } catch (e) {
        if (!this.running) return;
        this.o.beacon.reset();
        failures++;
        this.ctx.log('ping failed', { error: (e as Error).message, failures });
        await (this.o.sleep ?? sleep)(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  }
}
