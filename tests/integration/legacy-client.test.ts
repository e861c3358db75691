// The CloudCoin Python client (worthingtonse/qmail-client) against real qmail-server
// processes. Every request below is laid out byte for byte the way that client's builders
// lay it out (src/protocol.py: build_*_header / build_*_payload / build_*_body), written
// here from the published layout, and every answer is read with that client's parsing
// rules (parse_tell_response, validate_*_response, the beacon's status handling).
//
// Facts used: header byte 0 = 1, byte 8 = one random bit, coin id 00 06 at 6–7, type 0
// (clear) bodies with a zero nonce, body length = the whole body with its 3E 3E; the
// 48-byte preamble (challenge 12 random + CRC32 BE, zero session id, 00 06, DN, SN BE,
// device id at 31, AN at 32); upload 60 = preamble GUID(16) locker(8) reserved(3)
// duration(1) reserved(4) length(4 BE) data; tell 61 = preamble, 40-byte routing header
// (GUID, 8 bytes, timestamp at +24, type +28, AC +29, QC +30, beacon locker +31..+38),
// recipients (type, coin id 2, DN, domain 0, SN 3 bytes BE, locker key at +8),
// servers (index, type, IPv4 at +22, port BE at +26); ping 62 = preamble (+ since) = 50
// or 54 bytes; peek 63 = preamble + since = 54 bytes; download 64 = 16 random bytes as
// challenge (no CRC), GUID, file type, version 1, bytes-per-page 0, page BE = 71 bytes.
// The client's read timeout is 30 s; "no mail" after a ping is status 17.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { crc32 } from '../../shared/bytes/crc32.js';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { PingFlags, decodeTellList, encodePeek, encodeRegister, encodeTell, makePreamble } from '../../shared/qmail/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { directoryIdentity, provenRegisterBody } from '../../server/testing/register.js';
import { startServer } from '../../server/index.js';
import { RaidaConnection, freshChallenge } from '../../server/testing/client.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { tempDir } from '../support/tmp.js';

const CLIENT_READ_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- the client's packets

interface Coin {
  denomination: number;
  serial: number;
  /** The coin's AN on each node, by RAIDA index. */
  ans: Uint8Array[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rnd = (n: number) => new Uint8Array(randomBytes(n));

/** Bytes 0–8: the protocol.py builders write version 1 and one random bit at 8; the network layer version 0 and 0. */
function clientHeader(raidaId: number, command: number, version: 0 | 1 = 1): Uint8Array {
  const h = new Uint8Array(32);
  const v = new DataView(h.buffer);
  h[0] = version;
  h[2] = raidaId;
  h[4] = 6;
  h[5] = command;
  v.setUint16(6, 0x0006);
  h[8] = version === 1 ? rnd(1)[0]! & 0x01 : 0;
  // Encryption type 0 at 16; DN/SN at 17–21 are still written by the ping/peek/tell builders.
  return h;
}
function withIdentity(h: Uint8Array, coin: Coin, bodyLength: number): Uint8Array {
  const v = new DataView(h.buffer);
  h[17] = coin.denomination & 0xff;
  v.setUint32(18, coin.serial);
  v.setUint16(22, bodyLength);
  return h;
}
function clientChallenge(): Uint8Array {
  const c = new Uint8Array(16);
  c.set(rnd(12));
  new DataView(c.buffer).setUint32(12, crc32(c.subarray(0, 12)) >>> 0);
  return c;
}
function writePreamble(body: Uint8Array, coin: Coin, raidaId: number, deviceId: number, challenge = clientChallenge()): Uint8Array {
  const v = new DataView(body.buffer);
  body.set(challenge, 0);
  v.setUint16(24, 0x0006);
  body[26] = coin.denomination & 0xff;
  v.setUint32(27, coin.serial);
  body[31] = deviceId & 0xff;
  body.set(coin.ans[raidaId]!, 32);
  return challenge;
}
function packet(raidaId: number, command: number, coin: Coin, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + body.length);
  out.set(withIdentity(clientHeader(raidaId, command), coin, body.length), 0);
  out.set(body, 32);
  return out;
}

function pingPacket(raidaId: number, coin: Coin, since = 0) {
  const body = new Uint8Array(since > 0 ? 54 : 50);
  const challenge = writePreamble(body, coin, raidaId, 7);
  if (since > 0) new DataView(body.buffer).setUint32(48, since);
  body.set([0x3e, 0x3e], body.length - 2);
  return { packet: packet(raidaId, 62, coin, body), challenge };
}
function peekPacket(raidaId: number, coin: Coin, since: number) {
  const body = new Uint8Array(54);
  const challenge = writePreamble(body, coin, raidaId, 7);
  new DataView(body.buffer).setUint32(48, since);
  body.set([0x3e, 0x3e], 52);
  return { packet: packet(raidaId, 63, coin, body), challenge };
}
function uploadPacket(raidaId: number, coin: Coin, guid: Uint8Array, lockerCode: Uint8Array, duration: number, data: Uint8Array) {
  const body = new Uint8Array(84 + data.length + 2);
  const challenge = writePreamble(body, coin, raidaId, 0);
  body.set(guid, 48);
  body.set(lockerCode, 64);
  body[75] = duration;
  new DataView(body.buffer).setUint32(80, data.length);
  body.set(data, 84);
  body.set([0x3e, 0x3e], body.length - 2);
  return { packet: packet(raidaId, 60, coin, body), challenge };
}
interface ClientRecipient {
  addressType: number;
  coin: Coin;
  lockerKey: Uint8Array;
}
interface ClientServer {
  stripeIndex: number;
  stripeType: number;
  ip: string;
  port: number;
}
function tellPacket(
  raidaId: number,
  coin: Coin,
  t: {
    guid: Uint8Array;
    timestamp: number;
    tellType: number;
    recipients: ClientRecipient[];
    servers: ClientServer[];
    beaconLocker: Uint8Array;
    routingBytes16to23?: Uint8Array;
  },
) {
  const ac = t.recipients.length;
  const qc = t.servers.length;
  const body = new Uint8Array(48 + 40 + ac * 32 + qc * 32 + 2);
  const v = new DataView(body.buffer);
  const challenge = writePreamble(body, coin, raidaId, 0);
  const h = 48;
  body.set(t.guid, h);
  if (t.routingBytes16to23) body.set(t.routingBytes16to23, h + 16);
  v.setUint32(h + 24, t.timestamp);
  body[h + 28] = t.tellType;
  body[h + 29] = ac;
  body[h + 30] = qc;
  body.set(t.beaconLocker.subarray(0, 8), h + 31);
  let off = 88;
  for (const r of t.recipients) {
    body[off] = r.addressType;
    v.setUint16(off + 1, 0x0006);
    body[off + 3] = r.coin.denomination & 0xff;
    body[off + 4] = 0; // domain id
    body[off + 5] = (r.coin.serial >> 16) & 0xff;
    body[off + 6] = (r.coin.serial >> 8) & 0xff;
    body[off + 7] = r.coin.serial & 0xff;
    body.set(r.lockerKey.subarray(0, 16), off + 8);
    off += 32;
  }
  for (const s of t.servers) {
    body[off] = s.stripeIndex;
    body[off + 1] = s.stripeType;
    body.set(s.ip.split('.').map(Number), off + 22);
    v.setUint16(off + 26, s.port);
    off += 32;
  }
  body.set([0x3e, 0x3e], body.length - 2);
  return { packet: packet(raidaId, 61, coin, body), challenge };
}
function downloadPacket(raidaId: number, coin: Coin, guid: Uint8Array, fileType: number, page: number) {
  const body = new Uint8Array(71);
  // The client's download builder takes 16 random bytes as the challenge (no CRC).
  const challenge = writePreamble(body, coin, raidaId, 0, rnd(16));
  body.set(guid, 48);
  body[64] = fileType;
  body[65] = 1;
  body[66] = 0;
  new DataView(body.buffer).setUint16(67, page);
  body.set([0x3e, 0x3e], 69);
  return { packet: packet(raidaId, 64, coin, body), challenge };
}

// The client's second path, src/network.py send_request (its beacon loop and send_stripe):
// header byte 0 = 0, bytes 14–15 = 1, 1; type 1 keyed by the AN with the nonce
// 00 00 00 11 11 SN(3) in header bytes 24–31 (AES-128-CTR, counter block nonce ‖ 0);
// the body as given (the ping body keeps its own 3E 3E) is encrypted and a clear 3E 3E
// is appended; body length = encrypted length + 2. The answer's echo (bytes 6–7) must be
// nonce bytes 6–7, and the whole answer body is decrypted the same way.
function netNonce(serial: number): Uint8Array {
  return new Uint8Array([0, 0, 0, 0x11, 0x11, (serial >> 16) & 0xff, (serial >> 8) & 0xff, serial & 0xff]);
}
function ctr(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.set(nonce);
  const c = createCipheriv('aes-128-ctr', key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}
function netPacket(raidaId: number, command: number, coin: Coin, bodyData: Uint8Array): Uint8Array {
  const nonce = netNonce(coin.serial);
  const payload = ctr(coin.ans[raidaId]!, nonce, bodyData);
  const h = withIdentity(clientHeader(raidaId, command, 0), coin, payload.length + 2);
  h[14] = 1;
  h[15] = 1;
  h[16] = 1;
  h.set(nonce, 24);
  const out = new Uint8Array(32 + payload.length + 2);
  out.set(h);
  out.set(payload, 32);
  out.set([0x3e, 0x3e], 32 + payload.length);
  return out;
}
function readNetAnswer(res: Buffer, coin: Coin, raidaId: number): { status: number; echoOk: boolean; body: Uint8Array } {
  const r = new Uint8Array(res);
  const nonce = netNonce(coin.serial);
  const bodySize = (r[9]! << 16) | (r[10]! << 8) | r[11]!;
  const body = r.subarray(32, 32 + bodySize);
  return { status: r[2]!, echoOk: r[6] === nonce[6] && r[7] === nonce[7], body: body.length ? ctr(coin.ans[raidaId]!, nonce, body) : body };
}

// ---------------------------------------------------------------- the client's parsing rules

interface ClientAnswer {
  status: number;
  challengeEcho: boolean;
  body: Uint8Array;
}
function readAnswer(res: Buffer, challenge: Uint8Array): ClientAnswer {
  const r = new Uint8Array(res);
  const bodySize = (r[9]! << 16) | (r[10]! << 8) | r[11]!;
  return { status: r[2]!, challengeEcho: hex(r.subarray(16, 32)) === hex(challenge), body: r.subarray(32, 32 + bodySize) };
}

interface ClientTell {
  senderSn: number;
  timestamp: number;
  tellType: number;
  fileGuid: string;
  totalFileSize: number;
  serverCount: number;
  servers: Uint8Array[];
  lockerCode: string;
}
/** parse_tell_response's rules, step by step; `end` is where it stopped reading. */
function parseTellResponse(b: Uint8Array): { ok: boolean; count: number; remaining: number; tells: ClientTell[]; end: number } {
  if (b.length < 8) return { ok: true, count: 0, remaining: 0, tells: [], end: 0 };
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const count = b[0]!;
  const remaining = v.getUint16(1);
  const tells: ClientTell[] = [];
  let off = 8;
  for (let i = 0; i < count; i++) {
    if (off + 40 > b.length) return { ok: false, count, remaining, tells, end: off };
    const t: ClientTell = {
      senderSn: v.getUint32(off + 7),
      timestamp: v.getUint32(off + 11),
      tellType: b[off + 15]!,
      fileGuid: hex(b.subarray(off + 16, off + 32)),
      totalFileSize: v.getUint32(off + 32),
      serverCount: v.getUint32(off + 36),
      servers: [],
      lockerCode: hex(new Uint8Array(16)),
    };
    off += 40;
    for (let s = 0; s < t.serverCount; s++) {
      if (off + 32 > b.length) break;
      t.servers.push(b.subarray(off, off + 32));
      off += 32;
    }
    if (off + 18 <= b.length && b[off] === 0x50 && b[off + 1] === 16) {
      t.lockerCode = hex(b.subarray(off + 2, off + 18));
      off += 18;
    }
    tells.push(t);
  }
  return { ok: true, count, remaining, tells, end: off };
}

// ---------------------------------------------------------------- the network

const tmp = tempDir('qmail-legacy-');
let net: LocalNetwork;
const NODES = 2;
const coin = (denomination: number, serial: number): Coin => ({ denomination, serial, ans: Array.from({ length: NODES }, () => rnd(16)) });
// Serials fit the client's 3-byte recipient field.
const alice = coin(1, 0x00abcd);
const bob = coin(0, 70_001);
const carol = coin(0, 70_002); // provisioned nowhere: the node does not know her coin
const provisioned = [alice, bob];
let parkedOnDefault: Promise<{ status: number; ms: number }>;
const conns: RaidaConnection[] = [];
const open = async (i: number) => {
  const c = await RaidaConnection.open(net.network.nodes[i]!.port);
  conns.push(c);
  return c;
};

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: NODES,
    nodeConfig: { limits: { pingMaxWaitMs: 1500 }, log: { level: 'warn' }, drd: { defaultTellFee: 0 } },
    // Node 1 keeps the default long-poll hold; every node knows alice's and bob's coin ANs.
    perNode: (i) => ({
      ...(i === 1 ? { limits: {} } : {}),
      legacy: { mailboxes: provisioned.map((c) => ({ denomination: c.denomination, serial: c.serial, an: hex(c.ans[i]!) })) },
    }),
  });
  // A ping to the node with the default hold, parked while the other tests run.
  const c = await open(1);
  const p = pingPacket(1, bob);
  const t0 = Date.now();
  parkedOnDefault = c
    .raw(p.packet, CLIENT_READ_TIMEOUT_MS)
    .then((res) => ({ status: readAnswer(res, p.challenge).status, ms: Date.now() - t0 }));
}, 90_000);

afterAll(async () => {
  for (const c of conns) c.close();
  await net?.close();
  tmp.remove();
});

const nodeAddr = (i: number): ClientServer => ({
  stripeIndex: i,
  stripeType: i === 0 ? 0 : 1,
  ip: '127.0.0.1',
  port: net.network.nodes[i]!.port,
});
const lockerOf = (code: string) => {
  const k = new Uint8Array(16);
  k.set(Buffer.from(code, 'ascii'));
  return k;
};

describe('the CloudCoin client against qmail-server', () => {
  const sent: { guid: Uint8Array; timestamp: number; total: number }[] = [];

  it('uploads with 60 and downloads with 64 (random challenge) as aliases of 70/74', async () => {
    const c = await open(1);
    const guid = rnd(16);
    const data = rnd(3000);
    const up = uploadPacket(1, alice, guid, Buffer.from('ABC-1234'), 2, data);
    const upAnswer = readAnswer(await c.raw(up.packet), up.challenge);
    expect(upAnswer).toMatchObject({ status: 250, challengeEcho: true });
    const down = downloadPacket(1, bob, guid, 0, 0);
    const a = readAnswer(await c.raw(down.packet), down.challenge);
    // validate_download_response: status 250, challenge echoed, data length at 5, data at 9.
    expect(a).toMatchObject({ status: 250, challengeEcho: true });
    const len = new DataView(a.body.buffer, a.body.byteOffset).getUint32(5);
    expect(len).toBe(data.length);
    expect(hex(a.body.subarray(9, 9 + len))).toBe(hex(data));
  });

  it('sends Tells with 61, one stating total_file_size in routing bytes 16–19', async () => {
    const c = await open(0);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++) {
      const guid = rnd(16);
      const total = i === 1 ? 123_456 : 0;
      const extra = new Uint8Array(8);
      if (total) {
        new DataView(extra.buffer).setUint32(0, total);
        extra.set([1, 2, 3, 4], 4); // the run after it is reserved; a legacy Tell may carry anything there
      }
      const t = tellPacket(0, alice, {
        guid,
        timestamp: now + i,
        tellType: 0,
        beaconLocker: lockerOf('BCN-0001'),
        recipients: [{ addressType: 0, coin: bob, lockerKey: lockerOf('RCP-000' + i) }],
        servers: [nodeAddr(0), nodeAddr(1)],
        ...(total ? { routingBytes16to23: extra } : {}),
      });
      const a = readAnswer(await c.raw(t.packet), t.challenge);
      // validate_tell_response: 250 and the challenge echoed.
      expect(a).toMatchObject({ status: 250, challengeEcho: true });
      sent.push({ guid, timestamp: now + i, total });
    }
  });

  it('pings with 62 and reads every Tell of one answer with the client parser', async () => {
    const c = await open(0);
    const p = pingPacket(0, bob);
    const a = readAnswer(await c.raw(p.packet), p.challenge);
    expect(a).toMatchObject({ status: 250, challengeEcho: true });
    const parsed = parseTellResponse(a.body);
    expect(parsed.ok).toBe(true);
    expect(parsed.count).toBe(3);
    // Nothing left over but the terminator: no Tell was read at a shifted offset.
    expect(hex(a.body.subarray(parsed.end))).toBe('3e3e');
    // Newest first (finding 5): the last Tell sent is read first.
    parsed.tells.forEach((t, at) => {
      const i = sent.length - 1 - at;
      expect(t).toMatchObject({
        senderSn: alice.serial,
        timestamp: sent[i]!.timestamp,
        tellType: 0,
        fileGuid: hex(sent[i]!.guid),
        serverCount: 2,
        totalFileSize: sent[i]!.total,
      });
      expect(t.lockerCode).toBe(hex(lockerOf('RCP-000' + i)));
      expect(t.servers.map((s) => [s[0], new DataView(s.buffer, s.byteOffset).getUint16(26)])).toEqual([
        [0, net.network.nodes[0]!.port],
        [1, net.network.nodes[1]!.port],
      ]);
    });
  });

  it('answers "no mail" with status 17 to 62 after the hold, and to 63 at once', async () => {
    const c = await open(0);
    const t0 = Date.now();
    const p = pingPacket(0, bob);
    const a = readAnswer(await c.raw(p.packet, CLIENT_READ_TIMEOUT_MS), p.challenge);
    expect(a).toMatchObject({ status: Status.UDP_FRAME_TIMEOUT, challengeEcho: true });
    expect(a.body.length).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    const q = peekPacket(0, bob, Math.floor(Date.now() / 1000) - 3600);
    const b = readAnswer(await c.raw(q.packet), q.challenge);
    expect(b).toMatchObject({ status: 17, challengeEcho: true });
    // Our own codes keep answering 250 with an empty list.
    // (encrypted: only 60–64 are served in clear to an authenticated caller)
    const own = await c.call(
      Group.QMAIL,
      QMailCommand.PEEK,
      encodePeek({
        preamble: makePreamble({ challenge: freshChallenge(), denomination: bob.denomination, serial: bob.serial, an: bob.ans[0]! }),
        since: 0,
      }),
      {
        key: { denomination: bob.denomination, serial: bob.serial, an: bob.ans[0]! },
      },
    );
    expect(own.status).toBe(Status.SUCCESS);
    expect(decodeTellList(own.payload).tells).toEqual([]);
  });

  it('peeks with 63 (since) and sees pending Tells without a manifest', async () => {
    const c = await open(0);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i++) {
      const t = tellPacket(0, alice, {
        guid: rnd(16),
        timestamp: now,
        tellType: 0,
        beaconLocker: lockerOf('BCN-0002'),
        recipients: [{ addressType: 1, coin: bob, lockerKey: lockerOf('RCP-1000') }],
        servers: [nodeAddr(0), nodeAddr(1)],
      });
      expect(readAnswer(await c.raw(t.packet), t.challenge).status).toBe(250);
    }
    const q = peekPacket(0, bob, now - 60);
    const a = readAnswer(await c.raw(q.packet), q.challenge);
    expect(a.status).toBe(250);
    const parsed = parseTellResponse(a.body);
    expect(parsed.tells.map((t) => t.senderSn)).toEqual([alice.serial, alice.serial]);
    expect(hex(a.body.subarray(parsed.end))).toBe('3e3e');
  });
});

describe("the client's network layer: its beacon loop and send_stripe", () => {
  it('long-polls with an encrypted 62 (version 0 header, doubled terminator) and reads the answer', async () => {
    const c0 = await open(0);
    const guid = rnd(16);
    const t = tellPacket(0, alice, {
      guid,
      timestamp: 77,
      tellType: 0,
      beaconLocker: lockerOf('BCN-0003'),
      recipients: [{ addressType: 0, coin: bob, lockerKey: lockerOf('RCP-2000') }],
      servers: [nodeAddr(1)],
    });
    expect(readAnswer(await c0.raw(t.packet), t.challenge).status).toBe(250);
    // The beacon's ping: the 50-byte ping body, 3E 3E and all, through send_request.
    const pingBody = () => {
      const body = new Uint8Array(50);
      writePreamble(body, bob, 0, 7);
      body.set([0x3e, 0x3e], 48);
      return body;
    };
    const a = readNetAnswer(await c0.raw(netPacket(0, 62, bob, pingBody())), bob, 0);
    expect(a).toMatchObject({ status: 250, echoOk: true });
    const parsed = parseTellResponse(a.body);
    expect(parsed.ok).toBe(true);
    expect(parsed.tells.map((x) => x.fileGuid)).toContain(hex(guid));
    expect(parsed.tells.every((x) => x.senderSn === alice.serial)).toBe(true);
    // Only the (decrypted) terminator is left after the last Tell.
    expect(parsed.end).toBe(a.body.length - 2);
    // The inbox is empty now: the next long poll ends with 17, which the loop reads as "no new mail".
    const again = readNetAnswer(await c0.raw(netPacket(0, 62, bob, pingBody()), CLIENT_READ_TIMEOUT_MS), bob, 0);
    expect(again).toMatchObject({ status: 17, echoOk: true });
  });

  it('uploads a stripe with send_stripe (version 0, encrypted, one terminator); the stripe downloads back', async () => {
    const c1 = await open(1);
    const guid = rnd(16);
    const data = rnd(500);
    const body = new Uint8Array(84 + data.length);
    writePreamble(body, alice, 1, 0);
    body.set(guid, 48);
    body.set(Buffer.from('XYZ-9876'), 64);
    body[75] = 1;
    new DataView(body.buffer).setUint32(80, data.length);
    body.set(data, 84);
    const a = readNetAnswer(await c1.raw(netPacket(1, 60, alice, body)), alice, 1);
    expect(a).toMatchObject({ status: 250, echoOk: true });
    const d = downloadPacket(1, bob, guid, 0, 0);
    const got = readAnswer(await c1.raw(d.packet), d.challenge);
    expect(got.status).toBe(250);
    expect(hex(got.body.subarray(9, 9 + data.length))).toBe(hex(data));
  });

  it('keeps version 0 to the legacy codes: a version-0 header for 72 is refused', async () => {
    const c0 = await open(0);
    const body = new Uint8Array(50);
    writePreamble(body, bob, 0, 7);
    body.set([0x3e, 0x3e], 48);
    const res = new Uint8Array(await c0.raw(netPacket(0, 72, bob, body)));
    expect(res[2]).toBe(Status.INVALID_CLOUD_ID);
  });
});

describe('the manifest (EXT-3) only for callers that ask (EXT-6)', () => {
  it('72/73 without the flag: no manifest; with it: the manifest; our client asks and gets it', async () => {
    const c = await open(0);
    // Two of our Tells, with manifests, to a fresh mailbox registered with EXT-2.
    // The node belongs to a directory, so the address is one the directory allocated (EXT-7).
    const dave = await directoryIdentity(net.network.directory.url, 'dave');
    const reg = await c.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(dave, net.network.nodes[0]!.nodeId));
    expect(reg.status).toBe(Status.SUCCESS);
    const sender = { denomination: alice.denomination, serial: alice.serial, an: alice.ans[0]! };
    for (const size of [100, 200]) {
      const body = encodeTell({
        preamble: makePreamble({ challenge: freshChallenge(), denomination: sender.denomination, serial: sender.serial, an: sender.an }),
        fileGroupGuid: rnd(16),
        timestamp: 1,
        tellType: 0,
        beaconPaymentLocker: new Uint8Array(8),
        recipients: [
          {
            addressType: 0,
            address: { coinGroup: 6, denomination: dave.denomination, serial: dave.serial },
            lockerKey: new Uint8Array(16),
          },
        ],
        servers: [{ stripeIndex: 0, stripeType: 0, raidaId: 0, ipv4: new Uint8Array([127, 0, 0, 1]), port: 1 }],
        manifest: [
          { fileType: 0, size, crc32: 7 },
          { fileType: 1, size: size + 1, crc32: 8 },
        ],
      });
      expect((await c.call(Group.QMAIL, QMailCommand.TELL, body, { key: sender })).status).toBe(Status.SUCCESS);
    }
    const peek = (flags?: number) =>
      c.call(
        Group.QMAIL,
        QMailCommand.PEEK,
        encodePeek({
          preamble: makePreamble({ challenge: freshChallenge(), denomination: dave.denomination, serial: dave.serial, an: dave.an }),
          since: 0,
          ...(flags === undefined ? {} : { flags }),
        }),
        { key: dave },
      );

    const plain = await peek();
    expect(plain.status).toBe(Status.SUCCESS);
    // The client's rules read both Tells at the right offsets, and so does ours told there is no manifest.
    const parsedPlain = parseTellResponse(plain.payload);
    expect(parsedPlain.tells.map((t) => t.totalFileSize)).toEqual([401, 201]); // newest first
    expect(parsedPlain.end).toBe(plain.payload.length);
    expect(decodeTellList(plain.payload, { manifest: false }).tells.map((t) => t.manifest)).toEqual([[], []]);

    const rich = await peek(PingFlags.MANIFEST);
    expect(decodeTellList(rich.payload).tells.map((t) => t.manifest.map((m) => m.size))).toEqual([
      [200, 201],
      [100, 101],
    ]);
    // Why it is opt-in: the client's parser misreads every Tell after the first when manifests are sent.
    const misread = parseTellResponse(rich.payload);
    expect(misread.tells[1]!.totalFileSize).not.toBe(201);

    // Unknown capability bits are refused with a typed status (our encoder would not even write them).
    const odd = encodePeek({
      preamble: makePreamble({ challenge: freshChallenge(), denomination: dave.denomination, serial: dave.serial, an: dave.an }),
      since: 0,
      flags: PingFlags.MANIFEST,
    });
    odd[52] = 0x81;
    expect((await c.call(Group.QMAIL, QMailCommand.PEEK, odd, { key: dave })).status).toBe(Status.INVALID_PARAMETER);

    // Our desktop client's Group 6 layer asks for the manifest on peek and on ping.
    const pool = new ConnectionPool();
    try {
      const client = new QMailServerClient(pool, { host: '127.0.0.1', port: net.network.nodes[0]!.port, raidaId: 0 });
      const caller = { mailbox: { coinGroup: 6, denomination: dave.denomination, serial: dave.serial }, an: dave.an };
      const viaPeek = await client.peek(caller);
      expect(viaPeek.tells.map((t) => t.manifest.length)).toEqual([2, 2]);
      const conn = pool.dedicated({ host: '127.0.0.1', port: net.network.nodes[0]!.port, raidaId: 0 });
      try {
        const viaPing = await client.ping(caller, conn, 1500);
        expect(viaPing.tells.map((t) => t.manifest.map((m) => m.crc32))).toEqual([
          [7, 8],
          [7, 8],
        ]);
      } finally {
        conn.close();
      }
    } finally {
      pool.closeAll();
    }
  });
});

describe('a mailbox without register (EXT-2): the coin AN the operator provisioned', () => {
  it('authenticates clear and encrypted requests with the coin AN on that node, and nothing else', async () => {
    for (const i of [0, 1]) {
      const c = await open(i);
      const good = peekPacket(i, alice, 0);
      expect(readAnswer(await c.raw(good.packet), good.challenge).status).toBe(17);
      // Another node's AN for the same coin is wrong here.
      const other = { ...alice, ans: alice.ans.map(() => alice.ans[1 - i]!) };
      const bad = peekPacket(i, other, 0);
      expect(readAnswer(await c.raw(bad.packet), bad.challenge).status).toBe(Status.INVALID_AN);
      // A coin the node was not given has no mailbox.
      const unknown = peekPacket(i, carol, 0);
      expect(readAnswer(await c.raw(unknown.packet), unknown.challenge).status).toBe(Status.COIN_NOT_FOUND);
      // Encryption type 1 keyed by the coin AN finds the key through the same registry.
      const enc = await c.call(
        Group.QMAIL,
        63,
        encodePeek({
          preamble: makePreamble({
            challenge: freshChallenge(),
            denomination: alice.denomination,
            serial: alice.serial,
            an: alice.ans[i]!,
          }),
          since: 0,
        }),
        { key: { denomination: alice.denomination, serial: alice.serial, an: alice.ans[i]! }, raidaId: i },
      );
      expect(enc.status).toBe(17);
    }
  });

  it('cannot be taken by register, and register cannot take an unprovisioned coin any more easily than before', async () => {
    const c = await open(0);
    const squat = await c.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({
        preamble: makePreamble({ challenge: freshChallenge(), denomination: bob.denomination, serial: bob.serial, an: new Uint8Array(16) }),
        newAn: rnd(16),
        flags: 0,
      }),
    );
    expect(squat.status).toBe(Status.FILE_EXISTS);
    const rotateWithoutAn = await c.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({
        preamble: makePreamble({ challenge: freshChallenge(), denomination: bob.denomination, serial: bob.serial, an: rnd(16) }),
        newAn: rnd(16),
        flags: 0,
      }),
    );
    expect(rotateWithoutAn.status).toBe(Status.INVALID_AN);
    // The coin AN still works after both attempts.
    const p = peekPacket(0, bob, 0);
    expect([250, 17]).toContain(readAnswer(await c.raw(p.packet), p.challenge).status);
  });

  it('provisioning writes only where no AN is stored, and refuses a malformed entry', async () => {
    const dir = join(tmp.path, 'provision');
    const mb = { denomination: 2, serial: 5 };
    const first = rnd(16);
    const s1 = await startServer({
      dataDir: dir,
      storage: { durable: false },
      log: { level: 'silent' },
      legacy: { mailboxes: [{ ...mb, an: hex(first) }] },
    });
    await s1.close();
    const s2 = await startServer({
      dataDir: dir,
      storage: { durable: false },
      log: { level: 'silent' },
      legacy: { mailboxes: [{ ...mb, an: hex(rnd(16)) }] },
    });
    try {
      expect(hex((await s2.storage.getAn(mb))!)).toBe(hex(first));
    } finally {
      await s2.close();
    }
    await expect(
      startServer({ dataDir: dir, log: { level: 'silent' }, legacy: { mailboxes: [{ ...mb, an: '00'.repeat(16) }] } }),
    ).rejects.toThrow(/must not be all zeros/);
    await expect(
      startServer({ dataDir: dir, log: { level: 'silent' }, legacy: { mailboxes: [{ denomination: 9, serial: 1, an: hex(first) }] } }),
    ).rejects.toThrow(/denomination/);
  });
});

describe('total_file_size in the Tell routing header', () => {
  it('is accepted on our own 71 too (bytes 16–19), and carried to the recipient when there is no manifest', async () => {
    const c = await open(1);
    const sender = { denomination: bob.denomination, serial: bob.serial, an: bob.ans[1]! };
    const body = encodeTell({
      preamble: makePreamble({ challenge: freshChallenge(), denomination: sender.denomination, serial: sender.serial, an: sender.an }),
      fileGroupGuid: rnd(16),
      timestamp: 9,
      tellType: 0,
      beaconPaymentLocker: new Uint8Array(8),
      recipients: [
        {
          addressType: 0,
          address: { coinGroup: 6, denomination: alice.denomination, serial: alice.serial },
          lockerKey: new Uint8Array(16),
        },
      ],
      servers: [],
      manifest: [],
    });
    new DataView(body.buffer, body.byteOffset).setUint32(48 + 16, 4242); // as the client states it
    expect((await c.call(Group.QMAIL, QMailCommand.TELL, body, { key: sender, raidaId: 1 })).status).toBe(Status.SUCCESS);
    // The run after it stays reserved on 71.
    body[48 + 20] = 1;
    expect((await c.call(Group.QMAIL, QMailCommand.TELL, body, { key: sender, raidaId: 1 })).status).toBe(Status.INVALID_PARAMETER);
    const q = peekPacket(1, alice, 0);
    const a = readAnswer(await c.raw(q.packet), q.challenge);
    expect(a.status).toBe(250);
    expect(parseTellResponse(a.body).tells.map((t) => [t.senderSn, t.totalFileSize])).toEqual([[bob.serial, 4242]]);
  });
});

describe('the long-poll hold', () => {
  it("answers a parked 62 on a default-configured node before the client's 30 s read timeout", async () => {
    const r = await parkedOnDefault;
    expect(r.status).toBe(17);
    expect(r.ms).toBeLessThan(CLIENT_READ_TIMEOUT_MS);
    expect(r.ms).toBeGreaterThanOrEqual(20_000);
  }, 40_000);
});

describe('legacy aliases can be turned off', () => {
  it('answers 60–64 with INVALID_COMMAND when legacy.commands is false', async () => {
    const s = await startServer({
      dataDir: join(tmp.path, 'off'),
      storage: { durable: false },
      log: { level: 'silent' },
      legacy: { commands: false, mailboxes: [{ denomination: bob.denomination, serial: bob.serial, an: hex(bob.ans[0]!) }] },
    });
    const c = await RaidaConnection.open(s.port);
    try {
      const p = peekPacket(0, bob, 0);
      expect(readAnswer(await c.raw(p.packet), p.challenge).status).toBe(Status.INVALID_COMMAND);
      const d = downloadPacket(0, bob, rnd(16), 0, 0);
      // Off means off: not even the random-challenge allowance is left.
      expect(readAnswer(await c.raw(d.packet), d.challenge).status).toBe(Status.INVALID_CRC);
    } finally {
      c.close();
      await s.close();
    }
  });
});
