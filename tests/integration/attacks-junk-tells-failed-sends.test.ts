// Attacks on the network against real qmail-server processes and a directory on loopback
// (issue 12, findings 5 and 9): junk Tells that starved an inbox, and failed sends that left
// their stripes on the storage nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { ConnectionPool, StatusError } from '../../electron/services/net/transport.js';
import { parseMailbox } from '../../shared/cbdf/address.js';
import { AddressType, StripeType, TellType } from '../../shared/qmail/index.js';
import { Status } from '../../shared/raida/index.js';
import { startLocalNetwork, type LocalNetwork, type NetworkNode } from '../../dev-network/launcher.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const env = { ...process.env, QMAIL_PASSPHRASE: 'integration passphrase' };
const NODES = 4;
const FLOOD = 260;
const tmp = tempDir('qmail-junk-');
let net: LocalNetwork;
let nodes: NetworkNode[];
let directoryUrl: string;
const apps: AppServices[] = [];
const pool = new ConnectionPool();
// The attacker: a mailbox every node serves (provisioned by its operator), not in the directory.
const junk = { denomination: 0, serial: 3_999_999_555, an: new Uint8Array(randomBytes(16)) };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [qmail, ...args], { env, timeout: 90_000 });
  return stdout.trim();
}

async function user(
  name: string,
  storage: number[],
  beacon: number,
  mail: { retryBaseMs?: number; maxAttempts?: number } = {},
): Promise<AppServices & { address: string }> {
  const app = createAppServices({
    profileDir: join(tmp.path, 'profiles', name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl,
    autoStart: false,
    mail,
  });
  apps.push(app);
  await app.vault.create('correct horse battery');
  const id = await app.mail.createIdentity(name, { storage: storage.map((i) => nodes[i]!.nodeId), beacon: nodes[beacon]!.nodeId });
  return Object.assign(app, { address: id.address! });
}

/** Reads a node's database while it runs (WAL: a reader does not disturb it). */
function count(node: NetworkNode, sql: string, ...args: number[]): number {
  const db = new Database(join(node.dataDir, 'node.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get(...args) as { n: number }).n;
  } finally {
    db.close();
  }
}
const pendingTells = (node: NetworkNode, serial: number) => count(node, 'SELECT COUNT(*) AS n FROM tells WHERE r_sn = ?', serial);
const objectsOf = (serial: number, on: NetworkNode[]) =>
  on.reduce((a, n) => a + count(n, 'SELECT COUNT(*) AS n FROM objects WHERE owner_sn = ?', serial), 0);

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return what();
}

/** `FLOOD` junk Tells to `victim` on `beacon`; what the beacon answered, by status. */
async function flood(beacon: NetworkNode, victim: string): Promise<Map<number, number>> {
  const client = new QMailServerClient(pool, { host: '127.0.0.1', port: beacon.port, raidaId: beacon.raidaId });
  const answers = new Map<number, number>();
  for (let i = 0; i < FLOOD; i++) {
    let status: number = Status.SUCCESS;
    try {
      await client.tell(
        { mailbox: { coinGroup: 6, denomination: junk.denomination, serial: junk.serial }, an: junk.an },
        {
          fileGroupGuid: new Uint8Array(randomBytes(16)),
          timestamp: Math.floor(Date.now() / 1000),
          tellType: TellType.QMAIL,
          beaconPaymentLocker: new Uint8Array(8),
          recipients: [{ addressType: AddressType.TO, address: parseMailbox(victim), lockerKey: new Uint8Array(16) }],
          servers: [
            {
              stripeIndex: 0,
              stripeType: StripeType.DATA,
              raidaId: beacon.raidaId,
              ipv4: Uint8Array.from([127, 0, 0, 1]),
              port: beacon.port,
            },
          ],
          manifest: [],
        },
      );
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      status = e.status;
    }
    answers.set(status, (answers.get(status) ?? 0) + 1);
  }
  return answers;
}

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: NODES,
    nodeConfig: { limits: { pingMaxWaitMs: 1000 }, log: { level: 'warn' } },
    perNode: () => ({ legacy: { mailboxes: [{ denomination: junk.denomination, serial: junk.serial, an: hex(junk.an) }] } }),
  });
  nodes = net.network.nodes;
  directoryUrl = net.network.directory.url;
}, 120_000);

afterAll(async () => {
  for (const a of apps) {
    await a.mail.stop();
    a.close();
  }
  pool.closeAll();
  await net?.close();
  tmp.remove();
}, 60_000);

describe('finding 5 — junk Tells starve the inbox', () => {
  it('finding 5 — junk Tells starve the inbox: after 260+ junk Tells from an unknown sender a real qmail is listed and read by `qmail inbox` and the app, and the junk is gone from the beacon', async () => {
    // Bob uses the command line; Carol the app services, on node 0 as her beacon.
    const bobProfile = join(tmp.path, 'bob');
    const bob = await cli('identity', 'create', '--profile', bobProfile, '--network', net.file, '--name', 'Bob');
    const bobRecord = await new DirectoryClient(directoryUrl).lookup(bob);
    const bobBeacon = nodes.find((n) => n.nodeId === bobRecord!.record.beacon)!;
    const carol = await user('carol', [1, 2], 0);
    const alice = await user('alice', [1, 2, 3], 0);

    // The attack: 260 Tells from a mailbox the directory does not know, to each of them.
    const toBob = await flood(bobBeacon, bob);
    const toCarol = await flood(nodes[0]!, carol.address);

    // Then a real qmail arrives.
    alice.mail.start({ receive: false });
    const item = alice.mail.queue({
      to: [bob, carol.address],
      cc: [],
      subject: 'The real one',
      body: 'Not junk.',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect((await alice.mail.waitFor(item.id)).state).toBe('sent');

    const listed = JSON.parse(await cli('inbox', '--profile', bobProfile, '--network', net.file, '--json')) as {
      id: string;
      subject: string;
      from: string;
    }[];
    const real = listed.find((m) => m.subject === 'The real one');
    expect(real).toMatchObject({ from: alice.address });
    expect(listed).toHaveLength(1); // no junk is filed
    const read = JSON.parse(await cli('read', real!.id, '--profile', bobProfile, '--json')) as { body: string };
    expect(read.body).toBe('Not junk.');

    await carol.mail.refresh();
    const inCarols = carol.messages.list('inbox', 0, 50).items;
    expect(inCarols.map((m) => m.subject)).toEqual(['The real one']);
    expect(carol.mail.view(inCarols[0]!.id)!.body).toBe('Not junk.');

    // Nothing is left pending on either beacon: the junk was refused or, once refused by the
    // client, acknowledged and deleted.
    expect(pendingTells(bobBeacon, Number(bob.split('.')[2]))).toBe(0);
    expect(pendingTells(nodes[0]!, Number(carol.address.split('.')[2]))).toBe(0);

    // The beacon took a bounded share of the flood and answered the rest REQUEST_RATE.
    for (const answers of [toBob, toCarol]) {
      expect(answers.get(Status.SUCCESS) ?? 0).toBeLessThanOrEqual(20);
      expect((answers.get(Status.SUCCESS) ?? 0) + (answers.get(Status.REQUEST_RATE) ?? 0)).toBe(FLOOD);
    }
  }, 240_000);
});

describe('finding 9 — failed sends leave stripes', () => {
  it('finding 9 — failed sends leave stripes on the storage nodes: a send given up, or taken back to Drafts, deletes what it uploaded', async () => {
    // Dave's beacon is node 3; the sender stores on nodes 0–2 and is hired on node 3 too.
    const dave = await user('dave', [0, 1], 3);
    const erin = await user('erin', [0, 1, 2, 3], 0, { retryBaseMs: 1500, maxAttempts: 2 });
    const serial = Number(erin.address.split('.')[2]);
    const storage = nodes.slice(0, 3);
    expect(objectsOf(serial, storage)).toBe(0);
    // Dave's beacon goes away: every Tell to him fails after the stripes are stored.
    await net.kill(3);
    erin.mail.start({ receive: false });

    const given = erin.mail.queue({
      to: [dave.address],
      cc: [],
      subject: 'Never told',
      body: 'x'.repeat(5000),
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    const done = await erin.mail.waitFor(given.id);
    expect(done).toMatchObject({ state: 'failed', attempts: 2 });
    // Both attempts stored stripes and capsules; once given up, none is left.
    expect(await until(() => objectsOf(serial, storage) === 0, 20_000)).toBe(true);

    // Cancelled back to Drafts after a failed attempt: what it stored goes too.
    const back = erin.mail.queue({
      to: [dave.address],
      cc: [],
      subject: 'Back to Drafts',
      body: 'y'.repeat(5000),
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect(await until(() => erin.mail.outbox().some((o) => o.id === back.id && o.state === 'queued' && o.attempts === 1), 30_000)).toBe(
      true,
    );
    expect(objectsOf(serial, storage)).toBeGreaterThan(0);
    erin.mail.returnToDrafts(back.id);
    expect(await until(() => objectsOf(serial, storage) === 0, 20_000)).toBe(true);
    expect(erin.mail.cleanup.table.count()).toBe(0);
  }, 180_000);
});
