import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import {
  DrdCommand,
  Encryption,
  Group,
  QMailCommand,
  Status,
  decodeResponseHeader,
  encodeRequest,
  encodeRequestHeader,
} from '../shared/raida/index.js';
import {
  decodeDownloadResponse,
  decodeTellList,
  encodeDownload,
  encodePeek,
  encodePing,
  PingFlags,
  encodeRegister,
  encodeTell,
  encodeUpload,
  encodeUploadPage,
} from '../shared/qmail/index.js';
import {
  decodeListGetResult,
  decodeSearchResult,
  decodeUserRecord,
  encodeGetUser,
  encodeListGet,
  encodeListSet,
  encodePostUser,
  encodeSearchUsers,
  ListType,
} from '../shared/drd/index.js';
import { startServer, type RunningServer } from './node.js';
import { RaidaConnection, freshChallenge, newIdentity, preambleFor, type Identity } from './testing/client.js';

let node: RunningServer;
let dir: string;
let conn: RaidaConnection;
const alice = newIdentity(1001);
const bob = newIdentity(1002);
const carol = newIdentity(1003, -1);

async function register(c: RaidaConnection, id: Identity): Promise<number> {
  const r = await c.call(
    Group.QMAIL,
    QMailCommand.REGISTER,
    encodeRegister({ preamble: preambleFor(id, new Uint8Array(16)), newAn: id.an, flags: 0 }),
  );
  return r.status;
}
const guid = () => new Uint8Array(randomBytes(16));
const zero16 = new Uint8Array(16);

function tellTo(from: Identity, to: Identity[], g: Uint8Array, size = 10) {
  return encodeTell({
    preamble: preambleFor(from),
    fileGroupGuid: g,
    timestamp: 1_700_000_000,
    tellType: 0,
    beaconPaymentLocker: new Uint8Array(8),
    recipients: to.map((t) => ({
      addressType: 0,
      address: { coinGroup: 6, denomination: t.denomination, serial: t.serial },
      lockerKey: zero16,
    })),
    servers: [{ stripeIndex: 0, stripeType: 0, raidaId: 0, ipv4: new Uint8Array([127, 0, 0, 1]), port: node.port }],
    manifest: [
      { fileType: 0, size, crc32: 1 },
      { fileType: 1, size: 2 * size, crc32: 2 },
    ],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-node-'));
  node = await startServer({
    dataDir: dir,
    storage: { durable: false },
    log: { level: 'silent' },
    limits: { pingMaxWaitMs: 3000 },
    drd: { defaultTellFee: 0 },
  });
  conn = await RaidaConnection.open(node.port);
  for (const id of [alice, bob, carol]) expect(await register(conn, id)).toBe(Status.SUCCESS);
});
afterAll(async () => {
  conn?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('qmail-server node', () => {
  it('answers echo, and unknown groups and commands with their codes', async () => {
    const body = new Uint8Array([...freshChallenge(), 0x3e, 0x3e]);
    expect((await conn.call(0, 0, body)).status).toBe(Status.SUCCESS);
    expect((await conn.call(99, 1, body)).status).toBe(Status.INVALID_COMMAND_GROUP);
    expect((await conn.call(Group.QMAIL, 99, body)).status).toBe(Status.INVALID_COMMAND);
  });

  it('registers once with a zero AN, then only rotates with the current AN', async () => {
    expect(await register(conn, alice)).toBe(Status.FILE_EXISTS); // zero AN: only for a new address
    const next = new Uint8Array(randomBytes(16));
    const rot = await conn.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({ preamble: preambleFor(alice), newAn: next, flags: 0 }),
      { key: alice },
    );
    expect(rot.status).toBe(Status.SUCCESS);
    alice.an = next;
    const stale = await conn.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({ preamble: preambleFor({ ...alice, an: zero16.map(() => 7) }), newAn: next, flags: 0 }),
    );
    expect(stale.status).toBe(Status.INVALID_AN);
  });

  it('uploads one-shot and paged objects and downloads them byte-identical, encrypted under the AN', async () => {
    const g = guid();
    const small = new Uint8Array(randomBytes(300_000)); // two pages
    const up = await conn.call(
      Group.QMAIL,
      QMailCommand.UPLOAD,
      encodeUpload({
        preamble: preambleFor(alice),
        fileGroupGuid: g,
        lockerCode: new Uint8Array(8),
        fileType: 1,
        storageDuration: 2,
        data: small,
      }),
      { key: alice },
    );
    expect(up.status).toBe(Status.SUCCESS);
    const pages: Uint8Array[] = [];
    for (let p = 0; p < 2; p++) {
      const r = await conn.call(
        Group.QMAIL,
        QMailCommand.DOWNLOAD,
        encodeDownload({ preamble: preambleFor(bob), fileGroupGuid: g, fileType: 1, version: 1, bytesPerPage: 0, page: p }),
        { key: bob },
      );
      expect(r.status).toBe(Status.SUCCESS);
      pages.push(decodeDownloadResponse(r.payload).data);
    }
    expect(Buffer.concat(pages).equals(Buffer.from(small))).toBe(true);
    const past = await conn.call(
      Group.QMAIL,
      QMailCommand.DOWNLOAD,
      encodeDownload({ preamble: preambleFor(bob), fileGroupGuid: g, fileType: 1, version: 1, bytesPerPage: 0, page: 2 }),
    );
    expect(past.status).toBe(Status.FILE_NOT_EXIST);
    // small pages (EXT-4): 64 KiB pages read across the stored 256 KiB pages
    const r4 = await conn.call(
      Group.QMAIL,
      QMailCommand.DOWNLOAD,
      encodeDownload({ preamble: preambleFor(bob), fileGroupGuid: g, fileType: 1, version: 1, bytesPerPage: 64, page: 4 }),
    );
    expect(Buffer.from(decodeDownloadResponse(r4.payload).data).equals(Buffer.from(small.subarray(4 * 65536)))).toBe(true);

    // upload_large_page, out of order; not downloadable until complete
    const big = new Uint8Array(randomBytes(2 * 262144 + 5));
    const g2 = guid();
    const send = (p: number) =>
      conn.call(
        Group.QMAIL,
        QMailCommand.UPLOAD_LARGE_PAGE,
        encodeUploadPage({
          preamble: preambleFor(alice),
          fileGroupGuid: g2,
          fileType: 10,
          storageDuration: 2,
          page: p,
          totalPages: 3,
          data: big.subarray(p * 262144, Math.min(big.length, (p + 1) * 262144)),
        }),
        { key: alice },
      );
    expect((await send(2)).status).toBe(Status.SUCCESS);
    expect((await send(0)).status).toBe(Status.SUCCESS);
    const early = await conn.call(
      Group.QMAIL,
      QMailCommand.DOWNLOAD,
      encodeDownload({ preamble: preambleFor(bob), fileGroupGuid: g2, fileType: 10, version: 1, bytesPerPage: 0, page: 0 }),
    );
    expect(early.status).toBe(Status.FILE_NOT_EXIST);
    expect((await send(1)).status).toBe(Status.SUCCESS);
    const got: Uint8Array[] = [];
    for (let p = 0; p < 3; p++) {
      const r = await conn.call(
        Group.QMAIL,
        QMailCommand.DOWNLOAD,
        encodeDownload({ preamble: preambleFor(bob), fileGroupGuid: g2, fileType: 10, version: 1, bytesPerPage: 0, page: p }),
      );
      got.push(decodeDownloadResponse(r.payload).data);
    }
    expect(Buffer.concat(got).equals(Buffer.from(big))).toBe(true);
    // someone else cannot overwrite it
    const hijack = await conn.call(
      Group.QMAIL,
      QMailCommand.UPLOAD,
      encodeUpload({
        preamble: preambleFor(bob),
        fileGroupGuid: g2,
        lockerCode: new Uint8Array(8),
        fileType: 10,
        storageDuration: 2,
        data: new Uint8Array(3),
      }),
      { key: bob },
    );
    expect(hijack.status).toBe(Status.FILE_EXISTS);
  });

  it('delivers a Tell to a parked ping, and peek sees what is pending', async () => {
    const c2 = await RaidaConnection.open(node.port);
    const t0 = Date.now();
    const parked = c2.call(
      Group.QMAIL,
      QMailCommand.PING,
      encodePing({ preamble: preambleFor(bob), since: 0, flags: PingFlags.MANIFEST }),
      { key: bob },
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(node.stats().parkedPings).toBe(1);
    const g = guid();
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(alice, [bob], g), { key: alice })).status).toBe(Status.SUCCESS);
    const res = await parked;
    expect(Date.now() - t0).toBeLessThan(2500);
    const list = decodeTellList(res.payload);
    expect(list.tells.length).toBe(1);
    expect(list.tells[0]!.fileGroupGuid).toEqual(g);
    expect(list.tells[0]!.sender).toMatchObject({ denomination: alice.denomination, serial: alice.serial });
    expect(list.tells[0]!.manifest).toEqual([
      { fileType: 0, size: 10, crc32: 1 },
      { fileType: 1, size: 20, crc32: 2 },
    ]);
    expect(list.tells[0]!.totalSize).toBe(30);
    // ping consumed it; an empty ping times out with an empty list
    const empty = await c2.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(bob), since: 0 }), { key: bob });
    expect(decodeTellList(empty.payload).tells).toEqual([]);
    await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(alice, [bob, carol], guid()), { key: alice });
    // Without the manifest flag (EXT-6) the answer carries no manifest.
    const peek1 = decodeTellList(
      (await c2.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(bob), since: 0 }), { key: bob })).payload,
      { manifest: false },
    );
    const peek2 = decodeTellList(
      (await c2.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(bob), since: 0 }), { key: bob })).payload,
      { manifest: false },
    );
    expect(peek1.tells.length).toBe(1);
    expect(peek2.tells.length).toBe(1); // peek does not consume
    const wrongAn = await c2.call(
      Group.QMAIL,
      QMailCommand.PEEK,
      encodePeek({ preamble: preambleFor({ ...bob, an: alice.an }), since: 0 }),
      { key: bob },
    );
    expect(wrongAn.status).toBe(Status.INVALID_AN);
    c2.close();
  });

  it('runs the DRD gate: blacklist, class rejection, fee, whitelist, wrong beacon', async () => {
    const post = (id: Identity, fee: bigint, cr: number) =>
      conn.call(
        Group.DRD,
        DrdCommand.POST_USER,
        encodePostUser({
          challenge: freshChallenge(),
          owner: id,
          an: id.an,
          fee,
          symbol1: 0,
          symbol2: 0,
          classRejection: cr,
          firstName: 'Carol',
          lastName: 'Jones',
        }),
        { key: id },
      );
    expect((await post(carol, 5n, 0)).status).toBe(Status.SUCCESS);
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(bob, [carol], guid()), { key: bob })).status).toBe(
      Status.PAYMENT_REQUIRED,
    );
    expect((await post(carol, 0n, 2)).status).toBe(Status.SUCCESS);
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(bob, [carol], guid()), { key: bob })).status).toBe(
      Status.SENDER_CLASS_REJECTED,
    );
    const ls = await conn.call(
      Group.DRD,
      DrdCommand.LIST_SET,
      encodeListSet({
        challenge: freshChallenge(),
        owner: carol,
        an: carol.an,
        entries: [
          { listed: bob, type: ListType.WHITE },
          { listed: alice, type: ListType.BLACK },
        ],
      }),
      { key: carol },
    );
    expect(ls.status).toBe(Status.SUCCESS);
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(bob, [carol], guid()), { key: bob })).status).toBe(Status.SUCCESS);
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(alice, [carol], guid()), { key: alice })).status).toBe(
      Status.SENDER_BLACKLISTED,
    );
    expect((await conn.call(Group.QMAIL, QMailCommand.TELL, tellTo(alice, [newIdentity(4242)], guid()), { key: alice })).status).toBe(
      Status.WRONG_RAIDA,
    );
    const lg = await conn.call(Group.DRD, DrdCommand.LIST_GET, encodeListGet({ challenge: freshChallenge(), owner: carol, an: carol.an }), {
      key: carol,
    });
    expect(decodeListGetResult(lg.payload).map((e) => e.listed.serial)).toEqual([alice.serial, bob.serial]);
    const lgBad = await conn.call(
      Group.DRD,
      DrdCommand.LIST_GET,
      encodeListGet({ challenge: freshChallenge(), owner: carol, an: bob.an }),
      { key: carol },
    );
    expect(lgBad.status).toBe(Status.INVALID_AN);
    const gu = await conn.call(Group.DRD, DrdCommand.GET_USER, encodeGetUser({ challenge: freshChallenge(), user: carol }));
    expect(decodeUserRecord(gu.payload)).toMatchObject({ firstName: 'Carol', classRejection: 2, fee: 0n });
    const su = await conn.call(
      Group.DRD,
      DrdCommand.SEARCH_USERS,
      encodeSearchUsers({ challenge: freshChallenge(), limit: 0, lastName: 'jo' }),
    );
    expect(decodeSearchResult(su.payload).map((u) => u.user.serial)).toEqual([carol.serial]);
  });

  it('answers hostile packets with the standard codes and keeps serving', async () => {
    const ok = () => conn.call(0, 0, new Uint8Array([...freshChallenge(), 0x3e, 0x3e]));
    const oneShot = async (bytes: Uint8Array, halfClose = false) => {
      const c = await RaidaConnection.open(node.port);
      const p = c.raw(bytes, 5000);
      if (halfClose) c.socket.end();
      const res = decodeResponseHeader(new Uint8Array(await p));
      c.close();
      return res.status;
    };
    const body = encodePeek({ preamble: preambleFor(bob), since: 0 });
    const good = encodeRequest({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.PEEK,
      body,
      encryption: Encryption.AN,
      key: bob.an,
      keyDenomination: bob.denomination,
      keySerial: bob.serial,
    });
    // wrong AN as the body key: the decrypted challenge fails its CRC
    const wrongKey = encodeRequest({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.PEEK,
      body,
      encryption: Encryption.AN,
      key: alice.an,
      keyDenomination: bob.denomination,
      keySerial: bob.serial,
    });
    expect(await oneShot(wrongKey.packet)).toBe(Status.INVALID_ENCRYPTION);
    // unknown key coin
    const unknown = encodeRequest({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.PEEK,
      body,
      encryption: Encryption.AN,
      key: bob.an,
      keyDenomination: 0,
      keySerial: 999_999,
    });
    expect(await oneShot(unknown.packet)).toBe(Status.ENCRYPTION_COIN_NOT_FOUND);
    // bad CRC on a plaintext request
    const badCrc = encodeRequest({ raidaId: 0, group: 0, command: 0, body: new Uint8Array([...freshChallenge(), 0x3e, 0x3e]) }).packet;
    badCrc[47] = badCrc[47]! ^ 0xff;
    expect(await oneShot(badCrc)).toBe(Status.INVALID_CRC);
    // truncated: the peer stops mid-packet and half-closes
    expect(await oneShot(good.packet.subarray(0, good.packet.length - 10), true)).toBe(Status.INVALID_PACKET_LENGTH);
    expect(await oneShot(good.packet.subarray(0, 20), true)).toBe(Status.INVALID_PACKET_LENGTH);
    // oversized: header announces more than the cap
    const huge = encodeRequestHeader({ ...good.header, bodyLength: 64 * 1024 * 1024 });
    expect(await oneShot(huge)).toBe(Status.INVALID_PACKET_LENGTH);
    // inconsistent length: body shorter than announced fields (upload declaring more data than sent)
    const lying = encodeUpload({
      preamble: preambleFor(alice),
      fileGroupGuid: guid(),
      lockerCode: new Uint8Array(8),
      fileType: 1,
      storageDuration: 0,
      data: new Uint8Array(100),
    });
    new DataView(lying.buffer).setUint32(48 + 16 + 8 + 1 + 2 + 1 + 4, 5000);
    expect((await conn.call(Group.QMAIL, QMailCommand.UPLOAD, lying)).status).toBe(Status.INVALID_PACKET_LENGTH);
    // missing terminator
    const noEnd = good.packet.slice();
    noEnd[noEnd.length - 1] = 0;
    expect(await oneShot(noEnd)).toBe(Status.INVALID_EOF);
    // bad version byte and reserved encryption type
    const v2 = good.packet.slice();
    v2[0] = 2;
    expect(await oneShot(v2)).toBe(Status.INVALID_CLOUD_ID);
    const e3 = good.packet.slice();
    e3[16] = 3;
    expect(await oneShot(e3)).toBe(Status.INVALID_ENCRYPTION);
    // a byte-identical replay of an encrypted request is refused; re-encoding is not a replay
    const replayed = encodeRequest({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.PEEK,
      body,
      encryption: Encryption.AN,
      key: bob.an,
      keyDenomination: bob.denomination,
      keySerial: bob.serial,
    });
    expect(decodeResponseHeader(new Uint8Array(await conn.raw(replayed.packet))).status).toBe(Status.SUCCESS);
    expect(decodeResponseHeader(new Uint8Array(await conn.raw(replayed.packet))).status).toBe(Status.INVALID_PARAMETER);
    expect((await ok()).status).toBe(Status.SUCCESS);
    const after = await conn.call(Group.QMAIL, QMailCommand.PEEK, body.slice(), { key: bob });
    expect(after.status).toBe(Status.SUCCESS);
  });

  it('survives 10,000 random and mutated packets and still answers correctly', async () => {
    const seeds: Uint8Array[] = [
      encodeRequest({
        raidaId: 0,
        group: Group.QMAIL,
        command: QMailCommand.PEEK,
        body: encodePeek({ preamble: preambleFor(bob), since: 0 }),
        encryption: Encryption.AN,
        key: bob.an,
        keyDenomination: bob.denomination,
        keySerial: bob.serial,
      }).packet,
      encodeRequest({ raidaId: 0, group: Group.QMAIL, command: QMailCommand.TELL, body: tellTo(alice, [bob], guid()) }).packet,
      encodeRequest({
        raidaId: 0,
        group: Group.DRD,
        command: DrdCommand.GET_USER,
        body: encodeGetUser({ challenge: freshChallenge(), user: carol }),
      }).packet,
      encodeRequest({
        raidaId: 0,
        group: Group.QMAIL,
        command: QMailCommand.UPLOAD,
        body: encodeUpload({
          preamble: preambleFor(alice),
          fileGroupGuid: guid(),
          lockerCode: new Uint8Array(8),
          fileType: 3,
          storageDuration: 0,
          data: new Uint8Array(64),
        }),
      }).packet,
    ];
    const rnd = randomBytes(10_000 * 8);
    const packetAt = (i: number): Uint8Array => {
      const r = (k: number) => rnd.readUInt32LE((i * 8 + k) % (rnd.length - 4));
      if (i % 10 === 0) return new Uint8Array(randomBytes(1 + (r(0) % 120)));
      const pkt = seeds[i % seeds.length]!.slice();
      const flips = 1 + (r(1) % 3);
      for (let f = 0; f < flips; f++) {
        const at = r(2 + f) % pkt.length;
        pkt[at] = pkt[at]! ^ (1 << (r(5) % 8));
      }
      return pkt;
    };
    // Each packet on its own connection, followed by a half-close: the server must answer
    // every complete frame, and a partial one with INVALID_PACKET_LENGTH, then hang up.
    const fire = (pkt: Uint8Array) =>
      new Promise<number>((resolve) => {
        const s = connect({ port: node.port, host: '127.0.0.1' });
        let got = Buffer.alloc(0);
        const t = setTimeout(() => s.destroy(), 5000);
        s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
        s.on('error', () => undefined);
        s.on('close', () => {
          clearTimeout(t);
          resolve(got.length >= 32 ? got[2]! : -1);
        });
        s.end(pkt);
      });
    const t0 = Date.now();
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 10_000) {
          const st = await fire(packetAt(next++));
          statuses.set(st, (statuses.get(st) ?? 0) + 1);
        }
      }),
    );
    expect(Date.now() - t0).toBeLessThan(80_000);
    // every packet got a RAIDA answer (or a dropped connection only after a parked ping timed out)
    expect(statuses.get(-1) ?? 0).toBeLessThan(50);
    expect([...statuses.keys()].filter((k) => k >= 0).length).toBeGreaterThan(3);
    const after = await conn.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(bob), since: 0 }), { key: bob });
    expect(after.status).toBe(Status.SUCCESS);
  }, 90_000);
});
