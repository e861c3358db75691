// Pings that lose nothing: a parked ping whose connection goes away hands nothing over
// (NodeContext.gone), and the acknowledged mode (EXT-6 bit 1) deletes only the Tells the
// caller names afterwards. Against a node listening on loopback, over its wire.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Group, LegacyQMailCommand, QMailCommand, Status } from '../shared/raida/index.js';
import { decodeTellList, encodePeek, encodePing, encodeRegister, encodeTell, PingFlags, type TellList } from '../shared/qmail/index.js';
import { startServer, type RunningServer } from './node.js';
import { RaidaConnection, newIdentity, preambleFor, type Identity } from './testing/client.js';

let node: RunningServer;
let dir: string;
let conn: RaidaConnection;
const alice = newIdentity(2001);
const bob = newIdentity(2002);
const carol = newIdentity(2003);
const dave = newIdentity(2004);
const zero16 = new Uint8Array(16);

function tell(from: Identity, to: Identity, guid: Uint8Array) {
  return encodeTell({
    preamble: preambleFor(from),
    fileGroupGuid: guid,
    timestamp: 1_700_000_000,
    tellType: 0,
    beaconPaymentLocker: new Uint8Array(8),
    recipients: [{ addressType: 0, address: { coinGroup: 6, denomination: to.denomination, serial: to.serial }, lockerKey: zero16 }],
    servers: [{ stripeIndex: 0, stripeType: 0, raidaId: 0, ipv4: new Uint8Array([127, 0, 0, 1]), port: node.port }],
    manifest: [
      { fileType: 0, size: 10, crc32: 1 },
      { fileType: 1, size: 20, crc32: 2 },
    ],
  });
}
async function sendTell(to: Identity): Promise<Uint8Array> {
  const g = new Uint8Array(randomBytes(16));
  expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tell(alice, to, g), { key: alice, aead: true })).status).toBe(Status.SUCCESS);
  return g;
}
const guids = (l: TellList) => l.tells.map((t) => Buffer.from(t.fileGroupGuid).toString('hex'));
const hex = (g: Uint8Array) => Buffer.from(g).toString('hex');

async function ask(c: RaidaConnection, command: number, me: Identity, flags: number, ack: number[] = []): Promise<TellList> {
  const encode = command === QMailCommand.PEEK ? encodePeek : encodePing;
  const r = await c.call(Group.QMAIL, command, encode({ preamble: preambleFor(me), since: 0, flags, ...(ack.length ? { ack } : {}) }), {
    key: me,
    aead: true,
  });
  expect(r.status).toBe(Status.SUCCESS);
  return decodeTellList(r.payload, { manifest: (flags & PingFlags.MANIFEST) !== 0 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-ping-'));
  // A hold much longer than the waits below: a parked ping ends only because its connection went.
  node = await startServer({
    dataDir: dir,
    storage: { durable: false },
    log: { level: 'silent' },
    limits: { pingMaxWaitMs: 20_000 },
    drd: { defaultTellFee: 0 },
  });
  conn = await RaidaConnection.open(node.port);
  for (const id of [alice, bob, carol, dave]) {
    const r = await conn.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({ preamble: preambleFor(id, zero16), newAn: id.an, flags: 0 }),
    );
    expect(r.status).toBe(Status.SUCCESS);
  }
});
afterAll(async () => {
  conn?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a parked ping whose connection goes away', () => {
  it.each([
    ['ping (72)', QMailCommand.PING, encodePing],
    [
      'the legacy ping (62)',
      LegacyQMailCommand.PING,
      (p: Parameters<typeof encodePing>[0]) => encodePing({ preamble: p.preamble, since: 0 }),
    ],
  ])('%s stops waiting and hands nothing over: the next ping gets the Tell', async (_name, command, encode) => {
    const gone = await RaidaConnection.open(node.port);
    const lost = gone
      .call(Group.QMAIL, command, encode({ preamble: preambleFor(bob), since: 0, flags: PingFlags.MANIFEST }), { key: bob })
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(node.stats().parkedPings).toBe(1), { timeout: 5000, interval: 20 });
    gone.close();
    expect(await lost).toBeInstanceOf(Error);
    // The node notices at once, well before its 20 s hold would have ended.
    await vi.waitFor(() => expect(node.stats().parkedPings).toBe(0), { timeout: 3000, interval: 20 });
    const g = await sendTell(bob);

    const fresh = await RaidaConnection.open(node.port);
    try {
      const got = await ask(fresh, QMailCommand.PING, bob, PingFlags.MANIFEST);
      expect(guids(got)).toEqual([hex(g)]);
    } finally {
      fresh.close();
    }
  });
});

describe('the acknowledged ping (EXT-6 bit 1)', () => {
  const ACK = PingFlags.ACKNOWLEDGED | PingFlags.MANIFEST;

  it('hands the same Tells again until they are acknowledged, then deletes exactly those', async () => {
    const g1 = await sendTell(carol);
    const g2 = await sendTell(carol);
    const first = await ask(conn, QMailCommand.PING, carol, ACK);
    expect(guids(first)).toEqual([hex(g2), hex(g1)]); // newest first
    expect(first.tells[0]!.manifest).toEqual([
      { fileType: 0, size: 10, crc32: 1 },
      { fileType: 1, size: 20, crc32: 2 },
    ]);
    // Read but not acknowledged (the answer might never have been stored): handed over again, at once.
    const again = await ask(conn, QMailCommand.PING, carol, ACK);
    expect(again.tells.map((t) => t.clusterId)).toEqual(first.tells.map((t) => t.clusterId));
    // The newest acknowledged: only the older one comes back; a peek acknowledges too.
    const rest = await ask(conn, QMailCommand.PING, carol, ACK, [first.tells[0]!.clusterId]);
    expect(guids(rest)).toEqual([hex(g1)]);
    expect(guids(await ask(conn, QMailCommand.PEEK, carol, ACK, [rest.tells[0]!.clusterId]))).toEqual([]);
    // Nothing is left: a ping without the bit parks and a new Tell wakes it.
    const other = await RaidaConnection.open(node.port);
    try {
      const parked = ask(other, QMailCommand.PING, carol, PingFlags.MANIFEST);
      await vi.waitFor(() => expect(node.stats().parkedPings).toBe(1), { timeout: 5000, interval: 20 });
      const g3 = await sendTell(carol);
      expect(guids(await parked)).toEqual([hex(g3)]);
    } finally {
      other.close();
    }
  });

  it('an ack naming another mailbox’s Tell, or one that does not exist, deletes nothing', async () => {
    const g = await sendTell(dave);
    const daves = await ask(conn, QMailCommand.PEEK, dave, ACK);
    expect(guids(daves)).toEqual([hex(g)]);
    const id = daves.tells[0]!.clusterId;
    // Carol names Dave's Tell (and junk ids) in her own acknowledged peek and ping.
    await ask(conn, QMailCommand.PEEK, carol, ACK, [id, 0, 0xffffffff, id]);
    const hers = await sendTell(carol); // so her ping answers at once
    expect(guids(await ask(conn, QMailCommand.PING, carol, ACK, [id]))).toEqual([hex(hers)]);
    expect(guids(await ask(conn, QMailCommand.PEEK, dave, ACK))).toEqual([hex(g)]);
    // Dave's own ack deletes it.
    expect(guids(await ask(conn, QMailCommand.PEEK, dave, ACK, [id]))).toEqual([]);
  });

  it('refuses unknown capability bits (198) and an ack list longer or shorter than its count', async () => {
    const body = encodePeek({ preamble: preambleFor(dave), since: 0, flags: ACK, ack: [1, 2] });
    const unknown = body.slice();
    unknown[52] = ACK | 0x04;
    expect((await conn.call(Group.QMAIL, QMailCommand.PEEK, unknown, { key: dave, aead: true })).status).toBe(Status.INVALID_PARAMETER);
    const miscounted = body.slice();
    miscounted[53] = 3;
    expect((await conn.call(Group.QMAIL, QMailCommand.PEEK, miscounted, { key: dave, aead: true })).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
  });
});
