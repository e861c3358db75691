import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Group, QMailCommand, Status } from '../shared/raida/index.js';
import {
  decodeDownloadResponse,
  decodeTellList,
  encodeDownload,
  encodePing,
  encodeTell,
  encodeUpload,
  encodeUploadPage,
  PingFlags,
} from '../shared/qmail/index.js';
import { startLocalNetwork, type LocalNetwork, type NetworkFile } from './launcher.js';
import { verifyDescriptor } from '../server/directory/descriptor.js';
import { RaidaConnection, preambleFor, type Identity } from '../server/testing/client.js';
import { directoryIdentity, provenRegisterBody } from '../server/testing/register.js';

let net: LocalNetwork;
let dir: string;
const conns = new Map<number, RaidaConnection>();
let alice: Identity;
let bob: Identity;

async function conn(port: number): Promise<RaidaConnection> {
  let c = conns.get(port);
  if (!c || c.socket.destroyed) {
    c = await RaidaConnection.open(port);
    conns.set(port, c);
  }
  return c;
}
const guid = () => new Uint8Array(randomBytes(16));
const PAGE = 256 * 1024;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-net-'));
  net = await startLocalNetwork({
    dir,
    nodes: 5,
    nodeConfig: { drd: { defaultTellFee: 0 }, log: { level: 'warn' } },
    // the hook the correspondent and the KME pair use
    services: [
      {
        name: 'probe',
        start: async (n) => ({ info: { sawNodes: n.nodes.length, directory: n.directory.url }, close: async () => undefined }),
      },
    ],
  });
  // Nodes of a directory register an address only for the key the directory gave it to (EXT-7).
  const [a, b] = await Promise.all([
    directoryIdentity(net.network.directory.url, 'alice'),
    directoryIdentity(net.network.directory.url, 'bob'),
  ]);
  alice = a;
  bob = b;
  for (const n of net.network.nodes) {
    const c = await conn(n.port);
    for (const id of [a, b]) {
      const r = await c.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(id, n.nodeId), { raidaId: n.raidaId });
      expect(r.status).toBe(Status.SUCCESS);
    }
  }
}, 120_000);

afterAll(async () => {
  for (const c of conns.values()) c.close();
  await net?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function download(port: number, g: Uint8Array, fileType: number, reader: Identity): Promise<Uint8Array> {
  const c = await conn(port);
  const parts: Uint8Array[] = [];
  for (let page = 0; ; page++) {
    const r = await c.call(
      Group.QMAIL,
      QMailCommand.DOWNLOAD,
      encodeDownload({ preamble: preambleFor(reader), fileGroupGuid: g, fileType, version: 1, bytesPerPage: 0, page }),
      { key: reader },
    );
    if (r.status === Status.FILE_NOT_EXIST && page > 0) break;
    expect(r.status).toBe(Status.SUCCESS);
    const d = decodeDownloadResponse(r.payload).data;
    parts.push(d);
    if (d.length < PAGE) break;
  }
  return Buffer.concat(parts);
}

describe('local network of real qmail-server processes', () => {
  it('writes network.json and publishes every node’s signed descriptor to the directory', async () => {
    const file = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as NetworkFile;
    expect(file.nodes.length).toBe(5);
    expect(file.services.probe).toEqual({ sawNodes: 5, directory: file.directory.url });
    expect(new Set(file.nodes.map((n) => n.port)).size).toBe(5);
    for (const n of file.nodes) expect(verifyDescriptor(n.descriptor).descriptor.port).toBe(n.port);
    const res = (await (await fetch(`${file.directory.url}/v1/servers`)).json()) as { servers: { descriptor: { nodeId: string } }[] };
    expect(res.servers.map((s) => s.descriptor.nodeId).sort()).toEqual(file.nodes.map((n) => n.nodeId).sort());
  });

  it('every node pins the directory’s ticket key from the start, so registrations never wait on a key fetch', async () => {
    const served = (await (await fetch(`${net.network.directory.url}/v1/key`)).json()) as { publicKey: string };
    expect(served.publicKey.length).toBeGreaterThan(2600);
    for (const n of net.network.nodes) {
      const cfg = JSON.parse(readFileSync(join(n.dataDir, 'config.json'), 'utf8')) as { directory?: { publicKey?: string } };
      expect(cfg.directory?.publicKey).toBe(served.publicKey);
    }
  });

  it('stripes go to four nodes, the Tell to a fifth, and come back byte-identical', async () => {
    const nodes = net.network.nodes;
    const message = new Uint8Array(randomBytes(3 * PAGE + 12_345));
    const g = guid();
    const k = 4;
    const stripeLen = Math.ceil(message.length / k);
    const stripes = Array.from({ length: k }, (_, i) => message.subarray(i * stripeLen, Math.min(message.length, (i + 1) * stripeLen)));
    await Promise.all(
      stripes.map(async (s, i) => {
        const n = nodes[i]!;
        const c = await conn(n.port);
        if (i === 0) {
          // the large-page path, pages sent last-first
          const pages = Math.ceil(s.length / PAGE);
          for (let p = pages - 1; p >= 0; p--) {
            const r = await c.call(
              Group.QMAIL,
              QMailCommand.UPLOAD_LARGE_PAGE,
              encodeUploadPage({
                preamble: preambleFor(alice),
                fileGroupGuid: g,
                fileType: 1,
                storageDuration: 2,
                page: p,
                totalPages: pages,
                data: s.subarray(p * PAGE, (p + 1) * PAGE),
              }),
              { key: alice, raidaId: n.raidaId },
            );
            expect(r.status).toBe(Status.SUCCESS);
          }
        } else {
          const r = await c.call(
            Group.QMAIL,
            QMailCommand.UPLOAD,
            encodeUpload({
              preamble: preambleFor(alice),
              fileGroupGuid: g,
              lockerCode: new Uint8Array(8),
              fileType: 1,
              storageDuration: 2,
              data: s,
            }),
            { key: alice, raidaId: n.raidaId },
          );
          expect(r.status).toBe(Status.SUCCESS);
        }
      }),
    );
    const beacon = nodes[4]!;
    const bc = await RaidaConnection.open(beacon.port);
    const parked = bc.call(Group.QMAIL, QMailCommand.PING, encodePing({ preamble: preambleFor(bob), flags: PingFlags.MANIFEST }), {
      key: bob,
      raidaId: beacon.raidaId,
    });
    const tell = encodeTell({
      preamble: preambleFor(alice),
      fileGroupGuid: g,
      timestamp: Math.floor(Date.now() / 1000),
      tellType: 0,
      beaconPaymentLocker: new Uint8Array(8),
      recipients: [
        { addressType: 0, address: { coinGroup: 6, denomination: bob.denomination, serial: bob.serial }, lockerKey: new Uint8Array(16) },
      ],
      servers: stripes.map((_, i) => ({
        stripeIndex: i,
        stripeType: 0,
        raidaId: nodes[i]!.raidaId,
        ipv4: new Uint8Array([127, 0, 0, 1]),
        port: nodes[i]!.port,
      })),
      manifest: [
        { fileType: 0, size: 0, crc32: 0 },
        { fileType: 1, size: message.length, crc32: 0 },
      ],
    });
    const tc = await conn(beacon.port);
    expect((await tc.call(Group.QMAIL, QMailCommand.TELL, tell, { key: alice, raidaId: beacon.raidaId })).status).toBe(Status.SUCCESS);
    const got = decodeTellList((await parked).payload);
    bc.close();
    expect(got.tells.length).toBe(1);
    const notice = got.tells[0]!;
    const back = await Promise.all(
      notice.servers.sort((a, b) => a.stripeIndex - b.stripeIndex).map((s) => download(s.port, notice.fileGroupGuid, 1, bob)),
    );
    expect(Buffer.concat(back).equals(Buffer.from(message))).toBe(true);
  }, 60_000);

  it('a node killed with SIGKILL mid-upload loses nothing it acknowledged', async () => {
    const n = net.network.nodes[2]!;
    const c = await RaidaConnection.open(n.port);
    const acked: { g: Uint8Array; data: Uint8Array }[] = [];
    let killed = false;
    const uploader = (async () => {
      for (let i = 0; i < 400 && !killed; i++) {
        const g = guid();
        const data = new Uint8Array(randomBytes(20_000 + (i % 7) * 50_000));
        try {
          const r = await c.call(
            Group.QMAIL,
            QMailCommand.UPLOAD,
            encodeUpload({
              preamble: preambleFor(alice),
              fileGroupGuid: g,
              lockerCode: new Uint8Array(8),
              fileType: 10,
              storageDuration: 2,
              data,
            }),
            { key: alice, raidaId: n.raidaId, timeoutMs: 5000 },
          );
          if (r.status === Status.SUCCESS) acked.push({ g, data });
        } catch {
          return; // the connection died with the node
        }
      }
    })();
    while (acked.length < 8) await new Promise((r) => setTimeout(r, 10));
    await net.kill(2, 'SIGKILL');
    killed = true;
    await uploader;
    c.close();
    conns.delete(n.port);
    expect(acked.length).toBeGreaterThanOrEqual(8);
    const back = await net.restart(2);
    expect(back.port).toBe(n.port);
    for (const a of acked) expect(Buffer.from(await download(back.port, a.g, 10, bob)).equals(Buffer.from(a.data))).toBe(true);
    expect(existsSync(join(dir, 'node-2.log'))).toBe(true);
  }, 60_000);
});
