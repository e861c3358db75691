// The Tells of one send attempt, with the inbox fees and tips they pay (docs/chips.md, "A tip
// from the app"). A paying recipient gets a locker (mail/tipping.ts) and a Tell of its own —
// the beacon answers one status per Tell, so each payment's fate is known; the others share one
// Tell per beacon. A Tell that gets no answer may still have been delivered: before it goes
// again its locker is peeked, and an emptied locker means the beacon took it (nothing is sent
// or paid twice, and a resend is never refused for a locker its first Tell already paid). A
// refusal that asking again will not change (236, 237, 168, 169) gives the coins back.
import type { Mailbox } from '../../../shared/cbdf/address.js';
import type { TellRequest } from '../../../shared/qmail/index.js';
import { Status } from '../../../shared/raida/index.js';
import type { ServerDescriptor } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { QMailServerClient } from '../net/group6.js';
import { StatusError, type ConnectionPool } from '../net/transport.js';

/** One recipient's outcome of an attempt. */
export interface RecipientOutcome {
  address: string;
  delivered: boolean;
  reason?: string;
  /** 1e-8 CC the recipient's locker paid (delivered) or held (refunded). */
  paid?: bigint;
  /** The locker came back to the wallet. */
  refunded?: boolean;
}

/** How an attempt pays its recipients' inbox fees and tips (mail/tipping.ts). */
export interface TipHooks {
  /** 1e-8 CC to pay this recipient (0: nothing, no locker). */
  amount(address: string): bigint;
  /**
   * The locker's code: a fresh one filled, or an earlier try's whose Tell got no answer and
   * which still holds the coins; 'delivered' when that earlier locker was taken (its Tell went
   * through). Throws (an error with `retryable`) when the wallet cannot pay.
   */
  locker(address: string): Promise<Uint8Array | 'delivered' | undefined>;
  /** The beacon took the Tell: the locker has paid. */
  told(address: string): void;
  /** The beacon refused the Tell for good: the coins come back (false: not yet, later). */
  refused(address: string): Promise<boolean>;
  /** Before a Tell goes again: is its locker still full, taken (an earlier Tell got through) or undecided? */
  check(address: string): Promise<'full' | 'taken' | 'unsure'>;
}

/** A beacon's refusals that asking again will not change, in words. */
export const REFUSED: Readonly<Record<number, string>> = {
  [Status.SENDER_BLACKLISTED]: 'they do not accept mail from you (you are on their black list)',
  [Status.SENDER_CLASS_REJECTED]: 'they do not accept mail from senders of your coin class',
  [Status.PAYMENT_INSUFFICIENT]: 'their inbox fee is more than was paid',
  [Status.PAYMENT_REQUIRED]: 'their inbox charges a fee and none was paid',
  [Status.WRONG_RAIDA]: 'their beacon does not serve that address',
};

/** Statuses that will not get better by asking again. */
export function permanent(e: unknown): boolean {
  return (
    e instanceof StatusError &&
    [Status.INVALID_AN, Status.INVALID_PAN, Status.FILE_EXISTS, Status.INVALID_PARAMETER, Status.INVALID_PACKET_LENGTH].includes(
      e.status as never,
    )
  );
}

export interface TellTarget {
  address: string;
  mailbox: Mailbox;
  beacon: ServerDescriptor;
}

export interface TellOptions {
  pool: ConnectionPool;
  me: LoadedIdentity;
  tips?: TipHooks;
  attempts: number;
  backoffMs: number;
  /** How long one Tell waits for its answer (default the client's). */
  timeoutMs?: number;
  /** The beacon's client (tests pass their own). */
  client?: (beacon: ServerDescriptor) => Pick<QMailServerClient, 'tell'>;
}

export interface TellOutcome {
  delivered: string[];
  failed: RecipientOutcome[];
  paid: Record<string, bigint>;
  /** Whether a failure may pass on another try. */
  retryable: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ZERO = new Uint8Array(16);

/** Tells every recipient's beacon; `tell(group, lockerKey)` shapes one Tell (lockerKey zero for a group that pays nothing). */
export async function tellAll<R extends TellTarget>(
  o: TellOptions,
  recipients: readonly R[],
  tell: (group: R[], lockerKey: Uint8Array) => Omit<TellRequest, 'preamble'>,
): Promise<TellOutcome> {
  const { tips } = o;
  const out: TellOutcome = { delivered: [], failed: [], paid: {}, retryable: false };
  // Lockers first, one per paying recipient, one wallet operation at a time.
  const codes = new Map<string, Uint8Array>();
  for (const r of recipients) {
    if (!tips || tips.amount(r.address) <= 0n) continue;
    try {
      const l = await tips.locker(r.address);
      if (l === 'delivered') {
        out.delivered.push(r.address);
        out.paid[r.address] = tips.amount(r.address);
      } else if (l) codes.set(r.address, l);
    } catch (e) {
      out.failed.push({ address: r.address, delivered: false, reason: (e as Error).message });
      if ((e as { retryable?: boolean }).retryable !== false) out.retryable = true;
    }
  }
  const settled = new Set([...out.delivered, ...out.failed.map((f) => f.address)]);
  const groups: R[][] = [];
  const byBeacon = new Map<string, R[]>();
  for (const r of recipients.filter((x) => !settled.has(x.address))) {
    if (codes.has(r.address)) groups.push([r]);
    else byBeacon.set(r.beacon.nodeId, [...(byBeacon.get(r.beacon.nodeId) ?? []), r]);
  }
  groups.push(...byBeacon.values());
  const callerFor = (d: ServerDescriptor) => {
    const h = o.me.servers.find((s) => s.nodeId === d.nodeId);
    return h ? { mailbox: o.me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) } : { mailbox: o.me.mailbox };
  };

  await Promise.all(
    groups.map(async (group) => {
      const beacon = group[0]!.beacon;
      const client =
        o.client?.(beacon) ?? new QMailServerClient(o.pool, { host: beacon.host, port: beacon.port, raidaId: beacon.raidaId }, o.timeoutMs);
      const payer = group.length === 1 && codes.has(group[0]!.address) ? group[0]!.address : undefined;
      const reached = () => {
        out.delivered.push(...group.map((r) => r.address));
        if (payer) out.paid[payer] = tips!.amount(payer);
      };
      const request = tell(group, payer ? codes.get(payer)! : ZERO);
      let last: unknown;
      for (let i = 0; i < o.attempts; i++) {
        if (i > 0) await sleep(o.backoffMs * 2 ** (i - 1));
        // A Tell that got no answer may have been delivered: its locker says so (emptied) before it goes again.
        if (i > 0 && payer) {
          const st = await tips!.check(payer);
          if (st === 'taken') return reached();
          if (st === 'unsure') continue;
        }
        try {
          await client.tell(callerFor(beacon), request);
          if (payer) tips!.told(payer);
          return reached();
        } catch (e) {
          last = e;
          const status = e instanceof StatusError ? e.status : undefined;
          const words = status === undefined ? undefined : REFUSED[status];
          if (words) {
            // A resent Tell refused for want of payment: did the first one, delivered meanwhile, empty the locker?
            const unpaid = status === Status.PAYMENT_INSUFFICIENT || status === Status.PAYMENT_REQUIRED;
            if (payer && i > 0 && unpaid && (await tips!.check(payer)) === 'taken') return reached();
            const refunded = payer ? await tips!.refused(payer) : false;
            for (const r of group)
              out.failed.push({
                address: r.address,
                delivered: false,
                reason: `${r.address} refused the qmail: ${words}`,
                ...(payer ? { paid: tips!.amount(payer), refunded } : {}),
              });
            return;
          }
          if (permanent(e)) break;
        }
      }
      out.retryable = true;
      const why = last instanceof Error ? last.message : 'no answer';
      for (const r of group)
        out.failed.push({ address: r.address, delivered: false, reason: `its beacon did not take the notice (${why})` });
    }),
  );
  return out;
}
