// Receiving one Tell: look the sender up → fetch our capsule (any replica) → open it
// (signature first) → download every stripe in parallel → verify each (CRC, HMAC) →
// rebuild, repairing from parity → decode the bundle.
import { openCapsule, type Level } from '../../../shared/capsule/index.js';
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

export class ReceiveError extends Error {
  override readonly name = 'ReceiveError';
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

export interface Received {
  letter: OpenedLetter;
  sender: string;
  level: Level;
  layout: { k: number; p: number };
  /** Stripes that were missing or damaged and rebuilt from parity. */
  repaired: number;
  guid: Uint8Array;
}

export interface ReceiveContext {
  me: LoadedIdentity;
  directory: DirectoryClient;
  pool: ConnectionPool;
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
  const opened = await openCapsule(capsule, { recipient: ctx.me.identity, sender: who.identity });
  const { k, p } = opened.secrets.layout;
  const n = k + p;
  const slots: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
  await Promise.all(
    clients
      .filter((c) => c.entry.stripeIndex < n)
      .map(async (c) => {
        try {
          slots[c.entry.stripeIndex] = await c.client.download(callerAt(ctx.me, c.host, c.port), t.fileGroupGuid, STRIPE_FILE_TYPE);
        } catch {
          slots[c.entry.stripeIndex] = undefined; // rebuilt from parity if we can
        }
      }),
  );
  let plain;
  try {
    plain = decryptMessage(slots, opened.secrets, nodeBackend);
  } catch (e) {
    throw new ReceiveError(`the message cannot be rebuilt yet: ${(e as Error).message}`, true);
  }
  return { letter: decodeLetter(plain.plaintext), sender, level: opened.level, layout: { k, p }, repaired: plain.problems.length, guid: t.fileGroupGuid };
}
