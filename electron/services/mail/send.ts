// Sending one message: bundle → stripes (k + p, per-stripe AES-256-CTR + HMAC; a small
// letter's capsules are sealed in the signature worker while this thread encrypts them) → the
// stripes' uploads start → one capsule per recipient sealed meanwhile (at the chosen level,
// signed ML-DSA-65; L1/L2 before anything is uploaded) → its copies uploaded alongside the
// stripes, with retries (a slot whose server keeps failing moves to a spare hired server) →
// a Tell to each recipient's beacon.
import { randomBytes } from 'node:crypto';
import type { Layout } from '../../../shared/stripe/index.js';
import { decodeCapsule, type Level } from '../../../shared/capsule/index.js';
import { sealCapsule } from '../crypto/capsule.js';
import type { QkdKeyRef } from '../../../shared/capsule/qkd.js';
import { formatMailbox, parseMailbox, type Mailbox } from '../../../shared/cbdf/address.js';
import { AddressType, TellType, StripeType, type ServerEntry } from '../../../shared/qmail/index.js';
import type { PublicIdentity } from '../../../shared/identity/index.js';
import type { DirectoryClient, ServerDescriptor } from '../directory/client.js';
import type { HiredServer, LoadedIdentity } from '../identity/store.js';
import { QMailServerClient, type Caller } from '../net/group6.js';
import { CAPSULE_FILE_TYPE, STRIPE_FILE_TYPE, capsuleCopies, capsuleGuid, capsuleIdKey, ipv4Of } from './objects.js';
import type { ConnectionPool } from '../net/transport.js';
import type { QkdLink } from './qkd.js';
import { stripeBundle, type Bundle, type Striped } from './stripes.js';
import { forgetLookups, sharedLookups } from './lookups.js';
import { permanent, tellAll, type RecipientOutcome, type TipHooks } from './tells.js';

export type { RecipientOutcome, TipHooks };

export class SendError extends Error {
  override readonly name = 'SendError';
  /** Per recipient when known: whose beacon took the notice, and why the others failed. */
  recipients?: RecipientOutcome[];
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function forRecipient(e: SendError, address: string): SendError {
  e.recipients = [{ address, delivered: false, reason: e.message }];
  return e;
}

export interface SendRequest {
  /** The encoded message (bundle.ts): whole, or streamed (letterStream) so attachments are read from disk as it is striped. */
  bundle: Bundle;
  to: string[];
  cc: string[];
  layout: Layout;
  level: Level;
  /** L1/L2: seal at L3 instead when QKD keys cannot be had (the result says so). Default: fail. */
  allowFallback?: boolean;
  /** Recipients an earlier attempt already reached (their beacon took the Tell): no capsule, no Tell for them. */
  skip?: string[];
}

export interface SendProgress {
  uploaded: number;
  total: number;
}

export interface SendContext {
  me: LoadedIdentity;
  directory: DirectoryClient;
  pool: ConnectionPool;
  /** Hire `count` more servers when the layout needs more than are hired; returns the new identity. */
  hireMore(count: number): Promise<LoadedIdentity>;
  /** Register on a server we have not hired (a recipient's beacon authenticates the Tell's sender). */
  ensureHired(d: ServerDescriptor): Promise<LoadedIdentity>;
  onProgress?(p: SendProgress): void;
  /** L1/L2: the QKD link to each recipient (the KME key source and the peer SAE), or why there is none. */
  qkd?(address: string): QkdLink | { missing: string };
  /** Called before each object is uploaded (the outbox records it, to delete it if the send is given up). */
  onUpload?(o: { nodeId: string; guid: Uint8Array; fileType: number }): void;
  /** Per-server attempts before a slot moves elsewhere (default 4). */
  attempts?: number;
  backoffMs?: number;
  /** Where large letters' stripes wait for their upload (ciphertext only); default the system's temp folder. */
  scratchDir?: string;
  /** Inbox fees and tips (absent: nobody is paid, every Tell goes with a zero locker code). */
  tips?: TipHooks;
}

export interface SendResult {
  guid: Uint8Array;
  servers: string[];
  /** Where each stripe slot went. */
  placement: { stripe: number; host: string; port: number }[];
  /** The level the capsules were sealed at (L3 when a fallback happened). */
  level: Level;
  fallback?: { from: 1 | 2; reason: string };
  /** L1/L2: the QKD keys named in each recipient's capsule. */
  qkdKeys?: { recipient: string; keys: QkdKeyRef[] }[];
  /** Recipients whose beacon accepted the Tell. */
  delivered: string[];
  /** What each paid recipient's locker held, 1e-8 CC. */
  paid: Record<string, bigint>;
  /** Each recipient's display name from its directory record, by address. */
  names: Record<string, string>;
}

interface Recipient {
  address: string;
  mailbox: Mailbox;
  identity: PublicIdentity;
  beacon: ServerDescriptor;
  type: number;
  name: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function callerFor(me: LoadedIdentity, server: { nodeId: string }): Caller {
  const h = me.servers.find((s) => s.nodeId === server.nodeId);
  return h ? { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) } : { mailbox: me.mailbox };
}

async function withRetries<T>(attempts: number, backoffMs: number, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      if (permanent(e)) break;
      if (i + 1 < attempts) await sleep(backoffMs * 2 ** i);
    }
  }
  throw last;
}

async function resolveRecipients(ctx: SendContext, req: SendRequest): Promise<Recipient[]> {
  const all = [...req.to.map((a) => [a, AddressType.TO] as const), ...req.cc.map((a) => [a, AddressType.CC] as const)];
  const wanted: { address: string; mailbox: Mailbox; type: number }[] = [];
  const seen = new Set<string>();
  for (const [text, type] of all) {
    const mailbox = parseMailbox(text);
    const address = formatMailbox(mailbox);
    if (seen.has(address)) continue;
    seen.add(address);
    wanted.push({ address, mailbox, type });
  }
  // The server list and every recipient's record asked at once (one round trip, not one each),
  // or answered from what the directory said in the last few seconds (lookups.ts).
  const directory = sharedLookups(ctx.directory);
  const [servers, found] = await Promise.all([directory.servers(), Promise.allSettled(wanted.map((w) => directory.lookup(w.address)))]);
  const out: Recipient[] = [];
  for (const [i, { address, mailbox, type }] of wanted.entries()) {
    const got = found[i]!;
    if (got.status === 'rejected') throw got.reason;
    const v = got.value;
    if (!v) throw forRecipient(new SendError(`${address} is not in the directory; check the address.`, false), address);
    if (!v.record.beacon) throw forRecipient(new SendError(`${address} has no beacon yet, so it cannot receive qmail.`, false), address);
    const beacon = servers.find((s) => s.nodeId === v.record.beacon);
    if (!beacon) throw forRecipient(new SendError(`The beacon of ${address} is not in the directory right now.`, true), address);
    out.push({ address, mailbox, identity: v.identity, beacon, type, name: v.record.name });
  }
  return out;
}

export async function sendMessage(ctx: SendContext, req: SendRequest): Promise<SendResult> {
  try {
    return await sendOnce(ctx, req);
  } catch (e) {
    // The directory's kept answers (lookups.ts) may be what failed (a beacon that moved, a
    // server gone): the retry asks afresh.
    forgetLookups(ctx.directory);
    throw e;
  }
}

async function sendOnce(ctx: SendContext, req: SendRequest): Promise<SendResult> {
  const skip = new Set(req.skip ?? []);
  const recipients = (await resolveRecipients(ctx, req)).filter((r) => !skip.has(r.address));
  if (!recipients.length) throw new SendError('Every recipient has this message already.', false);
  const { k, p } = req.layout;
  const n = k + p;
  let me = ctx.me;
  if (me.servers.length < n) me = await ctx.hireMore(n - me.servers.length);
  for (const r of recipients) {
    try {
      me = await ctx.ensureHired(r.beacon);
    } catch (e) {
      throw new SendError(`Cannot register with the beacon of ${r.address} (${(e as Error).message}).`, true);
    }
  }
  if (me.servers.length < n)
    throw new SendError(`A ${k}+${p} layout needs ${n} servers; only ${me.servers.length} could be hired. Choose a smaller layout.`, false);

  // L3/L4: a small letter's capsules are sealed (signed in the signature worker) while this
  // thread encrypts its stripes. L1/L2 seal in deliver, before anything is uploaded.
  let early: Promise<Sealed> | undefined;
  // (awaited in deliver; a striping failure is the one reported)
  const sealEarly = (secrets: Secrets) => void (early = sealAll(ctx, req, me, recipients, secrets)).catch(() => undefined);
  const enc = await stripeBundle(req.bundle, { k, p }, ctx.scratchDir, req.level === 1 || req.level === 2 ? undefined : sealEarly);
  try {
    return await deliver(ctx, req, me, recipients, enc, early);
  } finally {
    await enc.dispose();
  }
}

/** `sealing`: the capsules being sealed already (a small L3/L4 letter), awaited here. */
async function deliver(
  ctx: SendContext,
  req: SendRequest,
  me: LoadedIdentity,
  recipients: Recipient[],
  enc: Striped,
  sealing?: Promise<Sealed>,
): Promise<SendResult> {
  const attempts = ctx.attempts ?? 4;
  const backoff = ctx.backoffMs ?? 250;
  const { k, p } = req.layout;
  const n = k + p;
  const guid = new Uint8Array(randomBytes(16));
  const timestamp = Math.floor(Date.now() / 1000);
  const copies = capsuleCopies(n, p);
  const total = n + copies * recipients.length;
  let uploaded = 0;
  const tick = () => ctx.onProgress?.({ uploaded: Math.min(++uploaded, total), total });

  // Slot s goes to server s; spares are the hired servers beyond n.
  const assignment: HiredServer[] = me.servers.slice(0, n);
  const spares: HiredServer[] = me.servers.slice(n);
  const clientOf = (h: HiredServer) => new QMailServerClient(ctx.pool, { host: h.host, port: h.port, raidaId: h.raidaId });

  const uploadSlot = async (slot: number): Promise<void> => {
    for (;;) {
      const h = assignment[slot]!;
      ctx.onUpload?.({ nodeId: h.nodeId, guid, fileType: STRIPE_FILE_TYPE });
      try {
        await withRetries(attempts, backoff, () => clientOf(h).upload(callerFor(me, h), guid, STRIPE_FILE_TYPE, enc.slots[slot]!));
        tick();
        return;
      } catch (e) {
        const spare = spares.shift();
        if (!spare)
          throw new SendError(
            `Server ${h.host}:${h.port} did not take stripe ${slot + 1} of ${n} (${(e as Error).message}) and no spare server is hired.`,
            true,
          );
        assignment[slot] = spare;
      }
    }
  };
  // QKD keys are taken from the KME as capsules are sealed, and a message that cannot have them
  // sends nothing: L1/L2 seal before anything goes. Otherwise the stripes are on their way
  // while the capsules are sealed (signing is the longest step on this thread; a large
  // letter's keys come with its stripes: its capsules are sealed once the stripe requests left).
  const quantum = req.level === 1 || req.level === 2;
  const early = quantum ? await sealAll(ctx, req, me, recipients, enc.secrets) : undefined;
  const stripesStored = Promise.all(enc.slots.map((_, s) => uploadSlot(s)));
  stripesStored.catch(() => undefined); // awaited below; a failure while sealing is not unhandled
  if (!early && !sealing) await new Promise<void>((r) => setImmediate(r)); // the stripe requests leave before the signing starts
  const sealed = early ?? (await (sealing ?? sealAll(ctx, req, me, recipients, enc.secrets)));
  const capsules = sealed.capsules;

  // Capsules: replicated on the first `copies` slot servers, alongside the stripes; one good
  // copy is enough, all are tried. A copy counts only on a server the Tell will name (a slot
  // that moved to a spare takes its server out), so if none is left there they go again to
  // the servers the slots ended on.
  const capsuleAt = (i: number, g: Uint8Array) => async (h: HiredServer) => {
    ctx.onUpload?.({ nodeId: h.nodeId, guid: g, fileType: CAPSULE_FILE_TYPE });
    await withRetries(attempts, backoff, () => clientOf(h).upload(callerFor(me, h), g, CAPSULE_FILE_TYPE, capsules[i]!));
    tick();
    return h;
  };
  const capsulesStored = Promise.all(
    recipients.map(async (r, i) => {
      // Named by a key only the two of us derive (EXT-9): a storage server cannot tell whose it is.
      const g = capsuleGuid(guid, capsuleIdKey(me.identity, r.identity, 'sender'));
      const first = await Promise.allSettled(assignment.slice(0, copies).map(capsuleAt(i, g)));
      return { r, i, g, first };
    }),
  );
  capsulesStored.catch(() => undefined);
  await stripesStored;
  for (const { r, i, g, first } of await capsulesStored) {
    const named = first.some((x) => x.status === 'fulfilled' && assignment.includes(x.value));
    if (named) continue;
    const again = await Promise.allSettled(
      assignment
        .slice(0, copies)
        .filter((h) => !first.some((x) => x.status === 'fulfilled' && x.value === h))
        .map(capsuleAt(i, g)),
    );
    if (!again.some((x) => x.status === 'fulfilled')) {
      const why = [...first, ...again].find((x): x is PromiseRejectedResult => x.status === 'rejected');
      throw new SendError(`No server took the key capsule for ${r.address}: ${why?.reason}`, true);
    }
  }

  const entries: ServerEntry[] = assignment.map((h, slot) => ({
    stripeIndex: slot,
    stripeType: StripeType.DATA,
    raidaId: h.raidaId,
    ipv4: ipv4Of(h.host),
    port: h.port,
  }));
  const { delivered, failed, paid, retryable } = await tellAll(
    { pool: ctx.pool, me, ...(ctx.tips ? { tips: ctx.tips } : {}), attempts, backoffMs: backoff },
    recipients,
    (group, lockerKey) => ({
      fileGroupGuid: guid,
      timestamp,
      tellType: TellType.QMAIL,
      beaconPaymentLocker: lockerKey.slice(0, 8),
      recipients: group.map((r) => ({ addressType: r.type, address: r.mailbox, lockerKey: lockerKey })),
      servers: entries,
      manifest: [],
    }),
  );
  if (failed.length) {
    const err = new SendError(
      `The stripes are stored but the notice did not reach ${failed.map((f) => `${f.address}: ${f.reason}`).join('; ')}`,
      retryable,
    );
    err.recipients = [
      ...delivered.map((address) => ({ address, delivered: true, ...(paid[address] ? { paid: paid[address] } : {}) })),
      ...failed,
    ];
    throw err;
  }
  return {
    guid,
    servers: assignment.map((h) => h.nodeId),
    placement: assignment.map((h, stripe) => ({ stripe, host: h.host, port: h.port })),
    delivered,
    paid,
    names: Object.fromEntries(recipients.map((r) => [r.address, r.name])),
    level: sealed.level,
    ...(sealed.fallback ? { fallback: sealed.fallback } : {}),
    ...(sealed.qkdKeys ? { qkdKeys: sealed.qkdKeys } : {}),
  };
}

/** Thrown when L1/L2 cannot be had and fallback was not allowed: not retried, the user decides. */
export class QkdUnavailableError extends SendError {
  constructor(
    readonly wanted: 1 | 2,
    readonly reason: string,
  ) {
    super(`L${wanted} is unavailable: ${reason}. Nothing was sent; send at L3 (post-quantum) instead, or allow fallback.`, false);
  }
}

type Secrets = Parameters<typeof sealCapsule>[0];
type Sealed = Awaited<ReturnType<typeof sealAll>>;

/**
 * One capsule per recipient. L1/L2 take keys from each recipient's QKD link, one recipient
 * at a time (keys are never shared between capsules). If any recipient's keys cannot be had,
 * either the whole send is refused (QkdUnavailableError) or, with allowFallback, every capsule
 * is sealed at L3; keys already taken stay in the ledger and are never used again.
 */
async function sealAll(ctx: SendContext, req: SendRequest, me: LoadedIdentity, recipients: Recipient[], secrets: Secrets) {
  const l3 = () => Promise.all(recipients.map((r) => sealCapsule(secrets, { level: 3, sender: me.identity, recipient: r.identity })));
  if (req.level !== 1 && req.level !== 2) {
    return {
      level: req.level,
      capsules: await Promise.all(
        recipients.map((r) => sealCapsule(secrets, { level: req.level, sender: me.identity, recipient: r.identity })),
      ),
    };
  }
  const wanted = req.level;
  let reason: string | undefined;
  const capsules: Uint8Array[] = [];
  const qkdKeys: { recipient: string; keys: QkdKeyRef[] }[] = [];
  for (const r of recipients) {
    const link = ctx.qkd?.(r.address) ?? { missing: 'no KME configured' };
    if ('missing' in link) {
      reason = link.missing;
      break;
    }
    try {
      const c = await sealCapsule(secrets, {
        level: wanted,
        sender: me.identity,
        recipient: r.identity,
        qkd: link.source,
        qkdPeer: link.peer,
      });
      capsules.push(c);
      qkdKeys.push({ recipient: r.address, keys: decodeCapsule(c).header.keyRefs });
    } catch (e) {
      const code = (e as { code?: string }).code;
      reason =
        code === 'exhausted'
          ? `key pool exhausted for ${r.address} (${(e as Error).message})`
          : `no QKD key for ${r.address}: ${(e as Error).message}`;
      break;
    }
  }
  if (reason === undefined) return { level: wanted as Level, capsules, qkdKeys };
  if (!req.allowFallback) throw new QkdUnavailableError(wanted, reason);
  return { level: 3 as Level, capsules: await l3(), fallback: { from: wanted, reason } };
}
