// Attacks on the network, each against real qmail-server processes and a directory on
// loopback, and what each one can no longer do (issue 12, findings 2, 3 and 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, connect, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { crc32 } from '../../shared/bytes/index.js';
import { Group, HEADER_LENGTH, QMailCommand, Status, decodeRequestHeader } from '../../shared/raida/index.js';
import { encodePeek, encodeRegister, encodeUpload, makePreamble } from '../../shared/qmail/index.js';
import { startLocalNetwork, type LocalNetwork, type NetworkNode } from '../../dev-network/launcher.js';
import { RaidaConnection, freshChallenge, preambleFor } from '../../server/testing/client.js';
import { directoryIdentity, provenRegisterBody } from '../../server/testing/register.js';
import { startServer, type RunningServer } from '../../server/node.js';
import { loadOperatorKey, signDescriptor } from '../../server/directory/descriptor.js';
import { publishDescriptor } from '../../server/directory/client.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const NODES = 3;
const tmp = tempDir('qmail-attacks-');
let net: LocalNetwork;
let nodes: NetworkNode[];
let directoryUrl: string;
const conns: RaidaConnection[] = [];
const apps: AppServices[] = [];
const servers: Server[] = [];
const pool = new ConnectionPool();
// A victim whose mailbox the operators provisioned (legacy.mailboxes): it needs no register.
const victim = { denomination: 0, serial: 3_999_999_001, ans: Array.from({ length: NODES }, () => new Uint8Array(randomBytes(16))) };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
let impostor: RunningServer | undefined;

async function open(i: number): Promise<RaidaConnection> {
  const c = await RaidaConnection.open(nodes[i]!.port);
  conns.push(c);
  return c;
}

/** A tap on the wire to node i: forwards both ways and records what the client sent. */
async function tap(i: number): Promise<{ port: number; sent: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((client) => {
    const up = connect(nodes[i]!.port, '127.0.0.1');
    client.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
    client.pipe(up).pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, sent: () => Buffer.concat(chunks) };
}

/** Split a recorded client stream into request packets. */
function packets(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + HEADER_LENGTH <= stream.length;) {
    const h = decodeRequestHeader(new Uint8Array(stream.subarray(at, at + HEADER_LENGTH)));
    out.push(stream.subarray(at, at + HEADER_LENGTH + h.bodyLength));
    at += HEADER_LENGTH + h.bodyLength;
  }
  return out;
}

/**
 * The CTR malleability attack: XOR `delta` into the body at `offset` (bytes after the header)
 * and fix the challenge CRC32 through its linearity, CRC(x ⊕ d) = CRC(x) ⊕ CRC(d) ⊕ CRC(0),
 * without knowing the key.
 */
function flip(packet: Buffer, offset: number, delta: number): Buffer {
  const p = Buffer.from(packet);
  p[HEADER_LENGTH + offset] = p[HEADER_LENGTH + offset]! ^ delta;
  if (offset < 12) {
    const d = new Uint8Array(12);
    d[offset] = delta;
    const fix = (crc32(d) ^ crc32(new Uint8Array(12))) >>> 0;
    p.writeUInt32BE((p.readUInt32BE(HEADER_LENGTH + 12) ^ fix) >>> 0, HEADER_LENGTH + 12);
  }
  return p;
}

/** Send raw bytes to node i and read the answer's status (byte 2 of the clear response header). */
async function rawStatus(i: number, packet: Uint8Array): Promise<number> {
  const c = await open(i);
  const res = await c.raw(packet);
  return res[2]!;
}

async function newUser(name: string): Promise<AppServices> {
  const app = createAppServices({
    profileDir: join(tmp.path, 'profiles', name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl,
    autoStart: false,
  });
  apps.push(app);
  await app.vault.create('correct horse battery');
  return app;
}

/** A first registration without any proof: what the outsider sent before EXT-7. */
function bareRegister(denomination: number, serial: number, an: Uint8Array): Uint8Array {
  return encodeRegister({
    preamble: makePreamble({ challenge: freshChallenge(), denomination, serial, an: new Uint8Array(16) }),
    newAn: an,
    flags: 0,
  });
}
const outsiderAn = new Uint8Array(16).fill(0x5a);

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: NODES,
    nodeConfig: { limits: { pingMaxWaitMs: 1000 }, log: { level: 'warn' } },
    directoryProbeMs: 300,
    perNode: (i) => ({ legacy: { mailboxes: [{ denomination: victim.denomination, serial: victim.serial, an: hex(victim.ans[i]!) }] } }),
  });
  nodes = net.network.nodes;
  directoryUrl = net.network.directory.url;
}, 120_000);

afterAll(async () => {
  for (const c of conns) c.close();
  for (const a of apps) a.close();
  pool.closeAll();
  await impostor?.close();
  for (const s of servers) s.close();
  await net?.close();
  tmp.remove();
}, 60_000);

describe('finding 2 — mailbox squatting', () => {
  it("finding 2 — mailbox squatting: an outsider cannot pre-register addresses, guess the next one, or claim another key's address", async () => {
    // The attack: pre-register the next ten addresses on every node, with no proof.
    for (let i = 0; i < NODES; i++) {
      const c = await open(i);
      for (let serial = 1000; serial < 1010; serial++) {
        const r = await c.call(Group.QMAIL, QMailCommand.REGISTER, bareRegister(0, serial, outsiderAn));
        expect(r.status).toBe(Status.INVALID_AN);
      }
    }

    // Serials are not handed out in order: nothing to guess.
    const a = await directoryIdentity(directoryUrl, 'outsider a');
    const b = await directoryIdentity(directoryUrl, 'outsider b');
    expect(Math.abs(a.serial - b.serial)).toBeGreaterThan(1);
    expect(a.serial).toBeGreaterThanOrEqual(1000);

    // A newcomer makes an identity exactly as the app does; it succeeds on every node.
    const victimApp = await newUser('victim');
    const victim = await victimApp.mail.createIdentity('Victim', { storage: nodes.map((n) => n.nodeId), beacon: nodes[0]!.nodeId });
    const [, dn, sn] = victim.address!.split('.');
    const victimBox = { denomination: Number(dn), serial: Number(sn) };

    // The outsider's own (valid) ticket and signature do not let it take the victim's address.
    const c0 = await open(0);
    const stolen = await c0.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      provenRegisterBody(a, nodes[0]!.nodeId, { mailbox: victimBox, newAn: outsiderAn }),
    );
    expect(stolen.status).toBe(Status.FILE_EXISTS);
    // Nor a fresh address of someone else's before its owner hires the node…
    const c1 = await open(1);
    const early = await c1.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      provenRegisterBody(a, nodes[1]!.nodeId, { mailbox: b, newAn: outsiderAn }),
    );
    expect(early.status).toBe(Status.INVALID_AN);
    // …nor its own proof made for one node on another, nor a stale one.
    const wrongNode = await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(a, nodes[0]!.nodeId));
    expect(wrongNode.status).toBe(Status.INVALID_AN);
    const stale = await c1.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      provenRegisterBody(a, nodes[1]!.nodeId, { now: Date.now() - 3_600_000 }),
    );
    expect(stale.status).toBe(Status.INVALID_PARAMETER);
    // The rightful owner still registers its own address with its proof.
    expect((await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(b, nodes[1]!.nodeId))).status).toBe(Status.SUCCESS);

    // The outsider's AN opens nothing of the victim's; the victim's mailbox answers the victim only.
    for (let i = 0; i < NODES; i++) {
      const c = i === 0 ? c0 : await open(i);
      const peek = await c.call(
        Group.QMAIL,
        QMailCommand.PEEK,
        encodePeek({ preamble: makePreamble({ challenge: freshChallenge(), ...victimBox, an: outsiderAn }), since: 0 }),
        {
          key: { ...victimBox, an: outsiderAn },
        },
      );
      expect(peek.status).not.toBe(Status.SUCCESS);
    }
  });
});

describe('finding 3 — replay bypass', () => {
  it('finding 3 — replay bypass: a captured upload cannot be replayed, bit-flipped into a new object or replayed after a restart, and clear requests are refused', async () => {
    const mailbox = { coinGroup: 6, denomination: victim.denomination, serial: victim.serial };
    const t = await tap(0);
    const viaTap = new QMailServerClient(pool, { host: '127.0.0.1', port: t.port, raidaId: nodes[0]!.raidaId });
    const direct = new QMailServerClient(pool, { host: '127.0.0.1', port: nodes[0]!.port, raidaId: nodes[0]!.raidaId });
    const guid = new Uint8Array(randomBytes(16));
    const data = new Uint8Array(randomBytes(3000));
    // The victim's own client uploads one object; the attacker records the packet.
    await viaTap.upload({ mailbox, an: victim.ans[0]! }, guid, 1, data);
    const captured = packets(t.sent()).find((p) => p[5] === QMailCommand.UPLOAD)!;
    expect(captured).toBeDefined();

    // 1. The same bytes again.
    expect(await rawStatus(0, captured)).not.toBe(Status.SUCCESS);
    // 2. Challenge bits flipped, the CRC fixed up: a "new" request to the server's replay memory.
    expect(await rawStatus(0, flip(captured, 0, 0x01))).not.toBe(Status.SUCCESS);
    // 3. A GUID bit flipped (body offset 48 in the plain layout): a new object charged to the victim.
    const otherGuid = Uint8Array.from(guid);
    otherGuid[0]! ^= 0x80;
    expect(await rawStatus(0, flip(captured, 48, 0x80))).not.toBe(Status.SUCCESS);
    expect(await direct.download({ mailbox }, otherGuid, 1)).toBeUndefined();
    // 4. The node restarts (replay memory was in RAM): the same bytes again.
    await net.kill(0);
    await net.restart(0);
    expect(await rawStatus(0, captured)).not.toBe(Status.SUCCESS);
    expect(await rawStatus(0, flip(captured, 1, 0x10))).not.toBe(Status.SUCCESS);
    // The victim's object is what the victim uploaded, once.
    expect(Buffer.from((await direct.download({ mailbox }, guid, 1))!).equals(Buffer.from(data))).toBe(true);

    // 5. A clear (type 0) upload by someone holding the AN is refused: clear requests carry
    // nothing that stops a copy (only the CloudCoin client's 60–64 are still served in clear).
    const c = await open(0);
    const clearGuid = new Uint8Array(randomBytes(16));
    const clear = await c.call(
      Group.QMAIL,
      QMailCommand.UPLOAD,
      encodeUpload({
        preamble: preambleFor({ ...mailbox, an: victim.ans[0]! }),
        fileGroupGuid: clearGuid,
        lockerCode: new Uint8Array(8),
        fileType: 1,
        storageDuration: 2,
        data: new Uint8Array(10),
      }),
    );
    expect(clear.status).toBe(Status.INVALID_ENCRYPTION);
    expect(await direct.download({ mailbox }, clearGuid, 1)).toBeUndefined();
    // What made 1–4 fail: our client seals every authenticated request (EXT-8, type 0x20).
    expect(captured[16]).toBe(0x20);
  });
});

describe('finding 8 — self-reported uptime', () => {
  it("finding 8 — self-reported uptime: a server published seconds ago claiming 57 years does not become a newcomer's beacon", async () => {
    // The attack: a real node, just started, whose signed descriptor claims 57 years of uptime.
    const dataDir = join(tmp.path, 'impostor');
    impostor = await startServer({ dataDir, storage: { durable: false }, log: { level: 'silent' } });
    const years57 = 57 * 365 * 86_400;
    const forged = signDescriptor(
      { ...impostor.descriptor.descriptor, name: 'oldest node', startedAt: 0, uptimeSeconds: years57, issuedAt: Date.now() },
      loadOperatorKey(dataDir),
    );
    await publishDescriptor(directoryUrl, forged);
    await new Promise((r) => setTimeout(r, 1500)); // a few probe rounds

    // A newcomer takes the default servers, exactly as the app does.
    const app = await newUser('newcomer');
    const id = await app.mail.createIdentity('Newcomer');
    expect(id.beacon).not.toBe(forged.nodeId);
    expect(nodes.map((n) => n.nodeId)).toContain(id.beacon);

    // What a newcomer's client sees: the measured uptime, the claim only as a claim.
    const listed = await new DirectoryClient(directoryUrl).servers();
    const seen = listed.find((d) => d.nodeId === forged.nodeId)!;
    expect(seen.claimedUptimeSeconds).toBe(years57);
    expect(seen.uptimeSeconds).toBeLessThan(60);
    expect(seen.measured!.probes).toBeGreaterThan(0);
    const honest = listed.filter((d) => d.nodeId !== forged.nodeId);
    expect(Math.max(...honest.map((d) => d.uptimeSeconds))).toBeGreaterThan(seen.uptimeSeconds);
  });
});
