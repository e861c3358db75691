// Attacks through a Tell and on capsule names, against real qmail-server processes and a
// directory on loopback, and what each one can no longer do (issue 12, findings 4 and 6).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startSender, sendFrom } from '../../electron/services/app/testing/network.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import type { LoadedIdentity } from '../../electron/services/identity/store.js';
import { nodeBackend } from '../../electron/services/crypto/node-backend.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { CAPSULE_FILE_TYPE, STRIPE_FILE_TYPE, capsuleGuid, capsuleIdKey } from '../../electron/services/mail/objects.js';
import { ReceiveError, receiveTell } from '../../electron/services/mail/receive.js';
import { Connection, ConnectionPool, type Endpoint } from '../../electron/services/net/transport.js';
import { MemoryQkdLink, sealCapsule } from '../../shared/capsule/index.js';
import { encodeMailbox, formatMailbox, parseMailbox } from '../../shared/cbdf/address.js';
import { publicIdentity } from '../../shared/identity/index.js';
import { QMailCommand } from '../../shared/raida/index.js';
import { StripeType, TellType, type ServerEntry, type TellNotice } from '../../shared/qmail/index.js';
import { encryptMessage } from '../../shared/stripe/index.js';
import { startLocalNetwork, type LocalNetwork, type NetworkNode } from '../../dev-network/launcher.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const NODES = 3;
const tmp = tempDir('qmail-attacks-tell-');
let net: LocalNetwork;
let nodes: NetworkNode[];
let directoryUrl: string;
const apps: AppServices[] = [];
const listeners: Server[] = [];
const pool = new ConnectionPool();
const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
let victim: AppServices;
let victimAddress: string;
let attacker: AppServices;

async function newUser(name: string, log?: (msg: string, fields?: Record<string, unknown>) => void): Promise<AppServices> {
  const app = createAppServices({
    profileDir: join(tmp.path, 'profiles', name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl,
    autoStart: false,
    ...(log ? { log } : {}),
  });
  apps.push(app);
  await app.vault.create('correct horse battery');
  return app;
}

const an = (me: LoadedIdentity, node: NetworkNode) =>
  new Uint8Array(Buffer.from(me.servers.find((s) => s.nodeId === node.nodeId)!.an, 'hex'));
const entry = (stripeIndex: number, raidaId: number, port: number, ip = [127, 0, 0, 1]): ServerEntry => ({
  stripeIndex,
  stripeType: StripeType.DATA,
  raidaId,
  ipv4: Uint8Array.from(ip),
  port,
});
const listed = (stripeIndex: number, n: NetworkNode) => entry(stripeIndex, n.raidaId, n.port);
const client = (n: NetworkNode) => new QMailServerClient(pool, { host: '127.0.0.1', port: n.port, raidaId: n.raidaId });

/** A port on loopback standing for an internal service: it counts every connection made to it. */
async function internalPort(): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((s) => {
    count++;
    s.destroy();
  });
  listeners.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, connections: () => count };
}

/** A pool that records every endpoint it is asked for (the connections themselves are real). */
class RecordingPool extends ConnectionPool {
  readonly asked: Endpoint[] = [];
  override get(e: Endpoint): Connection {
    this.asked.push(e);
    return super.get(e);
  }
}

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: NODES,
    nodeConfig: { limits: { pingMaxWaitMs: 1000 }, log: { level: 'warn' } },
  });
  nodes = net.network.nodes;
  directoryUrl = net.network.directory.url;
  victim = await newUser('victim', (msg, fields) => logs.push({ msg, ...(fields ? { fields } : {}) }));
  victimAddress = (await victim.mail.createIdentity('Victim', { storage: nodes.map((n) => n.nodeId), beacon: nodes[0]!.nodeId })).address!;
  // The attacker is an ordinary user of the network, hired on the victim's beacon.
  attacker = await newUser('attacker');
  await attacker.mail.createIdentity('Mallory', { storage: nodes.map((n) => n.nodeId), beacon: nodes[1]!.nodeId });
}, 120_000);

afterAll(async () => {
  for (const a of apps) {
    await a.mail.stop();
    a.close();
  }
  pool.closeAll();
  for (const s of listeners) s.close();
  await net?.close();
  tmp.remove();
}, 60_000);

describe('finding 4 — Tell → connect anywhere', () => {
  it('finding 4 — Tell → connect anywhere: a Tell naming an address the directory does not list gets no connection, and is dropped, not retried', async () => {
    const internal = await internalPort();
    const me = attacker.mail.me();
    const beacon = nodes[0]!;
    const tell = (servers: ServerEntry[]) => {
      const guid = new Uint8Array(randomBytes(16));
      return {
        guid: Buffer.from(guid).toString('hex'),
        send: () =>
          client(beacon).tell(
            { mailbox: me.mailbox, an: an(me, beacon) },
            {
              fileGroupGuid: guid,
              timestamp: Math.floor(Date.now() / 1000),
              tellType: TellType.QMAIL,
              beaconPaymentLocker: new Uint8Array(8),
              recipients: [{ addressType: 0, address: parseMailbox(victimAddress), lockerKey: new Uint8Array(16) }],
              servers,
              manifest: [],
            },
          ),
      };
    };
    // Only the internal port; a listed server with the internal port beside it; the internal
    // port under a listed node's raida id; a node's port on another loopback address.
    const forged = [
      tell([entry(0, 0, internal.port), entry(1, 1, internal.port)]),
      tell([listed(0, nodes[1]!), entry(1, nodes[2]!.raidaId, internal.port)]),
      tell([entry(0, nodes[1]!.raidaId, internal.port)]),
      tell([entry(0, nodes[2]!.raidaId, nodes[2]!.port, [127, 0, 0, 2])]),
    ];
    for (const f of forged) await f.send();

    expect(await victim.mail.refresh()).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(internal.connections()).toBe(0);
    // Each refused for good, with the reason logged.
    for (const f of forged) {
      const failed = logs.filter((l) => l.msg === 'receive failed' && l.fields?.guid === f.guid);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.fields).toMatchObject({ retry: false });
      expect(String(failed[0]!.fields!.error)).toMatch(/does not list/);
    }
    // Dropped: asking again contacts nothing and tries none of them again.
    expect(await victim.mail.refresh()).toBe(0);
    expect(await victim.mail.retryPending()).toBe(0);
    expect(internal.connections()).toBe(0);
    for (const f of forged) expect(logs.filter((l) => l.msg === 'receive failed' && l.fields?.guid === f.guid)).toHaveLength(1);
  }, 60_000);

  it('finding 4 — Tell → connect anywhere: a capsule whose signature does not verify stops the receive before any stripe server is contacted', async () => {
    const mallory = attacker.mail.me();
    const me = victim.mail.me();
    const guid = new Uint8Array(randomBytes(16));
    // An L1 capsule (its stripes used to be fetched before the signature was checked, to spare
    // the QKD keys), then one bit of its ML-DSA-65 signature flipped.
    const enc = encryptMessage(new Uint8Array(randomBytes(500)), { k: 2, p: 1 }, { backend: nodeBackend });
    const qkd = new MemoryQkdLink();
    const capsule = await sealCapsule(enc.secrets, {
      level: 1,
      sender: mallory.identity,
      recipient: publicIdentity(me.identity),
      qkd: qkd.sender,
    });
    capsule[capsule.length - 10]! ^= 0x01;
    const holder = nodes[1]!;
    await client(holder).upload(
      { mailbox: mallory.mailbox, an: an(mallory, holder) },
      capsuleGuid(guid, capsuleIdKey(mallory.identity, me.identity, 'sender')),
      CAPSULE_FILE_TYPE,
      capsule,
    );
    for (const [slot, n] of [nodes[1]!, nodes[2]!, nodes[0]!].entries())
      await client(n).upload({ mailbox: mallory.mailbox, an: an(mallory, n) }, guid, STRIPE_FILE_TYPE, enc.slots[slot]!);
    const notice: TellNotice = {
      clusterId: 1,
      sender: mallory.mailbox,
      timestamp: Math.floor(Date.now() / 1000),
      tellType: TellType.QMAIL,
      fileGroupGuid: guid,
      totalSize: 0,
      servers: [listed(0, nodes[1]!), listed(1, nodes[2]!), listed(2, nodes[0]!)],
      lockerKey: new Uint8Array(16),
      manifest: [],
    };
    const recording = new RecordingPool();
    const call = vi.spyOn(Connection.prototype, 'call');
    try {
      const err = await receiveTell(
        { me, directory: new DirectoryClient(directoryUrl), pool: recording, qkd: () => ({ source: qkd.receiver, peer: 'mallory' }) },
        notice,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReceiveError);
      expect(err).toMatchObject({ code: 'bad-signature', retryable: false });
      // Asked for the capsule only (other replicas may be asked for it too); no stripe was fetched.
      const asked = call.mock.calls
        .map(([o]) => o)
        .filter((o) => o.command === QMailCommand.DOWNLOAD)
        .map((o) => ({ guid: Buffer.from(o.body.subarray(48, 64)), type: o.body[64] }));
      expect(asked.length).toBeGreaterThan(0);
      const cg = Buffer.from(capsuleGuid(guid, capsuleIdKey(me.identity, mallory.identity, 'recipient')));
      for (const a of asked) expect({ capsule: a.guid.equals(cg), type: a.type }).toEqual({ capsule: true, type: CAPSULE_FILE_TYPE });
      expect(recording.asked.map((e) => e.port)).toContain(holder.port);
    } finally {
      call.mockRestore();
      recording.closeAll();
    }
  }, 60_000);
});

describe('finding 6 — recipients are linkable', () => {
  it('finding 6 — recipients are linkable: from its stored object ids and every address, a storage node cannot name the recipient, and downloads name nobody', async () => {
    const grace = await startSender(join(tmp.path, 'profiles', 'grace'), directoryUrl);
    apps.push(grace);
    await sendFrom(grace, victimAddress, 'Whose is this?');

    // What each storage node holds: object ids and types. The addresses of everyone on the
    // network are known to it (the directory is public; serials once were sequential).
    const everyone = [victimAddress, attacker.mail.me().address, grace.mail.me().address].map((a) => parseMailbox(a));
    const oldName = (g: Buffer, r: ReturnType<typeof parseMailbox>) =>
      createHash('sha256').update('qmail/capsule-guid/v1').update(g).update(encodeMailbox(r)).digest().subarray(0, 16);
    let capsules = 0;
    const named: string[] = [];
    for (const n of nodes) {
      const db = new Database(join(n.dataDir, 'node.db'), { readonly: true, fileMustExist: true });
      try {
        const objects = db.prepare('SELECT guid, file_type AS type FROM objects').all() as { guid: Buffer; type: number }[];
        const groups = objects.filter((o) => o.type === STRIPE_FILE_TYPE).map((o) => o.guid);
        for (const c of objects.filter((o) => o.type === CAPSULE_FILE_TYPE)) {
          capsules++;
          // The attack that named every recipient: H(G ‖ R) over every stored G and every address.
          for (const g of groups) for (const r of everyone) if (oldName(g, r).equals(c.guid)) named.push(formatMailbox(r));
        }
      } finally {
        db.close();
      }
    }
    expect(capsules).toBeGreaterThan(0);
    expect(named).toEqual([]);

    // The recipient fetches it; every download it makes carries no address and no AN.
    const call = vi.spyOn(Connection.prototype, 'call');
    try {
      expect(await victim.mail.refresh()).toBe(1);
      const downloads = call.mock.calls.map(([o]) => o).filter((o) => o.command === QMailCommand.DOWNLOAD);
      expect(downloads.length).toBeGreaterThanOrEqual(3);
      for (const o of downloads) {
        expect(o.an).toBeUndefined();
        const body = Buffer.from(o.body);
        expect(body.readInt8(26)).toBe(0); // the preamble's denomination
        expect(body.readUInt32BE(27)).toBe(0); // and serial
      }
    } finally {
      call.mockRestore();
    }
  }, 120_000);
});
