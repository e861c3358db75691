// Receiving one Tell: look the sender up → check that every server it names is one the
// directory lists (else refuse it, nothing contacted) → fetch our capsule (any replica) →
// verify the sender's signature → download every stripe in parallel while the capsule is
// opened (L1/L2: the stripes first, the QKD keys spent only then) → verify each stripe (CRC, HMAC) → rebuild, repairing from parity → decode the bundle.
// Downloads name nobody: no mailbox, no AN, on connections that carry nothing else of ours.
import type { DecodedCapsule, Level } from '../../../shared/capsule/index.js';
import { openCapsule, verifyCapsule } from '../crypto/capsule.js';
import type { QkdKeyRef } from '../../../shared/capsule/qkd.js';
import { fingerprint } from '../../../shared/identity/index.js';
import { formatMailbox } from '../../../shared/cbdf/address.js';
import type { ServerEntry, TellNotice } from '../../../shared/qmail/index.js';
import type { DirectoryClient, ServerDescriptor } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { letterSink, type AttachmentWriter, type OpenedLetter } from './bundle.js';
import { QMailServerClient, type Caller } from '../net/group6.js';
import { CAPSULE_FILE_TYPE, STRIPE_FILE_TYPE, capsuleGuid, capsuleIdKey, hostOf, ipv4Of } from './objects.js';
import { ConnectionPool } from '../net/transport.js';
import type { QkdLink } from './qkd.js';
import { ReceivedStripes } from './stripes.js';
import { forgetLookups, sharedLookups } from './lookups.js';

export class ReceiveError extends Error {
  override readonly name = 'ReceiveError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The cause's code when it has one (KmeError: `key_not_found`, `key_consumed`…; capsule errors). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A received attachment: in the attachment store (`ref`) when the context gave one, else its bytes. */
export interface ReceivedAttachment {
  name: string;
  size: number;
  ref?: string;
  data?: Uint8Array;
}

export interface ReceivedLetter extends Omit<OpenedLetter, 'attachments'> {
  attachments: ReceivedAttachment[];
}

export interface Received {
  letter: ReceivedLetter;
  sender: string;
  /** The sender's display name from its directory record (verified by the directory client). */
  senderName: string;
  level: Level;
  layout: { k: number; p: number };
  /** Stripes that were missing or damaged and rebuilt from parity. */
  repaired: number;
  guid: Uint8Array;
  /** Facts for the certificate, all from verified data (the capsule opened only after its signature verified). */
  verified: {
    signature: true;
    senderFingerprint: string;
    /** L1/L2: the keys the capsule named, which our own KME delivered and which opened it. */
    qkdKeys?: QkdKeyRef[];
    servers: { stripe: number; host: string; port: number; ok: boolean }[];
  };
}

export interface ReceiveContext {
  me: LoadedIdentity;
  directory: DirectoryClient;
  /**
   * Connections for this Tell's downloads, used for nothing else (an authenticated request on
   * the same connection would name us). Default: connections of its own, closed at the end.
   */
  pool?: ConnectionPool;
  /** L1/L2: our end of the QKD link with this sender. */
  qkd?(sender: string): QkdLink | { missing: string };
  /** Where each attachment is written as it is decrypted (the sealed attachment store); default: kept in memory. */
  attachments?: (name: string, size: number) => AttachmentWriter;
  /** Where large stripes wait between download and decryption (ciphertext only); default the system's temp folder. */
  scratchDir?: string;
}

/** Attachment writers that keep the bytes (the CLI, tests): refs name entries of `kept`. */
function memoryAttachments() {
  const kept = new Map<string, Uint8Array>();
  let next = 0;
  const open = (): AttachmentWriter => {
    const parts: Buffer[] = [];
    const ref = String(next++);
    return {
      write: async (b) => void parts.push(Buffer.from(b)),
      finish: async () => (kept.set(ref, new Uint8Array(Buffer.concat(parts))), ref),
      abort: async () => void kept.delete(ref),
    };
  };
  return { kept, open };
}

/**
 * Who a download says it is: nobody. Downloads are not AN-checked (QMail/1.0 §4.3), so they go
 * in clear with a zero mailbox; the server learns the address and time of the connection only.
 */
const NOBODY: Caller = { mailbox: { coinGroup: 6, denomination: 0, serial: 0 } };

/** Capsule errors that another replica of the capsule, or a later try, cannot mend. */
const FINAL_CAPSULE_ERRORS = [
  'key_reused',
  'key_consumed',
  'bad-signature',
  'wrong-sender',
  'wrong-recipient',
  'malformed-capsule',
  'decrypt-failed',
];

/**
 * The directory's server a Tell's entry names: same raida id, IPv4 address and port, and not
 * one the directory has probed without ever reaching it.
 */
function listedServer(listed: readonly ServerDescriptor[], s: ServerEntry): ServerDescriptor | undefined {
  const ip = Buffer.from(s.ipv4);
  return listed.find((d) => {
    if (d.raidaId !== s.raidaId || d.port !== s.port || (d.measured && d.measured.probes > 0 && d.measured.successes === 0)) return false;
    try {
      return ip.equals(ipv4Of(d.host));
    } catch {
      return false; // a host name, which a Tell cannot name
    }
  });
}

/** Refusals that a directory answer kept from a few seconds ago could explain (keys, servers). */
const ASK_AGAIN = new Set(['unknown_sender', 'unlisted_server', 'bad-signature', 'wrong-sender']);

export async function receiveTell(ctx: ReceiveContext, t: TellNotice): Promise<Received> {
  const pool = ctx.pool ?? new ConnectionPool(2);
  try {
    try {
      return await receiveFrom(ctx, t, pool);
    } catch (e) {
      // The directory is asked afresh after any failure (lookups.ts); a refusal for good is
      // decided only on a fresh answer.
      forgetLookups(ctx.directory);
      if (!(e instanceof ReceiveError) || !ASK_AGAIN.has(e.code ?? '')) throw e;
      return await receiveFrom(ctx, t, pool);
    }
  } finally {
    if (!ctx.pool) pool.closeAll();
  }
}

async function receiveFrom(ctx: ReceiveContext, t: TellNotice, pool: ConnectionPool): Promise<Received> {
  const sender = formatMailbox(t.sender);
  // Both asked at once (two round trips in the time of one), or answered from what the
  // directory said in the last few seconds (lookups.ts).
  const directory = sharedLookups(ctx.directory);
  const [who, listed] = await Promise.all([directory.lookup(sender), directory.servers()]);
  // Refused for good (finding 5): the Tell is dropped and acknowledged, never retried.
  if (!who) throw new ReceiveError(`the sender ${sender} is not in the directory`, false, 'unknown_sender');
  // Only servers the directory lists are ever contacted: a Tell naming any other address is
  // refused as a whole before any connection, and never retried.
  const servers = [...t.servers].sort((a, b) => a.stripeIndex - b.stripeIndex);
  const unlisted = servers.filter((s) => !listedServer(listed, s)).map((s) => `${hostOf(s.ipv4)}:${s.port} (raida ${s.raidaId})`);
  if (unlisted.length)
    throw new ReceiveError(
      `the notice from ${sender} names servers the directory does not list (${unlisted.join(', ')}); none was contacted`,
      false,
      'unlisted_server',
    );
  const clients = servers.map((s) => {
    const d = listedServer(listed, s)!;
    return {
      entry: s,
      host: d.host,
      port: d.port,
      client: new QMailServerClient(pool, { host: d.host, port: d.port, raidaId: d.raidaId }, 10_000),
    };
  });

  // Our capsule, from the first replica whose sender signature verifies: nothing else the
  // Tell names is contacted before that.
  let idKey: Uint8Array;
  try {
    idKey = capsuleIdKey(ctx.me.identity, who.identity, 'recipient');
  } catch (e) {
    throw new ReceiveError(`the sender's directory key cannot name a capsule: ${(e as Error).message}`, false);
  }
  const cg = capsuleGuid(t.fileGroupGuid, idKey);
  let checked: { bytes: Uint8Array; capsule: DecodedCapsule } | undefined;
  let refused: { message: string; code?: string } | undefined;
  const capsuleErrors: string[] = [];
  for (const c of clients) {
    let got: Uint8Array | undefined;
    try {
      got = await c.client.download(NOBODY, cg, CAPSULE_FILE_TYPE);
    } catch (e) {
      capsuleErrors.push(`${c.host}:${c.port}: ${(e as Error).message}`);
    }
    if (!got) continue;
    try {
      checked = { bytes: got, capsule: await verifyCapsule(got, { sender: who.identity, recipient: ctx.me.identity }) };
      break;
    } catch (e) {
      const code = (e as { code?: string }).code;
      refused = { message: (e as Error).message, ...(code ? { code } : {}) };
    }
  }
  if (!checked) {
    if (refused)
      throw new ReceiveError(
        `the key capsule does not open: ${refused.message}`,
        !FINAL_CAPSULE_ERRORS.includes(refused.code ?? ''),
        refused.code,
      );
    throw new ReceiveError(`no server had our key capsule${capsuleErrors.length ? ` (${capsuleErrors.join('; ')})` : ''}`, true);
  }
  const capsule = checked.bytes;
  const verified = checked.capsule.header; // signed by the sender, for us
  const n = verified.k + verified.p;
  const stripes = new ReceivedStripes(n, ctx.scratchDir);
  try {
    return await rebuild(ctx, { sender, who, clients, capsule, verified, tell: t, stripes });
  } finally {
    await stripes.dispose();
  }
}

interface Fetched {
  sender: string;
  who: NonNullable<Awaited<ReturnType<DirectoryClient['lookup']>>>;
  clients: { entry: ServerEntry; host: string; port: number; client: QMailServerClient }[];
  capsule: Uint8Array;
  verified: DecodedCapsule['header'];
  tell: TellNotice;
  stripes: ReceivedStripes;
}

async function rebuild(ctx: ReceiveContext, f: Fetched): Promise<Received> {
  const { sender, who, clients, capsule, verified, stripes } = f;
  const t = f.tell;
  const n = verified.k + verified.p;
  // One download per slot (a Tell naming a slot twice gets the first entry only).
  const bySlot = clients.filter(
    (c, i) => c.entry.stripeIndex < n && clients.findIndex((d) => d.entry.stripeIndex === c.entry.stripeIndex) === i,
  );
  const fetchStripes = () =>
    Promise.all(
      bySlot
        .filter((c) => !stripes.has(c.entry.stripeIndex))
        .map(async (c) => {
          const slot = c.entry.stripeIndex;
          try {
            if (await c.client.downloadTo(NOBODY, t.fileGroupGuid, STRIPE_FILE_TYPE, (page) => stripes.page(slot, page)))
              stripes.delivered(slot);
            else await stripes.reset(slot);
          } catch {
            await stripes.reset(slot); // rebuilt from parity if we can
          }
        }),
    );
  const qkdLevel = verified.level === 1 || verified.level === 2;
  let link: QkdLink | undefined;
  if (qkdLevel) {
    // QKD keys are delivered once: fetch the stripes first, so a message that cannot be
    // rebuilt yet is retried later without having spent its keys.
    const l = ctx.qkd?.(sender) ?? { missing: 'no KME configured' };
    if ('missing' in l) throw new ReceiveError(`an L${verified.level} message from ${sender} needs our QKD link: ${l.missing}`, true);
    link = l;
    await fetchStripes();
    const have = stripes.count;
    if (have < verified.k)
      throw new ReceiveError(
        `only ${have} of ${n} stripes could be fetched (need ${verified.k}); the QKD keys were not spent, will retry`,
        true,
      );
  }
  // L3/L4: the stripes are on their way while the capsule is opened (its signature was checked
  // before anything else the Tell names was contacted; opening is a decapsulation here).
  const fetching = qkdLevel ? undefined : fetchStripes();
  fetching?.catch(() => undefined); // awaited below, whichever way the opening ends
  let opened;
  try {
    opened = await openCapsule(capsule, {
      recipient: ctx.me.identity,
      sender: who.identity,
      ...(link ? { qkd: link.source, qkdPeer: link.peer } : {}),
    });
  } catch (e) {
    await fetching?.catch(() => undefined); // nothing is written to the stripes once they are disposed of
    const code = (e as { code?: string }).code;
    // A key our ledger or our KME has already handed out will never open this capsule.
    const retryable = !FINAL_CAPSULE_ERRORS.includes(code ?? '');
    // Our KME does not know the keys (it lost them, or never got them from the sender's KME):
    // said as such, since the sender's copy claims a quantum-secured message.
    const what =
      code === 'key_not_found'
        ? `our KME does not have the QKD keys of this L${verified.level} qmail from ${sender}; ask the sender to send it again (`
        : '';
    throw new ReceiveError(`the key capsule does not open: ${what}${(e as Error).message}${what ? ')' : ''}`, retryable, code);
  }
  const { k, p } = opened.secrets.layout;
  await fetching;
  if (k + p !== n) throw new ReceiveError('the capsule layout changed between reads', false);
  const memory = ctx.attachments ? undefined : memoryAttachments();
  const out = letterSink(ctx.attachments ?? memory!.open);
  let plain;
  try {
    plain = await stripes.decrypt(opened.secrets, out.sink);
  } catch (e) {
    throw new ReceiveError(`the message cannot be rebuilt yet: ${(e as Error).message}`, true);
  }
  const stored = await out.letter();
  const letter: ReceivedLetter = {
    ...stored,
    attachments: stored.attachments.map((a) => (memory ? { name: a.name, size: a.size, data: memory.kept.get(a.ref)! } : a)),
  };
  const bad = new Set(plain.problems.map((x) => x.slot));
  const qkdKeys = qkdLevel ? verified.keyRefs : undefined;
  return {
    letter,
    sender,
    senderName: who.record.name,
    level: opened.level,
    layout: { k, p },
    repaired: plain.problems.length,
    guid: t.fileGroupGuid,
    verified: {
      signature: true,
      senderFingerprint: fingerprint(who.identity),
      ...(qkdKeys ? { qkdKeys } : {}),
      servers: clients
        .filter((c) => c.entry.stripeIndex < n)
        .map((c) => ({ stripe: c.entry.stripeIndex, host: c.host, port: c.port, ok: !bad.has(c.entry.stripeIndex) })),
    },
  };
}
