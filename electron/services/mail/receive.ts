// Receiving one Tell: look the sender up → fetch our capsule (any replica) → open it
// (signature first) → download every stripe in parallel → verify each (CRC, HMAC) →
// rebuild, repairing from parity → decode the bundle.
import { decodeCapsule, openCapsule, type Level } from '../../../shared/capsule/index.js';
import type { QkdKeyRef } from '../../../shared/capsule/qkd.js';
import { fingerprint } from '../../../shared/identity/index.js';
import { decryptMessage } from '../../../shared/stripe/index.js';
import { formatMailbox } from '../../../shared/cbdf/address.js';
import type { TellNotice } from '../../../shared/qmail/index.js';
import type { DirectoryClient } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { nodeBackend } from './backend.js';
import { decodeLetter, type OpenedLetter } from './bundle.js';
import { QMailServerClient, type Caller } from './group6.js';
import { CAPSULE_FILE_TYPE, STRIPE_FILE_TYPE, capsuleGuid, hostOf } from './objects.js';
import type { ConnectionPool } from './transport.js';
import type { QkdLink } from './qkd.js';

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

export interface Received {
  letter: OpenedLetter;
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
  pool: ConnectionPool;
  /** L1/L2: our end of the QKD link with this sender. */
  qkd?(sender: string): QkdLink | { missing: string };
}

function callerAt(me: LoadedIdentity, host: string, port: number): Caller {
  const h = me.servers.find((s) => s.host === host && s.port === port);
  return h ? { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) } : { mailbox: me.mailbox };
}

export async function receiveTell(ctx: ReceiveContext, t: TellNotice): Promise<Received> {
  const sender = formatMailbox(t.sender);
  const who = await ctx.directory.lookup(sender);
  if (!who) throw new ReceiveError(`the sender ${sender} is not in the directory`, true);
  const servers = [...t.servers].sort((a, b) => a.stripeIndex - b.stripeIndex);
  const clients = servers.map((s) => {
    const host = hostOf(s.ipv4);
    return { entry: s, host, port: s.port, client: new QMailServerClient(ctx.pool, { host, port: s.port, raidaId: s.raidaId }, 10_000) };
  });

  const cg = capsuleGuid(t.fileGroupGuid, ctx.me.mailbox);
  let capsule: Uint8Array | undefined;
  const capsuleErrors: string[] = [];
  for (const c of clients) {
    try {
      capsule = await c.client.download(callerAt(ctx.me, c.host, c.port), cg, CAPSULE_FILE_TYPE);
      if (capsule) break;
    } catch (e) {
      capsuleErrors.push(`${c.host}:${c.port}: ${(e as Error).message}`);
    }
  }
  if (!capsule) throw new ReceiveError(`no server had our key capsule${capsuleErrors.length ? ` (${capsuleErrors.join('; ')})` : ''}`, true);
  // The layout is read before the signature is checked only to know which stripes to fetch;
  // nothing else from it is used until openCapsule has verified it.
  let unverified;
  try {
    unverified = decodeCapsule(capsule).header;
  } catch (e) {
    throw new ReceiveError(`the key capsule is malformed: ${(e as Error).message}`, false);
  }
  const n = unverified.k + unverified.p;
  const slots: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
  const fetchStripes = () =>
    Promise.all(
      clients
        .filter((c) => c.entry.stripeIndex < n && !slots[c.entry.stripeIndex])
        .map(async (c) => {
          try {
            slots[c.entry.stripeIndex] = await c.client.download(callerAt(ctx.me, c.host, c.port), t.fileGroupGuid, STRIPE_FILE_TYPE);
          } catch {
            slots[c.entry.stripeIndex] = undefined; // rebuilt from parity if we can
          }
        }),
    );
  const qkdLevel = unverified.level === 1 || unverified.level === 2;
  let link: QkdLink | undefined;
  if (qkdLevel) {
    // QKD keys are delivered once: fetch the stripes first, so a message that cannot be
    // rebuilt yet is retried later without having spent its keys.
    const l = ctx.qkd?.(sender) ?? { missing: 'no KME configured' };
    if ('missing' in l) throw new ReceiveError(`an L${unverified.level} message from ${sender} needs our QKD link: ${l.missing}`, true);
    link = l;
    await fetchStripes();
    const have = slots.filter(Boolean).length;
    if (have < unverified.k) throw new ReceiveError(`only ${have} of ${n} stripes could be fetched (need ${unverified.k}); the QKD keys were not spent, will retry`, true);
  }
  let opened;
  try {
    opened = await openCapsule(capsule, { recipient: ctx.me.identity, sender: who.identity, ...(link ? { qkd: link.source, qkdPeer: link.peer } : {}) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    // A key our ledger or our KME has already handed out will never open this capsule.
    const retryable = !['key_reused', 'key_consumed', 'bad-signature', 'wrong-sender', 'wrong-recipient', 'malformed-capsule', 'decrypt-failed'].includes(code ?? '');
    // Our KME does not know the keys (it lost them, or never got them from the sender's KME):
    // said as such, since the sender's copy claims a quantum-secured message.
    const what = code === 'key_not_found' ? `our KME does not have the QKD keys of this L${unverified.level} qmail from ${sender}; ask the sender to send it again (` : '';
    throw new ReceiveError(`the key capsule does not open: ${what}${(e as Error).message}${what ? ')' : ''}`, retryable, code);
  }
  const { k, p } = opened.secrets.layout;
  if (k + p !== n) throw new ReceiveError('the capsule layout changed between reads', false);
  if (!qkdLevel) await fetchStripes();
  let plain;
  try {
    plain = decryptMessage(slots, opened.secrets, nodeBackend);
  } catch (e) {
    throw new ReceiveError(`the message cannot be rebuilt yet: ${(e as Error).message}`, true);
  }
  const bad = new Set(plain.problems.map((x) => x.slot));
  const qkdKeys = qkdLevel ? decodeCapsule(capsule).header.keyRefs : undefined;
  return {
    letter: decodeLetter(plain.plaintext),
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
      servers: clients.filter((c) => c.entry.stripeIndex < n).map((c) => ({ stripe: c.entry.stripeIndex, host: c.host, port: c.port, ok: !bad.has(c.entry.stripeIndex) })),
    },
  };
}
