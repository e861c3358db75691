// Inbox fees from both ends (QMail/1.0 §4.5, DRD/1.0): what a recipient's beacon will charge
// us before we send, and our own inbox's settings on our beacon (fee, class rejection, the
// white and black lists), kept in the beacon's DRD where its gate reads them.
import { parseMailbox } from '../../../shared/cbdf/address.js';
import { ListType, type UserRecord } from '../../../shared/drd/index.js';
import type { CoinRef } from '../../../shared/raida/index.js';
import type { DirectoryClient } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { DrdClient, type DrdOwner } from '../net/drd.js';
import type { ConnectionPool } from '../net/transport.js';

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
export async function inboxFeeOf(pool: ConnectionPool, directory: DirectoryClient, address: string, me?: CoinRef): Promise<InboxFee> {
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
