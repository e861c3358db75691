// The server market, client side: the servers the directory lists (their signed offers and
// what the directory itself measured), sorted and filtered, and hiring one for a mailbox by
// paying it in Chips (EXT-10, docs/server.md "Market"). Payment is a locker: the wallet puts
// coins worth exactly the price in a new locker on every coin server, the hire command hands
// the node its code, and the node's purse takes the coins. A refused hire gives the coins
// back to the wallet (the node returns what it took to the same locker).
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../shared/bytes/index.js';
import { Group, Status, makeChallenge, type CoinRef } from '../../../shared/raida/index.js';
import { makePreamble } from '../../../shared/qmail/index.js';
import { HIRE_COMMAND, decodeHireResult, encodeHire, hirePrice, type HireResult } from '../../../shared/qmail/hire.js';
import type { ServerDescriptor } from '../directory/client.js';
import type { ConnectionPool } from '../net/transport.js';
import { lockerKeys, type Wallet } from '../wallet/wallet.js';

/** One server's offer as the picker and `qmail servers list` show it. */
export interface MarketServer {
  nodeId: string;
  name: string;
  host: string;
  port: number;
  raidaId: number;
  protocol: string;
  /** CC per MB per month (30 days). */
  pricePerMbMonth: number;
  /** The operator's share of each inbox fee this server collects as a beacon, 0..1. */
  inboxFeeCut: number;
  maxAttachmentBytes: number;
  jurisdiction: string;
  location: string;
  /** Measured by the directory (echo round trip, smoothed), ms; null before it answered once. */
  latencyMs: number | null;
  /** Share of the directory's probes it answered, 0..1. */
  uptime: number;
  /** Seconds of the current run of answered probes. */
  upSeconds: number;
  /** The node requires a paid term (EXT-10); false: it still registers for free (test networks). */
  hireRequired: boolean;
}

export { filterServers, sortServers, type MarketFilter, type MarketSort } from '../../../shared/market/list.js';

export function marketServer(d: ServerDescriptor): MarketServer {
  return {
    nodeId: d.nodeId,
    name: d.name,
    host: d.host,
    port: d.port,
    raidaId: d.raidaId,
    protocol: d.protocol,
    pricePerMbMonth: d.pricePerMbMonth,
    inboxFeeCut: d.inboxFeeCut,
    maxAttachmentBytes: d.maxAttachmentBytes,
    jurisdiction: d.jurisdiction,
    location: d.location,
    latencyMs: d.measured?.latencyMs ?? null,
    uptime: d.measured?.successRatio ?? 0,
    upSeconds: d.measured?.upSeconds ?? 0,
    hireRequired: d.hire?.required === true,
  };
}

export class MarketError extends Error {
  override readonly name = 'MarketError';
  constructor(
    readonly code: 'payment_insufficient' | 'locker_used' | 'unreachable' | 'refused',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface HireOptions {
  wallet: Wallet;
  pool: ConnectionPool;
  server: Pick<MarketServer, 'host' | 'port' | 'raidaId' | 'pricePerMbMonth' | 'name'>;
  mailbox: { denomination: number; serial: number };
  /** The mailbox's AN on this server when it has one (a renewal): the hire is sealed under it. */
  an?: Uint8Array;
  months: number;
  quotaMb: number;
  timeoutMs?: number;
}

export interface Hired extends HireResult {
  server: string;
}

/** Pays `server` for a term for `mailbox` (a renewal when it holds one already: the term extends). */
export async function hireServer(o: HireOptions): Promise<Hired> {
  const price = hirePrice(o.server.pricePerMbMonth, o.quotaMb, o.months);
  let code: Uint8Array = new Uint8Array(randomBytes(16));
  let coins: CoinRef[] = [];
  if (price > 0n) {
    code = (
      await o.wallet.putInLocker(
        price,
        undefined,
        `hire of ${o.server.name}: ${o.months} month${o.months === 1 ? '' : 's'} of ${o.quotaMb} MB`,
      )
    ).code;
    const hex = toHex(code);
    coins = o.wallet
      .coins()
      .filter(({ coin }) => coin.state === 'locker' && coin.locker === hex)
      .map(({ coin }) => ({ denomination: coin.denomination, serial: coin.serial }));
  }
  // Sealed under the mailbox's AN there, or else under a coin of the locker: its AN on that server is the locker key.
  const key = lockerKeys(code, o.server.raidaId + 1)[o.server.raidaId]!;
  const seal = o.an
    ? { key: o.an, denomination: o.mailbox.denomination, serial: o.mailbox.serial }
    : coins[0]
      ? { key, denomination: coins[0].denomination, serial: coins[0].serial }
      : undefined;
  const body = encodeHire({
    preamble: makePreamble({
      challenge: makeChallenge(new Uint8Array(randomBytes(12))),
      denomination: o.mailbox.denomination,
      serial: o.mailbox.serial,
      an: o.an ?? new Uint8Array(16),
    }),
    months: o.months,
    quotaMb: o.quotaMb,
    lockerCode: code,
    coins,
  });
  let res;
  try {
    res = await o.pool
      .get(o.server)
      .call({ group: Group.QMAIL, command: HIRE_COMMAND, body, timeoutMs: o.timeoutMs ?? 30_000, ...(seal ? { an: seal } : {}) });
  } catch (e) {
    if (price > 0n) await o.wallet.reclaimLocker(code).catch(() => undefined);
    throw new MarketError('unreachable', `${o.server.name} could not be reached: ${(e as Error).message}`);
  }
  if (res.status === Status.SUCCESS) {
    if (price > 0n) o.wallet.forgetLocker(code);
    return { ...decodeHireResult(res.payload), server: o.server.name };
  }
  // Refused: whatever the node took it put back in the locker; the wallet takes it all back.
  if (price > 0n) await o.wallet.reclaimLocker(code).catch(() => undefined);
  if (res.status === Status.PAYMENT_INSUFFICIENT)
    throw new MarketError('payment_insufficient', `${o.server.name} asks more than was paid`, res.status);
  if (res.status === Status.LOCKER_EMPTY_OR_NOT_EXISTS)
    throw new MarketError('locker_used', `${o.server.name} refused a payment it had already taken`, res.status);
  throw new MarketError('refused', `${o.server.name} refused the hire (status ${res.status})`, res.status);
}

/**
 * The onboarding's payment (Onboarding.payment): hire a node that requires it for `months`
 * and `quotaMb` from this wallet, before the address is registered there.
 */
export function payWithWallet(
  wallet: Wallet,
  pool: ConnectionPool,
  term: { months: number; quotaMb: number },
): (mailbox: { denomination: number; serial: number }, d: ServerDescriptor) => Promise<void> {
  // The onboarding hires its servers at once; a wallet picks and locks coins one operation at a time.
  let queue: Promise<unknown> = Promise.resolve();
  return (mailbox, d) => {
    const run = queue.then(() => hireServer({ wallet, pool, server: marketServer(d), mailbox, ...term }));
    queue = run.catch(() => undefined);
    return run.then(() => undefined);
  };
}

/** What the first qmail to a recipient pays to register on their beacon (a Tell needs our AN there). */
export interface Registration {
  /** The beacon's node id and display name. */
  nodeId: string;
  server: string;
  units: bigint;
}

/**
 * The registration a send to `address` will buy first: none when its beacon is one of ours or
 * registers for free (test networks); else its price for `term`, as the wallet will pay it.
 */
export async function registrationFor(
  directory: {
    lookup(address: string): Promise<{ record: { beacon?: string | null } } | undefined>;
    servers(): Promise<ServerDescriptor[]>;
  },
  hired: readonly { nodeId: string }[],
  address: string,
  term: { months: number; quotaMb: number },
): Promise<Registration | undefined> {
  const beacon = (await directory.lookup(address).catch(() => undefined))?.record.beacon;
  if (!beacon || hired.some((s) => s.nodeId === beacon)) return undefined;
  const d = (await directory.servers()).find((s) => s.nodeId === beacon);
  if (!d?.hire?.required) return undefined;
  return { nodeId: d.nodeId, server: d.name, units: hirePrice(d.pricePerMbMonth, term.quotaMb, term.months) };
}
