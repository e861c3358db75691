// The mail engine: the one object the app's composition root (app/services.ts) builds. It
// makes the context every mail job receives and composes the jobs, each in its own module:
//   identity/account.ts  who we are, the directory, onboarding, servers
//   mail/mailbox.ts      stored mail, folders, Trash, search index and conversations
//   mail/views.ts        the reader's message, attachments, search hits
//   mail/drafts.ts       drafts
//   mail/outbox.ts       the outbox state machine (queue, retry, give up, back to Drafts)
//   mail/attempt.ts      one send attempt (bundle → send.ts → Sent with its certificate)
//   mail/inbox.ts        the receive loop and the Tells not stored yet
//   mail/tipping.ts      inbox fees and tips paid with the Tells and taken from notices
// The methods below only hand over to those jobs.
//
// Longer than 400 lines on purpose: it is the mail side's composition root and facade; each
// job is built and handed over to here in a few lines, and splitting it would split the wiring.
import type { Contact, FolderId, IdentityState, MessageSummary, OutboxItem, SearchHit, ServerInfo } from '../../../shared/ipc/index.js';
import { dirname, join } from 'node:path';
import { AttachmentStore } from '../../store/attachments.js';
import type { Db } from '../../store/database.js';
import { ExtrasTable } from '../../store/extras.js';
import type { MessageStore } from '../../store/messages.js';
import { OutboxTable } from '../../store/outbox.js';
import { ReceivedTable } from '../../store/received.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { DirectoryClient } from '../directory/client.js';
import { Account, isUserError } from '../identity/account.js';
import type { ServerChoice } from '../identity/onboarding.js';
import { IdentityStore, type LoadedIdentity } from '../identity/store.js';
import { classifyFailure, sendAttempt } from './attempt.js';
import { beaconLink } from './beacon.js';
import {
  DEFAULT_LAYOUT,
  DisplayNames,
  MailError,
  normalAddress,
  StripeLayoutError,
  type DraftInput,
  type Extras,
  type MailContext,
  type OutgoingMessage,
  type Unreadable,
} from './context.js';
import { Drafts } from './drafts.js';
import { Inbox } from './inbox.js';
import { Mailbox } from './mailbox.js';
import { Outbox } from './outbox.js';
import { UploadCleanup } from './cleanup.js';
import { UploadsTable } from '../../store/uploads.js';
import { QkdService } from './qkd.js';
import { receiveTell } from './receive.js';
import { ConnectionPool } from '../net/transport.js';
import { Views } from './views.js';
import { AttachmentStaging } from './staging.js';
import { forgetCapsuleIdKeys } from './objects.js';
import { Tipping } from './tipping.js';
import { InboxFees, lockersToPay, quoteAll, whiteListContacts, type Quote } from './tips.js';
import { forgetLookups, sharedLookups } from './lookups.js';
import { TipTables } from '../../store/tips.js';
import type { WalletRunner } from '../wallet/runner.js';
import { forgetExpandedKeys } from '../crypto/capsule.js';

export { MailError, StripeLayoutError };
export type { DraftInput, OutgoingMessage, Unreadable };

export interface MailEngineOptions {
  db: Db;
  box: () => SecretBox;
  unlocked: () => boolean;
  messages: MessageStore;
  emit: (event: string, payload: unknown) => void;
  /** The directory to use when the identity does not name one (network file, app default). */
  directoryUrl?: string;
  now?: () => number;
  /** Default stripe layout for new messages. */
  defaultLayout?: { k: number; p: number };
  /** Longest one ping parks on the beacon before we ask again (the server caps it too). */
  pingWaitMs?: number;
  /** Outbox retries: delay before attempt n is base × 2^(n-1), capped; after maxAttempts the item fails. */
  retryBaseMs?: number;
  maxAttempts?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** QKD key source tuning (tests, benchmarks). */
  qkd?: { prefetchKeys?: number; timeoutMs?: number };
  /** The sealed attachment store's folder; default `attachments` beside the database. */
  attachmentsDir?: string;
  /** The profile's wallet: inbox fees and tips are paid from it and received into it (mail/tipping.ts). */
  wallet?: WalletRunner | undefined;
}

export class MailEngine {
  readonly pool = new ConnectionPool(3);
  private downloads = new ConnectionPool(2); // received mail's anonymous downloads only, kept between Tells, new after a lock
  readonly identities: IdentityStore;
  readonly account: Account;
  readonly qkd: QkdService;
  readonly mailbox: Mailbox;
  readonly views: Views;
  readonly drafts: Drafts;
  readonly outboxJob: Outbox;
  readonly inbox: Inbox;
  /** Deletes what failed sends uploaded (finding 9). */
  readonly cleanup: UploadCleanup;
  /** Files the composer streams in before a send (mail/staging.ts). */
  readonly staging: AttachmentStaging;
  /** Inbox fees and tips paid with the Tells and taken from received notices (mail/tipping.ts). */
  readonly tipping: Tipping;
  private readonly ctx: MailContext;
  private running = false;
  /** How many servers the directory listed last time (the widest layout possible). */
  private serverCount: number | undefined;

  constructor(o: MailEngineOptions) {
    const now = o.now ?? Date.now;
    this.identities = new IdentityStore(o.db, o.box);
    this.qkd = new QkdService({ db: o.db, box: o.box, ...(o.qkd ?? {}) });
    this.account = new Account({
      store: this.identities,
      pool: this.pool,
      unlocked: o.unlocked,
      emit: o.emit,
      now,
      ...(o.directoryUrl ? { directoryUrl: o.directoryUrl } : {}),
    });
    this.ctx = {
      db: o.db,
      box: o.box,
      unlocked: o.unlocked,
      now,
      emit: o.emit,
      log: (msg, fields) => o.log?.(msg, fields),
      identity: this.account,
      names: new DisplayNames(this.account),
      tables: {
        messages: o.messages,
        attachments: new AttachmentStore(o.attachmentsDir ?? join(dirname(o.db.name), 'attachments'), o.box),
        extras: new ExtrasTable<Extras>(o.db, o.box),
        outbox: new OutboxTable(o.db, o.box),
        received: new ReceivedTable(o.db, o.box),
      },
      defaultLayout: o.defaultLayout ?? DEFAULT_LAYOUT,
    };
    this.mailbox = new Mailbox(this.ctx);
    this.staging = new AttachmentStaging(() => this.ctx.tables.attachments);
    this.views = new Views(this.ctx, this.mailbox);
    this.drafts = new Drafts(this.ctx, this.mailbox);
    this.cleanup = new UploadCleanup(
      this.ctx,
      new UploadsTable(o.db),
      this.pool,
      o.retryBaseMs !== undefined ? { baseMs: o.retryBaseMs } : {},
    );
    this.tipping = new Tipping({
      tables: new TipTables(o.db, o.box),
      wallet: o.wallet,
      messages: o.messages,
      now,
      emit: o.emit,
      log: this.ctx.log,
    });
    const links = {
      tips: (id: string, amounts: Readonly<Record<string, string>>) => this.tipping.attempt(id, amounts),
      reachedAll: (addresses: string[]) => {
        // Contacts are free: whoever we write to joins our white list.
        if (!this.tipping.tables.settings().contactsFree) return;
        void whiteListContacts(new InboxFees(this.pool, this.account.me()), addresses).catch((e: unknown) =>
          this.ctx.log('white list not updated', { error: (e as Error).message }),
        );
      },
      uploads: this.cleanup.table,
      pool: this.pool,
      hireMore: (count: number) => this.account.onboarding.hireMore(count),
      ensureHired: (d: Parameters<Account['onboarding']['ensureHired']>[0]) => this.account.onboarding.ensureHired(d),
      qkd: (address: string) => this.qkd.linkFor(address),
      isUserError,
    };
    this.outboxJob = new Outbox(this.ctx, {
      attempt: sendAttempt(this.ctx, this.mailbox, links),
      classify: (e) => classifyFailure(e, links),
      saveDraft: (d) => this.drafts.save(undefined, d),
      threadRef: (id) => this.mailbox.threadRef(id),
      serverCount: () => this.serverCount,
      // What failed sends uploaded is deleted, and what their lockers hold comes back, once they are given up.
      uploads: {
        attemptEnded: (id: string, reached: boolean) => this.cleanup.attemptEnded(id, reached),
        sent: (id: string) => {
          this.cleanup.sent(id);
          this.tipping.sent(id);
        },
        discard: (id: string) => {
          this.cleanup.discard(id);
          void this.tipping
            .release(id)
            .then((back) => this.outboxJob.markRefunded(id, back))
            .catch((e: unknown) => this.ctx.log('lockers not released', { error: (e as Error).message }));
        },
      },
      ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    });
    this.inbox = new Inbox(this.ctx, {
      beacon: beaconLink(this.pool),
      open: (t) =>
        receiveTell(
          {
            me: this.account.me(),
            directory: this.account.directory(),
            pool: this.downloads,
            qkd: (sender) => this.qkd.linkFor(sender),
            attachments: () => this.ctx.tables.attachments.create(),
          },
          t,
        ),
      mailbox: this.mailbox,
      tip: (messageId, code, sender) => this.tipping.received(messageId, code, sender),
      ...(o.pingWaitMs !== undefined ? { pingWaitMs: o.pingWaitMs } : {}),
    });
  }

  // ---------------------------------------------------------------- identity (identity/account.ts)

  get onboarding() {
    return this.account.onboarding;
  }

  me(): LoadedIdentity {
    return this.account.me();
  }

  directory(): DirectoryClient {
    return this.account.directory();
  }

  identityState(): IdentityState {
    return this.account.state();
  }

  async createIdentity(name: string, choice: ServerChoice = {}): Promise<IdentityState & { recoveryPhrase: string }> {
    const r = await this.account.create(name, choice);
    // Started before there was an identity (at vault creation): receive from now on.
    this.inbox.resume();
    return r;
  }

  async restoreIdentity(phrase: string, name?: string, choice: ServerChoice = {}): Promise<IdentityState> {
    const r = await this.account.restore(phrase, name, choice);
    this.inbox.resume();
    return r;
  }

  async chooseServers(storage: string[], beacon: string): Promise<IdentityState> {
    const r = await this.account.chooseServers(storage, beacon);
    this.inbox.restartPolling();
    return r;
  }

  listServers(): Promise<ServerInfo[]> {
    return this.account.listServers();
  }

  searchDirectory(query: string, limit: number): Promise<Contact[]> {
    return this.account.searchDirectory(query, limit);
  }

  /** The display name of an address when known: ours from the identity, others from the directory. */
  nameOf(address: string): string | undefined {
    return this.ctx.names.of(address);
  }

  // ---------------------------------------------------------------- stored mail (mailbox, views, drafts)

  extras(id: string): Extras | undefined {
    return this.mailbox.extras(id);
  }

  view(id: string) {
    return this.views.view(id);
  }

  attachment(id: string, index: number): Promise<{ name: string; size: number; data: string }> {
    return this.views.attachment(id, index);
  }

  /** One 1 MiB part of an attachment, base64 (the reader saves big ones part by part). */
  attachmentPart(id: string, index: number, part: number): Promise<{ name: string; size: number; data: string; last: boolean }> {
    return this.views.attachmentPart(id, index, part);
  }

  /** Writes an attachment to a file, streamed from the sealed store. */
  saveAttachment(id: string, index: number, path: string): Promise<{ name: string; size: number }> {
    return this.views.saveAttachment(id, index, path);
  }

  search(query: string, folder: FolderId | undefined, limit: number): { total: number; items: SearchHit[] } {
    return this.views.search(query, folder, limit);
  }

  thread(id: string): MessageSummary[] {
    return this.mailbox.thread(id);
  }

  saveDraft(id: string | undefined, d: DraftInput): string {
    return this.drafts.save(id, d);
  }

  delete(id: string, permanent: boolean): FolderId[] {
    return this.mailbox.delete(id, permanent);
  }

  moveTo(id: string, folder: FolderId): FolderId {
    return this.mailbox.moveTo(id, folder);
  }

  restore(id: string): FolderId {
    return this.mailbox.restore(id);
  }

  buildIndex(): void {
    this.mailbox.build();
  }

  // ---------------------------------------------------------------- sending (outbox.ts, attempt.ts)

  /** The widest layout (k + p) this identity can use: the servers the directory lists, at most 32. */
  async stripeLimit(): Promise<number> {
    const servers = await sharedLookups(this.account.directory()).servers();
    this.serverCount = servers.length;
    return Math.min(32, servers.length);
  }

  /**
   * What `mail.send` calls. For L1/L2 it first asks the KME whether keys can be had for every
   * recipient; if not, it refuses (MailError 'unavailable', saying why and offering L3) or,
   * when the message allows fallback, queues it at L3 with the reason recorded.
   */
  async send(m: OutgoingMessage, tips: readonly { address: string; amount: string }[] = []): Promise<OutboxItem> {
    this.account.me();
    const stripes = m.stripes ?? this.ctx.defaultLayout;
    // Refused now, with the limit, rather than failing later in the outbox.
    const max = await this.stripeLimit();
    if (stripes.k + stripes.p > max) throw new StripeLayoutError(stripes, max);
    const paying = { ...m, ...(await this.lockersFor(m, tips)) };
    if (m.level !== 'L1' && m.level !== 'L2') return this.queue(paying);
    const to = [...new Set([...m.to, ...m.cc].map(normalAddress))];
    const levels = await this.qkd.levels(to, stripes);
    const mine = levels.find((l) => l.level === m.level)!;
    if (mine.available) return this.queue(paying);
    if (!m.allowFallback)
      throw new MailError(
        'unavailable',
        `${m.level} is unavailable: ${mine.reason}. Nothing was sent; send at L3 (post-quantum) instead, or allow fallback.`,
      );
    return this.queue(paying, { from: m.level, reason: mine.reason ?? 'QKD keys cannot be had' });
  }

  /** What each recipient's inbox costs us (fees.quote): asked of its beacon for us alone where we can (EXT-11). */
  quote(to: readonly string[]): Promise<Quote[]> {
    return quoteAll(this.pool, sharedLookups(this.account.directory()), this.account.me(), to.map(normalAddress));
  }

  /** The lockers a send pays, or 'fee_not_covered' before anything is queued (tips.ts). */
  private async lockersFor(
    m: OutgoingMessage,
    tips: readonly { address: string; amount: string }[],
  ): Promise<{ tips?: Record<string, string> }> {
    const paid = lockersToPay(await this.quote([...m.to, ...m.cc]), tips, this.tipping);
    return paid ? { tips: paid } : {};
  }

  queue(m: OutgoingMessage, fallback?: { from: 'L1' | 'L2'; reason: string }): OutboxItem {
    return this.outboxJob.queue(m, fallback);
  }

  outbox(): OutboxItem[] {
    return this.outboxJob.list();
  }

  waitFor(id: string): Promise<OutboxItem> {
    return this.outboxJob.waitFor(id);
  }

  retry(id: string): OutboxItem {
    return this.outboxJob.retry(id);
  }

  cancel(id: string): void {
    this.outboxJob.cancel(id);
  }

  returnToDrafts(id: string): string {
    return this.outboxJob.returnToDrafts(id);
  }

  kickOutbox(delayMs = 0): void {
    this.outboxJob.kick(delayMs);
  }

  // ---------------------------------------------------------------- receiving (inbox.ts)

  accept(tells: Parameters<Inbox['accept']>[0], beacon?: string): Promise<number> {
    return this.inbox.accept(tells, beacon);
  }

  retryPending(): Promise<number> {
    return this.inbox.retryPending();
  }

  refresh(): Promise<number> {
    return this.inbox.refresh();
  }

  onUnreadable(listener: (u: Unreadable) => void): () => void {
    return this.inbox.onUnreadable(listener);
  }

  // ---------------------------------------------------------------- life cycle

  /**
   * After unlock: index, peek, then long-poll; and send what the outbox holds.
   * `receive: false` sends only. A ping hands each Tell over once, so a short-lived
   * process (the CLI's send) must not poll: a Tell handed over while it exits is lost.
   * Called again once an identity exists (made or restored after unlock), it starts the
   * receive loop that had nothing to poll for before.
   */
  start(opts: { receive?: boolean } = {}): void {
    if (!this.ctx.unlocked()) return;
    if (!this.running) {
      this.running = true;
      void this.mailbox.buildInBackground().catch((e: unknown) => this.ctx.log('index build failed', { error: (e as Error).message }));
      this.cleanup.start();
      // Errors an older profile kept in the clear are sealed at unlock, not once the lockers below are settled.
      this.ctx.tables.outbox.sealLegacyErrors();
      // Lockers a crash left between their put and their Tell are settled before anything is sent again.
      void this.tipping.start().finally(() => {
        if (this.running) this.outboxJob.start();
      });
      this.inbox.start(opts.receive !== false);
    } else this.inbox.resume();
  }

  /** On lock or quit: stop polling and sending, forget decrypted state. */
  async stop(): Promise<void> {
    this.running = false;
    await this.inbox.stop();
    this.tipping.stop();
    await this.outboxJob.stop();
    await this.cleanup.stop();
    await this.staging.discardAll();
    this.downloads.closeAll();
    this.downloads = new ConnectionPool(2);
    this.mailbox.forget();
    forgetCapsuleIdKeys();
    forgetExpandedKeys();
    forgetLookups();
    this.account.forget();
    this.ctx.names.clear();
    this.qkd.forget();
  }

  close(): void {
    this.running = false;
    this.inbox.halt();
    this.tipping.stop();
    this.outboxJob.halt();
    this.cleanup.halt();
    this.pool.closeAll();
    this.downloads.closeAll();
    this.qkd.forget();
  }
}
