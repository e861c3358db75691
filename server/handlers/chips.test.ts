import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../shared/bytes/index.js';
import {
  ChangeOp,
  decodeAvailableSnsResult,
  decodeBits,
  decodeCoinList,
  decodeValidateAnswer,
  verifyVote,
  encodeAvailableSns,
  encodeChange,
  encodeDetect,
  encodeFind,
  encodeFix,
  encodeGetTicket,
  encodeValidateTicket,
  decodeTicketAnswer,
  encodeLockerPeek,
  encodeLockerPut,
  encodeLockerRemove,
  encodeMint,
  encodePown,
  type CoinAn,
} from '../../shared/chips/index.js';
import { AuthCommand, ChangeCommand, Group, HealingCommand, LockerCommand, Status, denominationUnits } from '../../shared/raida/index.js';
import { tempDir } from '../../tests/support/tmp.js';
import { startServer, type RunningServer } from '../node.js';
import { RaidaConnection, freshChallenge } from '../testing/client.js';

const MINT_KEY = new Uint8Array(randomBytes(16));
const an = (): Uint8Array => new Uint8Array(randomBytes(16));
const lockerKey = (): Uint8Array => Uint8Array.from([...randomBytes(12), 0xff, 0xff, 0xff, 0xff]);
let node: RunningServer;
let c: RaidaConnection;
let dir: ReturnType<typeof tempDir>;

/** Seal under a coin's AN here (the envelope's EXT-8 AEAD), as the wallet does. */
const sealedBy = (k: CoinAn) => ({ key: { denomination: k.denomination, serial: k.serial, an: k.an }, aead: true });
/** A request sealed by a coin the test holds outside the coins under test. */
let sealer: CoinAn;

/** The mint seals under its key (the header names coin 0.0). */
async function mint(coins: CoinAn[], key: Uint8Array = MINT_KEY) {
  return c.call(
    Group.CHANGE,
    ChangeCommand.MINT,
    encodeMint({ challenge: freshChallenge(), mintKey: key, coins }),
    sealedBy({ denomination: 0, serial: 0, an: key }),
  );
}
async function detect(coins: CoinAn[]) {
  return c.call(Group.AUTH, AuthCommand.DETECT, encodeDetect({ challenge: freshChallenge(), coins }), sealedBy(sealer));
}
async function supply(): Promise<bigint> {
  return (await node.storage.chips.all()).reduce((s, x) => s + denominationUnits(x.denomination), 0n);
}

beforeAll(async () => {
  dir = tempDir('qmail-chips-');
  node = await startServer({
    dataDir: dir.path,
    storage: { durable: false },
    log: { level: 'silent' },
    chips: { mintKey: toHex(MINT_KEY) },
  });
  c = await RaidaConnection.open(node.port);
  sealer = { denomination: -8, serial: 999_999, an: an() };
  expect(await node.storage.chips.mint([sealer])).toEqual([true]);
});
afterAll(async () => {
  c?.close();
  await node?.close();
  dir?.remove();
});

describe('coin commands on a node', () => {
  it('mints only with the mint key, and only free serials', async () => {
    const coins = [{ denomination: 0, serial: 1, an: an() }];
    // sealed under another key, the node cannot even open it; in clear it is refused
    expect((await mint(coins, an())).status).toBe(Status.INVALID_ENCRYPTION);
    expect(
      (await c.call(Group.CHANGE, ChangeCommand.MINT, encodeMint({ challenge: freshChallenge(), mintKey: MINT_KEY, coins }))).status,
    ).toBe(Status.INVALID_ENCRYPTION);
    expect((await detect(coins)).status).toBe(Status.ALL_FAIL);
    expect((await mint(coins)).status).toBe(Status.ALL_PASS);
    expect((await mint([{ ...coins[0]!, an: an() }])).status).toBe(Status.ALL_FAIL);
    expect((await detect(coins)).status).toBe(Status.ALL_PASS);
  });

  it('refuses coin commands in clear', async () => {
    const r = await c.call(
      Group.AUTH,
      AuthCommand.DETECT,
      encodeDetect({ challenge: freshChallenge(), coins: [{ denomination: 0, serial: 1, an: an() }] }),
    );
    expect(r.status).toBe(Status.INVALID_ENCRYPTION);
  });

  it('detects and powns coin by coin, a forged AN changing nothing', async () => {
    const coins = [2, 3, 4].map((serial) => ({ denomination: -1, serial, an: an() }));
    await mint(coins);
    const forged = { ...coins[1]!, an: an() };
    const d = await detect([coins[0]!, forged, coins[2]!]);
    expect(d.status).toBe(Status.MIXED);
    expect(decodeBits(d.payload, 3)).toEqual([true, false, true]);
    const pans = coins.map(() => an());
    const p = await c.call(
      Group.AUTH,
      AuthCommand.POWN,
      encodePown({
        challenge: freshChallenge(),
        coins: [
          { ...coins[0]!, pan: pans[0]! },
          { ...forged, pan: pans[1]! },
        ],
      }),
      sealedBy(sealer),
    );
    expect(p.status).toBe(Status.MIXED);
    expect(decodeBits(p.payload, 2)).toEqual([true, false]);
    expect((await detect([{ ...coins[0]!, an: pans[0]! }, coins[1]!])).status).toBe(Status.ALL_PASS);
    expect((await detect([forged])).status).toBe(Status.ALL_FAIL);
    // find tells a pown that went through from one that did not
    const f = await c.call(
      Group.HEALING,
      HealingCommand.FIND,
      encodeFind({
        challenge: freshChallenge(),
        coins: [
          { ...coins[0]!, pan: pans[0]! },
          { ...coins[1]!, pan: pans[1]! },
          { ...coins[2]!, an: an(), pan: an() },
        ],
      }),
      sealedBy(sealer),
    );
    expect(f.status).toBe(Status.FIND_MIXED);
    expect([...f.payload]).toEqual([2, 1, 0]);
  });

  it('pays a locker once: put, peek, remove, and a second remove refused', async () => {
    const coins = [10, 11].map((serial) => ({ denomination: -2, serial, an: an() }));
    await mint(coins);
    const key = lockerKey();
    const sum = coins[0]!.an.map((b, i) => b ^ coins[1]!.an[i]!);
    const bad = await c.call(
      Group.LOCKER,
      LockerCommand.PUT,
      encodeLockerPut({ challenge: freshChallenge(), coins, sum: an(), key }),
      sealedBy(sealer),
    );
    expect(bad.status).toBe(Status.ALL_FAIL);
    const put = await c.call(
      Group.LOCKER,
      LockerCommand.PUT,
      encodeLockerPut({ challenge: freshChallenge(), coins, sum, key }),
      sealedBy(sealer),
    );
    expect(put.status).toBe(Status.ALL_PASS);
    const peek = await c.call(Group.LOCKER, LockerCommand.PEEK, encodeLockerPeek({ challenge: freshChallenge(), key }), sealedBy(sealer));
    expect(peek.status).toBe(Status.ALL_PASS);
    expect(decodeCoinList(peek.payload)).toEqual(coins.map(({ denomination, serial }) => ({ denomination, serial })));
    const mine = coins.map((x) => ({ ...x, an: an() }));
    const rm = await c.call(
      Group.LOCKER,
      LockerCommand.REMOVE,
      encodeLockerRemove({ challenge: freshChallenge(), key, coins: mine }),
      sealedBy(sealer),
    );
    expect(rm.status).toBe(Status.ALL_PASS);
    expect((await detect(mine)).status).toBe(Status.ALL_PASS);
    const thief = coins.map((x) => ({ ...x, an: an() }));
    const again = await c.call(
      Group.LOCKER,
      LockerCommand.REMOVE,
      encodeLockerRemove({ challenge: freshChallenge(), key, coins: thief }),
      sealedBy(sealer),
    );
    expect(again.status).toBe(Status.ALL_FAIL);
    expect((await detect(mine)).status).toBe(Status.ALL_PASS);
    expect(
      (await c.call(Group.LOCKER, LockerCommand.PEEK, encodeLockerPeek({ challenge: freshChallenge(), key }), sealedBy(sealer))).status,
    ).toBe(Status.ALL_FAIL);
  });

  it('breaks and joins without creating or losing value', async () => {
    const big = { denomination: 1, serial: 50, an: an() };
    await mint([big]);
    const before = await supply();
    const session = 0x1234;
    const sns = await c.call(
      Group.CHANGE,
      ChangeCommand.GET_AVAILABLE_SNS,
      encodeAvailableSns({ challenge: freshChallenge(), session, op: ChangeOp.BREAK, denomination: 1 }),
      sealedBy(sealer),
    );
    expect(sns.status).toBe(Status.SUCCESS);
    const got = decodeAvailableSnsResult(sns.payload);
    expect(got.denomination).toBe(0);
    expect(got.serials).toHaveLength(10);
    const parts = got.serials.map((serial) => ({ denomination: 0, serial, an: an() }));
    // another session cannot use them
    const stolen = await c.call(
      Group.CHANGE,
      ChangeCommand.BREAK,
      encodeChange({ challenge: freshChallenge(), session: 99, coin: big, parts }),
      sealedBy(sealer),
    );
    expect(stolen.status).toBe(Status.PAGE_IS_NOT_RESERVED);
    const wrongAn = await c.call(
      Group.CHANGE,
      ChangeCommand.BREAK,
      encodeChange({ challenge: freshChallenge(), session, coin: { ...big, an: an() }, parts }),
      sealedBy(sealer),
    );
    expect(wrongAn.status).toBe(Status.ALL_FAIL);
    const br = await c.call(
      Group.CHANGE,
      ChangeCommand.BREAK,
      encodeChange({ challenge: freshChallenge(), session, coin: big, parts }),
      sealedBy(sealer),
    );
    expect(br.status).toBe(Status.SUCCESS);
    expect(await supply()).toBe(before);
    expect((await detect(parts)).status).toBe(Status.ALL_PASS);
    expect((await detect([big])).status).toBe(Status.ALL_FAIL);

    const j = decodeAvailableSnsResult(
      (
        await c.call(
          Group.CHANGE,
          ChangeCommand.GET_AVAILABLE_SNS,
          encodeAvailableSns({ challenge: freshChallenge(), session: 7, op: ChangeOp.JOIN, denomination: 0 }),
          sealedBy(sealer),
        )
      ).payload,
    );
    expect(j.denomination).toBe(1);
    const joined = { denomination: 1, serial: j.serials[0]!, an: an() };
    const jr = await c.call(
      Group.CHANGE,
      ChangeCommand.JOIN,
      encodeChange({ challenge: freshChallenge(), session: 7, coin: joined, parts }),
      sealedBy(sealer),
    );
    expect(jr.status).toBe(Status.SUCCESS);
    expect(await supply()).toBe(before);
    expect((await detect([joined])).status).toBe(Status.ALL_PASS);
    // the parts are gone: joining them again is refused
    const j2 = decodeAvailableSnsResult(
      (
        await c.call(
          Group.CHANGE,
          ChangeCommand.GET_AVAILABLE_SNS,
          encodeAvailableSns({ challenge: freshChallenge(), session: 8, op: ChangeOp.JOIN, denomination: 0 }),
          sealedBy(sealer),
        )
      ).payload,
    );
    const again = await c.call(
      Group.CHANGE,
      ChangeCommand.JOIN,
      encodeChange({ challenge: freshChallenge(), session: 8, coin: { denomination: 1, serial: j2.serials[0]!, an: an() }, parts }),
      sealedBy(sealer),
    );
    expect(again.status).toBe(Status.ALL_FAIL);
    expect(await supply()).toBe(before);
  });

  it('issues tickets sealed, lets the named server claim one once in clear with a signed answer, and fixes nothing without a network', async () => {
    const coins = [21, 22].map((serial) => ({ denomination: -1, serial, an: an() }));
    await mint(coins);
    const body = encodeGetTicket({ challenge: freshChallenge(), target: 3, coins: [coins[0]!, { ...coins[1]!, an: an() }] });
    // in clear: refused (the body carries ANs)
    expect((await c.call(Group.HEALING, HealingCommand.GET_TICKET, body)).status).toBe(Status.INVALID_ENCRYPTION);
    const t = await c.call(Group.HEALING, HealingCommand.GET_TICKET, body, sealedBy(sealer));
    expect(t.status).toBe(Status.MIXED);
    const { pass, ticket } = decodeTicketAnswer(t.payload, 2, true);
    expect(pass).toEqual([true, false]);
    const nonce = new Uint8Array(randomBytes(32));
    const claim = (claimer: number, tk = ticket) =>
      c.call(
        Group.HEALING,
        HealingCommand.VALIDATE_TICKET,
        encodeValidateTicket({ challenge: freshChallenge(), claimer, ticket: tk, nonce }),
      );
    expect((await claim(4)).status).toBe(Status.NO_TICKET_FOUND);
    expect((await claim(3, (ticket ^ 0x80) >>> 0)).status).toBe(Status.NO_TICKET_FOUND);
    // the C server's 23-byte claim (no nonce) is refused and uses nothing up
    const bare = new Uint8Array([
      ...freshChallenge(),
      3,
      ticket >>> 24,
      (ticket >>> 16) & 0xff,
      (ticket >>> 8) & 0xff,
      ticket & 0xff,
      0x3e,
      0x3e,
    ]);
    expect((await c.call(Group.HEALING, HealingCommand.VALIDATE_TICKET, bare)).status).toBe(Status.INVALID_PACKET_LENGTH);
    const ok = await claim(3);
    expect(ok.status).toBe(Status.SUCCESS);
    // the vote: the coins, signed by the node's operator key (its descriptor's) over the claim and the nonce
    const got = decodeValidateAnswer(ok.payload);
    expect(got.coins).toEqual([{ denomination: -1, serial: 21 }]);
    const pk = new Uint8Array(Buffer.from(node.descriptor.descriptor.publicKey, 'base64'));
    const vote = { claimer: 3, validator: node.config.raidaId, ticket, nonce, coins: got.coins };
    expect(verifyVote(vote, got.signature, pk)).toBe(true);
    expect(verifyVote({ ...vote, nonce: new Uint8Array(randomBytes(32)) }, got.signature, pk)).toBe(false);
    expect((await claim(3)).status).toBe(Status.TICKET_CLAIMED_ALREADY);
    // a malformed claim is refused with its status
    const bad = await c.call(Group.HEALING, HealingCommand.VALIDATE_TICKET, new Uint8Array([...freshChallenge(), 3, 0, 0, 0x3e, 0x3e]));
    expect(bad.status).toBe(Status.INVALID_PACKET_LENGTH);
    // this node knows no network: it cannot count votes, so it fixes nothing
    const tickets = Array<number>(25).fill(0);
    tickets[1] = ticket;
    const fix = encodeFix({ challenge: freshChallenge(), coins: [coins[0]!], pg: an(), tickets });
    expect((await c.call(Group.HEALING, HealingCommand.FIX, fix)).status).toBe(Status.INVALID_ENCRYPTION);
    expect((await c.call(Group.HEALING, HealingCommand.FIX, fix, sealedBy(sealer))).status).toBe(Status.NOT_IMPLEMENTED);
    expect((await detect([coins[0]!])).status).toBe(Status.ALL_PASS);
  });
});
