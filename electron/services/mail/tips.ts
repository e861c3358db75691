// Inbox fees from both ends (QMail/1.0 §4.5, DRD/1.0): what a recipient's beacon will charge
// us before we send, and our own inbox's settings on our beacon (fee, class rejection, the
// white and black lists), kept in the beacon's DRD where its gate reads them.
import { formatMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import { MailError } from '../errors.js';
import { formatAmount, parseAmount } from '../wallet/wallet.js';
import { ListType, type UserRecord } from '../../../shared/drd/index.js';
import type { CoinRef } from '../../../shared/raida/index.js';
import type { DirectoryClient } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { DrdClient, type DrdOwner } from '../net/drd.js';
import { QMailServerClient } from '../net/group6.js';
import type { ConnectionPool } from '../net/transport.js';
import { GateOutcome } from '../../../shared/qmail/gate-query.js';
import { UNITS_PER_CC } from '../../../shared/raida/index.js';

/** What sending to an address costs, as far as the sender can know before the Tell. */
export type InboxFee =
  /** The recipient's DRD record on its beacon: its fee (0 = a free inbox) and the lowest sender class it takes. */
  | { kind: 'record'; fee: bigint; classRejection: number; refusesOurClass: boolean }
  /** No record: the beacon's default fee applies (10 CC unless its operator set another). */
  | { kind: 'default' }
  /** The address has no beacon, or it did not answer. */
  | { kind: 'unknown'; reason: string };

const ref = (address: string): CoinRef => {
  const m = parseMailbox(address);
  return { denomination: m.denomination, serial: m.serial };
};
const text = (c: CoinRef) => `0006.${c.denomination}.${c.serial}`;

/** The inbox fee `address` charges, read from its beacon's DRD (white and black lists are the recipient's alone to read). */
export async function inboxFeeOf(pool: ConnectionPool, directory: DirectoryLike, address: string, me?: CoinRef): Promise<InboxFee> {
  const v = await directory.lookup(address);
  if (!v?.record.beacon) return { kind: 'unknown', reason: `${address} has no beacon yet` };
  const beacon = (await directory.servers()).find((s) => s.nodeId === v.record.beacon);
  if (!beacon) return { kind: 'unknown', reason: `the directory does not list ${address}'s beacon` };
  try {
    const rec = await new DrdClient(pool, { host: beacon.host, port: beacon.port, raidaId: beacon.raidaId }).getUser(ref(address));
    if (!rec) return { kind: 'default' };
    const cr = rec.classRejection;
    return { kind: 'record', fee: rec.fee, classRejection: cr, refusesOurClass: !!me && cr !== 0 && me.denomination < cr };
  } catch (e) {
    return { kind: 'unknown', reason: (e as Error).message };
  }
}

type DirectoryLike = Pick<DirectoryClient, 'lookup' | 'servers'>;

/** What sending to one address costs us (the contract's FeeQuote, amounts in 1e-8 CC). */
export interface Quote {
  address: string;
  kind: 'free' | 'white' | 'fee' | 'default' | 'black' | 'class' | 'unknown';
  /** What this recipient's locker needs: 0 unless kind is fee or default. */
  units: bigint;
  reason?: string;
}

/** The default fee a sender assumes when the beacon does not say (T4 in docs/protocol.md). */
export const ASSUMED_DEFAULT_FEE = 10n * UNITS_PER_CC;

const OUTCOME: Record<number, Quote['kind']> = {
  [GateOutcome.FREE]: 'free',
  [GateOutcome.WHITE]: 'white',
  [GateOutcome.FEE]: 'fee',
  [GateOutcome.DEFAULT]: 'default',
  [GateOutcome.BLACK]: 'black',
  [GateOutcome.CLASS]: 'class',
};

/**
 * What sending to `address` costs `me`. Where we hold an AN on the recipient's beacon, the
 * beacon answers for us alone (EXT-11: free, white list, fee, default, black list, class);
 * elsewhere, or from a beacon without EXT-11, the recipient's DRD record gives the fee and the
 * class only (whether we are white-listed cannot be read there).
 */
export async function quoteFee(pool: ConnectionPool, directory: DirectoryLike, me: LoadedIdentity, address: string): Promise<Quote> {
  const v = await directory.lookup(address).catch(() => undefined);
  if (!v?.record.beacon) return { address, kind: 'unknown', units: 0n, reason: `${address} has no beacon yet` };
  const beacon = (await directory.servers()).find((s) => s.nodeId === v.record.beacon);
  if (!beacon) return { address, kind: 'unknown', units: 0n, reason: `the directory does not list ${address}'s beacon` };
  const hired = me.servers.find((s) => s.nodeId === beacon.nodeId);
  if (hired) {
    try {
      const a = await new QMailServerClient(pool, { host: beacon.host, port: beacon.port, raidaId: beacon.raidaId }).gateQuery(
        { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(hired.an, 'hex')) },
        parseMailbox(address),
      );
      const kind = OUTCOME[a.outcome];
      if (kind) return { address, kind, units: a.fee };
      return { address, kind: 'unknown', units: 0n, reason: `${address}'s beacon does not serve that address` };
    } catch {
      // A beacon from before EXT-11: what its DRD says.
    }
  }
  const f = await inboxFeeOf(pool, directory, address, me.mailbox);
  if (f.kind === 'unknown') return { address, kind: 'unknown', units: 0n, reason: f.reason };
  if (f.kind === 'default') return { address, kind: 'default', units: ASSUMED_DEFAULT_FEE };
  if (f.refusesOurClass) return { address, kind: 'class', units: 0n };
  return f.fee === 0n ? { address, kind: 'free', units: 0n } : { address, kind: 'fee', units: f.fee };
}

/** Every recipient's quote at once. */
export function quoteAll(pool: ConnectionPool, directory: DirectoryLike, me: LoadedIdentity, to: readonly string[]): Promise<Quote[]> {
  return Promise.all([...new Set(to)].map((a) => quoteFee(pool, directory, me, a)));
}

/**
 * The lockers a send pays, 1e-8 CC by address: for each recipient whose inbox charges (fee or
 * default), the Chips given for it, which must cover the fee; nothing for a free inbox or a
 * sender on the white list (no locker), nor where the Tell will be refused anyway (black list,
 * class). A fee above what is given for that recipient, or a sum above what the wallet holds,
 * is refused with 'fee_not_covered' before anything is queued. An address whose fee cannot be
 * read ('unknown') is paid what is given for it.
 */
export function lockersToPay(
  quotes: readonly Quote[],
  tips: readonly { address: string; amount: string }[],
  wallet: { canPay: boolean; balance(): bigint },
): Record<string, string> | undefined {
  const given = new Map<string, bigint>();
  for (const t of tips) given.set(formatMailbox(parseMailbox(t.address)), /^0+(\.0+)?$/.test(t.amount) ? 0n : parseAmount(t.amount));
  const out: Record<string, string> = {};
  let sum = 0n;
  for (const q of quotes) {
    const offered = given.get(q.address) ?? 0n;
    if (q.kind === 'free' || q.kind === 'white' || q.kind === 'black' || q.kind === 'class') continue;
    if (q.units > offered)
      throw new MailError(
        'fee_not_covered',
        `${q.address} charges an inbox fee of ${formatAmount(q.units)} CC${q.kind === 'default' ? " (their beacon's default)" : ''}; ${offered ? `${formatAmount(offered)} CC was offered` : 'no tip was given'}.`,
      );
    if (offered > 0n) {
      out[q.address] = offered.toString();
      sum += offered;
    }
  }
  if (sum === 0n) return undefined;
  if (!wallet.canPay) throw new MailError('fee_not_covered', 'This profile has no wallet on a network, so it cannot pay inbox fees.');
  const held = wallet.balance();
  if (held < sum)
    throw new MailError(
      'fee_not_covered',
      `The inbox fees and tips come to ${formatAmount(sum)} CC; the wallet holds ${formatAmount(held)} CC.`,
    );
  return out;
}

export interface InboxSettings {
  fee: bigint;
  classRejection: number;
  white: string[];
  black: string[];
}

/** Our inbox on our beacon: the DRD record (fee, class rejection, name) and the lists. */
export class InboxFees {
  private readonly drd: DrdClient;
  private readonly owner: DrdOwner;

  constructor(
    pool: ConnectionPool,
    private readonly me: LoadedIdentity,
  ) {
    const beacon = me.servers.find((s) => s.nodeId === me.beacon);
    if (!beacon) throw new Error('this identity has no beacon');
    this.drd = new DrdClient(pool, { host: beacon.host, port: beacon.port, raidaId: beacon.raidaId });
    this.owner = {
      mailbox: { denomination: me.mailbox.denomination, serial: me.mailbox.serial },
      an: new Uint8Array(Buffer.from(beacon.an, 'hex')),
    };
  }

  async get(): Promise<InboxSettings> {
    const [rec, lists] = await Promise.all([this.drd.getUser(this.owner.mailbox), this.drd.lists(this.owner)]);
    return {
      fee: rec?.fee ?? 0n,
      classRejection: rec?.classRejection ?? 0,
      white: lists.white.map(text),
      black: lists.black.map(text),
    };
  }

  /** Sets the fee and the class rejection, keeping the record's name (DRD post_user writes the record whole). */
  async set(o: { fee?: bigint; classRejection?: number }): Promise<void> {
    const rec: UserRecord | undefined = await this.drd.getUser(this.owner.mailbox);
    const [first, ...rest] = this.me.name.split(' ');
    await this.drd.postUser(this.owner, {
      fee: o.fee ?? rec?.fee ?? 0n,
      classRejection: o.classRejection ?? rec?.classRejection ?? 0,
      symbol1: rec?.symbol1 ?? 0,
      symbol2: rec?.symbol2 ?? 0,
      firstName: rec?.firstName ?? (first ?? '').slice(0, 30),
      lastName: rec?.lastName ?? rest.join(' ').slice(0, 30),
    });
  }

  /** Puts addresses on the white list (they send free) or the black list (refused, 236). */
  list(kind: 'white' | 'black', addresses: string[]): Promise<void> {
    return this.drd.listSet(
      this.owner,
      addresses.map((a) => ({ listed: ref(a), type: kind === 'white' ? ListType.WHITE : ListType.BLACK })),
    );
  }

  unlist(addresses: string[]): Promise<void> {
    return this.drd.listRemove(this.owner, addresses.map(ref));
  }
}

/**
 * Contacts are free: `addresses` join our white list, except those on either list already (a
 * black-listed address stays black; DRD would move it). Returns how many were added.
 */
export async function whiteListContacts(fees: InboxFees, addresses: readonly string[]): Promise<number> {
  const now = await fees.get();
  const listed = new Set([...now.white, ...now.black]);
  const add = [...new Set(addresses)].filter((a) => !listed.has(a));
  for (let i = 0; i < add.length; i += 1000) await fees.list('white', add.slice(i, i + 1000));
  return add.length;
}
