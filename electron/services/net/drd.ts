// DRD/1.0 (Group 16) as a client speaks it to a beacon: the inbox's record (fee, class
// rejection, name) and its white and black lists, which the beacon's gate reads for every
// Tell (QMail/1.0 §4.5). Owner commands are sealed under our AN on that beacon.
import { randomBytes } from 'node:crypto';
import { DrdCommand, Group, Status, isSuccessStatus, makeChallenge, type CoinRef } from '../../../shared/raida/index.js';
import {
  ListType,
  decodeListGetResult,
  decodeUserRecord,
  encodeGetUser,
  encodeListGet,
  encodeListRemove,
  encodeListSet,
  encodePostUser,
  type ListEntry,
  type UserProfile,
  type UserRecord,
} from '../../../shared/drd/index.js';
import { StatusError, type ConnectionPool, type Endpoint } from './transport.js';

export interface DrdOwner {
  mailbox: CoinRef;
  /** Our AN on the beacon. */
  an: Uint8Array;
}

export interface InboxLists {
  white: CoinRef[];
  black: CoinRef[];
}

const challenge = (): Uint8Array => makeChallenge(new Uint8Array(randomBytes(12)));

export class DrdClient {
  constructor(
    private readonly pool: ConnectionPool,
    readonly endpoint: Endpoint,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(command: number, body: Uint8Array, what: string, owner?: DrdOwner) {
    const res = await this.pool.get(this.endpoint).call({
      group: Group.DRD,
      command,
      body,
      timeoutMs: this.timeoutMs,
      ...(owner ? { an: { key: owner.an, denomination: owner.mailbox.denomination, serial: owner.mailbox.serial } } : {}),
    });
    return res;
  }

  /** Anyone's record on this beacon; undefined when it has none (the node's default fee applies). */
  async getUser(user: CoinRef): Promise<UserRecord | undefined> {
    const res = await this.call(DrdCommand.GET_USER, encodeGetUser({ challenge: challenge(), user }), 'get_user');
    if (res.status === Status.NO_ENTRY) return undefined;
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, `get_user at ${this.endpoint.host}:${this.endpoint.port}`);
    return decodeUserRecord(res.payload);
  }

  /** Writes our record whole (fee, class rejection, name). */
  async postUser(owner: DrdOwner, profile: UserProfile): Promise<void> {
    const res = await this.call(
      DrdCommand.POST_USER,
      encodePostUser({ challenge: challenge(), owner: owner.mailbox, an: owner.an, ...profile }),
      'post_user',
      owner,
    );
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, 'post_user');
  }

  async lists(owner: DrdOwner): Promise<InboxLists> {
    const res = await this.call(
      DrdCommand.LIST_GET,
      encodeListGet({ challenge: challenge(), owner: owner.mailbox, an: owner.an }),
      'list_get',
      owner,
    );
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, 'list_get');
    const entries = decodeListGetResult(res.payload);
    return {
      white: entries.filter((e) => e.type === ListType.WHITE).map((e) => e.listed),
      black: entries.filter((e) => e.type === ListType.BLACK).map((e) => e.listed),
    };
  }

  /** Puts addresses on the white or the black list (an address is on one list at most: it moves). */
  async listSet(owner: DrdOwner, entries: ListEntry[]): Promise<void> {
    if (!entries.length) return;
    const res = await this.call(
      DrdCommand.LIST_SET,
      encodeListSet({ challenge: challenge(), owner: owner.mailbox, an: owner.an, entries }),
      'list_set',
      owner,
    );
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, 'list_set');
  }

  async listRemove(owner: DrdOwner, entries: CoinRef[]): Promise<void> {
    if (!entries.length) return;
    const res = await this.call(
      DrdCommand.LIST_REMOVE,
      encodeListRemove({ challenge: challenge(), owner: owner.mailbox, an: owner.an, entries }),
      'list_remove',
      owner,
    );
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, 'list_remove');
  }
}
