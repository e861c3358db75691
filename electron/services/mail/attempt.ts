// One send attempt, as the outbox asks for it: the letter bundled (CBDF, attachments, thread
// reference), striped, sealed per recipient and told to each beacon (send.ts), then filed in
// Sent with its certificate and each recipient's delivery. Also how a failure reads to the
// outbox: whether it may pass, and whom the attempt reached.
import type { RecipientDelivery } from '../../../shared/ipc/index.js';
import { parseMailbox } from '../../../shared/cbdf/address.js';
import { fingerprint } from '../../../shared/identity/index.js';
import type { ServerDescriptor } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { letterStream } from './bundle.js';
import { attachmentSource } from './attachments.js';
import { certificate } from './certificate.js';
import { LEVEL_NAME, LEVEL_NUMBER, MailError, type MailContext } from './context.js';
import type { Mailbox } from './mailbox.js';
import { hex } from './objects.js';
import type { AttemptFailure, AttemptOutcome, AttemptRequest } from './outbox.js';
import type { QkdLink } from './qkd.js';
import { QkdUnavailableError, SendError, sendMessage, type TipHooks } from './send.js';
import { formatAmount, parseAmount } from '../wallet/wallet.js';
import type { ConnectionPool } from '../net/transport.js';
import type { UploadsTable } from '../../store/uploads.js';

/** What an attempt needs from the network side: connections, hiring, QKD links. */
export interface SendLinks {
  pool: ConnectionPool;
  hireMore(count: number): Promise<LoadedIdentity>;
  ensureHired(d: ServerDescriptor): Promise<LoadedIdentity>;
  qkd(address: string): QkdLink | { missing: string };
  /** Errors of this kind are the user's to fix (bad input to onboarding): never retried. */
  isUserError(e: unknown): boolean;
  /** Where each object an attempt uploads is recorded before it goes (finding 9). */
  uploads?: Pick<UploadsTable, 'begin'>;
  /** Inbox fees and tips: the lockers of one attempt of an outbox item (mail/tipping.ts). */
  tips?(outboxId: string, amounts: Readonly<Record<string, string>>): TipHooks;
  /** After a send reached `addresses` (contacts are free: they join our white list). */
  reachedAll?(addresses: string[]): void;
}

const cc = (units: bigint | undefined) => (units ? formatAmount(units) : undefined);

export function classifyFailure(e: unknown, links: Pick<SendLinks, 'isUserError'>): AttemptFailure {
  if (e instanceof QkdUnavailableError) return { retryable: false };
  if (e instanceof SendError)
    return {
      retryable: e.retryable,
      ...(e.recipients
        ? {
            recipients: e.recipients.map(({ paid, ...r }) => ({ ...r, ...(paid ? { paid: cc(paid)! } : {}) })),
          }
        : {}),
    };
  return { retryable: !(e instanceof MailError) && !links.isUserError(e) };
}

export function sendAttempt(ctx: MailContext, mailbox: Mailbox, links: SendLinks): (req: AttemptRequest) => Promise<AttemptOutcome> {
  return async ({ id, job, everyone, reached, onProgress }) => {
    const me = ctx.identity.me();
    const bundle = letterStream({
      id: new Uint8Array(Buffer.from(id, 'hex')),
      from: me.mailbox,
      to: job.to.map(parseMailbox),
      cc: job.cc.map(parseMailbox),
      subject: job.subject,
      body: job.body,
      ...(job.document ? { document: new Uint8Array(Buffer.from(job.document, 'base64')) } : {}),
      timestamp: Math.floor(ctx.now() / 1000),
      attachments: job.attachments.map((a) => attachmentSource(ctx, a)),
      ...(job.thread
        ? {
            thread: {
              inReplyTo: new Uint8Array(Buffer.from(job.thread.inReplyTo, 'hex')),
              root: new Uint8Array(Buffer.from(job.thread.root, 'hex')),
            },
          }
        : {}),
    });
    const skip = reached.length < everyone.length ? reached.map((d) => d.address) : [];
    const res = await sendMessage(
      {
        me,
        directory: ctx.identity.directory(),
        pool: links.pool,
        hireMore: (count) => links.hireMore(count),
        ensureHired: (d) => links.ensureHired(d),
        qkd: (address) => links.qkd(address),
        onProgress: ({ uploaded, total }) => onProgress(uploaded, total),
        onUpload: (o) => links.uploads?.begin(id, { nodeId: o.nodeId, guid: hex(o.guid), fileType: o.fileType }),
        ...(job.tips && links.tips ? { tips: links.tips(id, job.tips) } : {}),
      },
      {
        bundle,
        to: job.to,
        cc: job.cc,
        layout: job.stripes,
        level: LEVEL_NUMBER[job.fallback ? 'L3' : job.level],
        allowFallback: job.allowFallback ?? false,
        ...(skip.length ? { skip } : {}),
      },
    );
    const sentLevel = LEVEL_NAME[res.level]!;
    ctx.names.learnAll(res.names);
    const fallback =
      job.fallback ?? (res.fallback ? { from: LEVEL_NAME[res.fallback.from] as 'L1' | 'L2', reason: res.fallback.reason } : undefined);
    const nameOf = (address: string) => res.names[address] ?? ctx.names.known(address);
    const paid = Object.fromEntries(Object.entries(res.paid).map(([a, u]) => [a, formatAmount(u)]));
    // What this message paid, with what earlier attempts paid the recipients they reached.
    const paidUnits = [...Object.values(res.paid), ...reached.map((d) => (d.paid ? parseAmount(d.paid) : 0n))].reduce((a, b) => a + b, 0n);
    mailbox.file(
      id,
      'sent',
      ctx.now(),
      false,
      {
        from: me.address,
        fromName: me.name,
        to: [...job.to, ...job.cc],
        subject: job.subject,
        body: job.body,
        level: sentLevel,
        toNames: res.names,
        ...(paidUnits > 0n ? { tip: { amount: formatAmount(paidUnits), state: 'paid' as const } } : {}),
      },
      {
        attachments: job.attachments,
        stripes: job.stripes,
        guid: hex(res.guid),
        certificate: certificate({
          direction: 'sent',
          level: sentLevel,
          ...(res.qkdKeys ? { qkd: res.qkdKeys } : {}),
          signatureVerified: false,
          senderFingerprint: fingerprint(me.identity),
          stripes: job.stripes,
          servers: res.placement,
          ...(fallback ? { fallback } : {}),
        }),
        letterId: id,
        ...(job.thread ? { inReplyTo: job.thread.inReplyTo, threadRoot: job.thread.root } : {}),
        ...(job.document ? { document: job.document } : {}),
        delivery: everyone.map((address): RecipientDelivery => {
          const name = nameOf(address);
          const before = reached.find((d) => d.address === address);
          if (res.delivered.includes(address))
            return {
              address,
              ...(name ? { name } : {}),
              state: 'delivered',
              at: ctx.now(),
              ...(paid[address] ? { paid: paid[address] } : {}),
            };
          return before
            ? { ...before, ...(name ? { name } : {}) }
            : { address, ...(name ? { name } : {}), state: 'failed', reason: 'its beacon did not take the notice' };
        }),
      },
    );
    links.reachedAll?.(everyone);
    return { delivered: res.delivered, ...(Object.keys(paid).length ? { paid } : {}), ...(fallback ? { fallback } : {}) };
  };
}
