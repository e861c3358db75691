// The wallet's end of the coin commands: one call per server, in parallel, each answer read
// as pass / fail / no answer for every coin. Requests are sealed (EXT-8) under an AN the
// server knows — a coin of ours that passed there, or the coin itself when we hold none yet.
import { randomBytes } from 'node:crypto';
import {
  makeChallenge,
  AuthCommand,
  ChangeCommand,
  Group,
  HealingCommand,
  LockerCommand,
  Status,
  type CoinRef,
  type DecodedResponse,
} from '../../shared/raida/index.js';
import {
  ChangeOp,
  FindResult,
  decodeAvailableSnsResult,
  decodeBits,
  decodeCoinList,
  decodeTicketAnswer,
  encodeAvailableSns,
  encodeFix,
  encodeGetTicket,
  encodeValidateTicket,
  decodeValidateAnswer,
  MAX_VALIDATE_ANSWER,
  encodeChange,
  encodeDetect,
  encodeFind,
  encodeLockerPeek,
  encodeLockerPut,
  encodeLockerRemove,
  encodeMint,
  encodePown,
  type CoinAn,
  type CoinAnPan,
} from '../../shared/chips/index.js';
import type { DecodedResponse as Answer } from '../../shared/raida/index.js';

/** A coin server: host, port and its RAIDA index (slot of every coin's ANs). */
export interface Endpoint {
  host: string;
  port: number;
  raidaId: number;
}

/** What the client needs of a transport: the app's connection pool, or the node's (server/chips/peers.ts). */
export interface ConnectionPool {
  get(e: Endpoint): {
    call(o: {
      group: number;
      command: number;
      body: Uint8Array;
      timeoutMs?: number;
      an?: { key: Uint8Array; denomination: number; serial: number };
    }): Promise<Answer>;
  };
}

/** One server's verdict on one coin: passed, failed, or no usable answer. */
export type Verdict = 'p' | 'f' | 'n';
export type FindVerdict = 'an' | 'pan' | 'neither' | 'n';

/** An AN the server knows, to seal a request with. */
export interface Sealer extends CoinRef {
  an: Uint8Array;
}

const challenge = (): Uint8Array => makeChallenge(new Uint8Array(randomBytes(12)));

export class ChipClient {
  constructor(
    private readonly pool: ConnectionPool,
    /** Slot i of a coin's ANs belongs to endpoints[i]. */
    readonly endpoints: readonly Endpoint[],
    private readonly timeoutMs = 10_000,
  ) {}

  get servers(): number {
    return this.endpoints.length;
  }

  private async call(
    i: number,
    group: number,
    command: number,
    body: Uint8Array,
    seal: Sealer | undefined,
  ): Promise<DecodedResponse | null> {
    try {
      const conn = this.pool.get(this.endpoints[i]!);
      return await conn.call({
        group,
        command,
        body,
        timeoutMs: this.timeoutMs,
        ...(seal ? { an: { key: seal.an, denomination: seal.denomination, serial: seal.serial } } : {}),
      });
    } catch {
      return null;
    }
  }

  /** ALL_PASS / ALL_FAIL / MIXED + bits, as detect, pown and remove answer. */
  private static bits(res: DecodedResponse | null, n: number): Verdict[] {
    if (!res) return Array<Verdict>(n).fill('n');
    if (res.status === Status.ALL_PASS) return Array<Verdict>(n).fill('p');
    if (res.status === Status.ALL_FAIL) return Array<Verdict>(n).fill('f');
    if (res.status === Status.MIXED) {
      try {
        return decodeBits(res.payload, n).map((b) => (b ? 'p' : 'f'));
      } catch {
        return Array<Verdict>(n).fill('n');
      }
    }
    return Array<Verdict>(n).fill('n');
  }

  /**
   * Pown on server i. Sealed by `seal` when given; otherwise each coin goes alone sealed by
   * its own AN, so a coin whose AN is wrong there fails alone (the server cannot open it).
   */
  async pownOn(i: number, coins: readonly CoinAnPan[], seal?: Sealer): Promise<Verdict[]> {
    if (seal)
      return ChipClient.bits(
        await this.call(i, Group.AUTH, AuthCommand.POWN, encodePown({ challenge: challenge(), coins: [...coins] }), seal),
        coins.length,
      );
    return Promise.all(
      coins.map(async (c) => {
        const res = await this.call(i, Group.AUTH, AuthCommand.POWN, encodePown({ challenge: challenge(), coins: [c] }), c);
        // A request the server could not open under the coin's own AN: that AN is not the coin's there.
        if (
          res &&
          (res.status === Status.INVALID_ENCRYPTION || res.status === Status.ENCRYPTION_COIN_NOT_FOUND || res.status === Status.INVALID_AN)
        )
          return 'f';
        return ChipClient.bits(res, 1)[0]!;
      }),
    );
  }

  async detectOn(i: number, coins: readonly CoinAn[], seal: Sealer): Promise<Verdict[]> {
    return ChipClient.bits(
      await this.call(i, Group.AUTH, AuthCommand.DETECT, encodeDetect({ challenge: challenge(), coins: [...coins] }), seal),
      coins.length,
    );
  }

  async findOn(i: number, coins: readonly CoinAnPan[], seal: Sealer): Promise<FindVerdict[]> {
    const res = await this.call(i, Group.HEALING, HealingCommand.FIND, encodeFind({ challenge: challenge(), coins: [...coins] }), seal);
    const all = (v: FindVerdict): FindVerdict[] => Array<FindVerdict>(coins.length).fill(v);
    if (!res) return all('n');
    if (res.status === Status.FIND_ALL_AN) return all('an');
    if (res.status === Status.FIND_ALL_PAN) return all('pan');
    if (res.status === Status.FIND_NEITHER) return all('neither');
    if (res.status === Status.FIND_MIXED && res.payload.length === coins.length) {
      return [...res.payload].map((b) => (b === FindResult.AN ? 'an' : b === FindResult.PAN ? 'pan' : 'neither'));
    }
    return all('n');
  }

  async lockerPutOn(i: number, coins: readonly CoinAn[], key: Uint8Array, seal: Sealer): Promise<Verdict> {
    const sum = new Uint8Array(16);
    for (const c of coins) for (let k = 0; k < 16; k++) sum[k]! ^= c.an[k]!;
    const res = await this.call(
      i,
      Group.LOCKER,
      LockerCommand.PUT,
      encodeLockerPut({ challenge: challenge(), coins: coins.map(({ denomination, serial }) => ({ denomination, serial })), sum, key }),
      seal,
    );
    return !res ? 'n' : res.status === Status.ALL_PASS ? 'p' : res.status === Status.ALL_FAIL ? 'f' : 'n';
  }

  /** The coins in the locker on server i (null: no answer). */
  async lockerPeekOn(i: number, key: Uint8Array, seal: Sealer): Promise<CoinRef[] | null> {
    const res = await this.call(i, Group.LOCKER, LockerCommand.PEEK, encodeLockerPeek({ challenge: challenge(), key }), seal);
    if (!res) return null;
    if (res.status === Status.ALL_FAIL) return [];
    if (res.status !== Status.ALL_PASS) return null;
    try {
      return decodeCoinList(res.payload);
    } catch {
      return null;
    }
  }

  async lockerRemoveOn(i: number, key: Uint8Array, coins: readonly CoinAn[], seal: Sealer): Promise<Verdict[]> {
    return ChipClient.bits(
      await this.call(i, Group.LOCKER, LockerCommand.REMOVE, encodeLockerRemove({ challenge: challenge(), key, coins: [...coins] }), seal),
      coins.length,
    );
  }

  /** Serials reserved for `session` one denomination below (break) or above (join) `denomination`. */
  async availableOn(i: number, session: number, op: 'break' | 'join', denomination: number, seal: Sealer): Promise<number[] | null> {
    const res = await this.call(
      i,
      Group.CHANGE,
      ChangeCommand.GET_AVAILABLE_SNS,
      encodeAvailableSns({ challenge: challenge(), session, op: op === 'break' ? ChangeOp.BREAK : ChangeOp.JOIN, denomination }),
      seal,
    );
    if (!res || res.status !== Status.SUCCESS) return null;
    try {
      return decodeAvailableSnsResult(res.payload).serials;
    } catch {
      return null;
    }
  }

  async changeOn(i: number, op: 'break' | 'join', session: number, coin: CoinAn, parts: readonly CoinAn[], seal: Sealer): Promise<Verdict> {
    const res = await this.call(
      i,
      Group.CHANGE,
      op === 'break' ? ChangeCommand.BREAK : ChangeCommand.JOIN,
      encodeChange({ challenge: challenge(), session, coin, parts: [...parts] }),
      seal,
    );
    return !res ? 'n' : res.status === Status.SUCCESS ? 'p' : res.status === Status.ALL_FAIL ? 'f' : 'n';
  }

  /** Mint (test networks): sealed under the mint key itself, named by coin 0.0 in the header. */
  async mintOn(i: number, mintKey: Uint8Array, coins: readonly CoinAn[]): Promise<Verdict[]> {
    return ChipClient.bits(
      await this.call(i, Group.CHANGE, ChangeCommand.MINT, encodeMint({ challenge: challenge(), mintKey, coins: [...coins] }), {
        denomination: 0,
        serial: 0,
        an: mintKey,
      }),
      coins.length,
    );
  }

  /**
   * Get ticket on server i for the coins (with their ANs there), claimable only by server
   * `target`: each coin's verdict, and the ticket when any passed (null: none, or no answer).
   */
  async ticketOn(
    i: number,
    target: number,
    coins: readonly CoinAn[],
    seal: Sealer,
  ): Promise<{ verdicts: Verdict[]; ticket: number | null }> {
    const res = await this.call(
      i,
      Group.HEALING,
      HealingCommand.GET_TICKET,
      encodeGetTicket({ challenge: challenge(), target, coins: [...coins] }),
      seal,
    );
    const none = (v: Verdict) => ({ verdicts: Array<Verdict>(coins.length).fill(v), ticket: null });
    if (!res) return none('n');
    if (res.status === Status.ALL_FAIL) return none('f');
    if (res.status !== Status.ALL_PASS && res.status !== Status.MIXED) return none('n');
    try {
      const t = decodeTicketAnswer(res.payload, coins.length, res.status === Status.MIXED);
      return { verdicts: t.pass.map((p) => (p ? 'p' : 'f')), ticket: t.ticket };
    } catch {
      return none('n');
    }
  }

  /**
   * Validate ticket on server i (server to server, in clear) with the claimer's fresh `nonce`:
   * the coins server i says the ticket vouches for and its signature over them (shared/chips/votes.ts),
   * unchecked; null when it refused, did not answer, or answered anything but a well-formed vote.
   */
  async validateOn(
    i: number,
    claimer: number,
    ticket: number,
    nonce: Uint8Array,
  ): Promise<{ coins: CoinRef[]; signature: Uint8Array } | null> {
    const res = await this.call(
      i,
      Group.HEALING,
      HealingCommand.VALIDATE_TICKET,
      encodeValidateTicket({ challenge: challenge(), claimer, ticket, nonce }),
      undefined,
    );
    if (!res || res.status !== Status.SUCCESS || res.payload.length > MAX_VALIDATE_ANSWER) return null;
    try {
      return decodeValidateAnswer(res.payload);
    } catch {
      return null;
    }
  }

  /** Fix on server i: `tickets[j]` is server j's ticket (0: none), 25 slots. */
  async fixOn(i: number, coins: readonly CoinRef[], pg: Uint8Array, tickets: readonly number[], seal: Sealer): Promise<Verdict[]> {
    return ChipClient.bits(
      await this.call(
        i,
        Group.HEALING,
        HealingCommand.FIX,
        encodeFix({
          challenge: challenge(),
          coins: coins.map(({ denomination, serial }) => ({ denomination, serial })),
          pg,
          tickets: [...tickets],
        }),
        seal,
      ),
      coins.length,
    );
  }
}
