// The fault suite: a real network of four nodes on loopback, each behind a FaultProxy
// (tests/support/fault-proxy.ts) that the directory lists in place of the node, so every
// byte between the mail client and a node passes through it. Each case breaks one thing
// during one send and checks that it ends in one of two ways only:
//   delivered intact  the recipient reads exactly the bytes sent, once;
//   clear failure     the outbox item failed with a reason that names the fault.
// Never a silent loss, never a second copy in the recipient's inbox.
//
// The sender stores on nodes 0-2 (k = 2, p = 1) and hires node 3, the recipient's beacon,
// as its spare. The recipient stores on nodes 0-1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { OutboxItem } from '../../shared/ipc/index.js';
import { Group, QMailCommand } from '../../shared/raida/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { STRIPE_FILE_TYPE } from '../../electron/services/mail/objects.js';
import { FaultProxy, type Fault } from '../support/fault-proxy.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const tmp = tempDir('qmail-faults-');
const NODES = 4;
const SENDER_PASS = 'sender passphrase';
let net: LocalNetwork;
const proxies: FaultProxy[] = [];
let sender: AppServices;
let recipient: AppServices;
let to: string;

const UPLOAD = QMailCommand.UPLOAD;
const TELL = QMailCommand.TELL;
const PEEK = QMailCommand.PEEK;
const DOWNLOAD = QMailCommand.DOWNLOAD;
const G6 = Group.QMAIL;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits for a condition, checking every 100 ms, for at most `ms`. */
async function until<T>(what: string, ms: number, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function openSender(): AppServices {
  return createAppServices({
    profileDir: join(tmp.path, 'sender'),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.network.directory.url,
    autoStart: false,
    mail: { retryBaseMs: 200, maxAttempts: 3 },
  });
}

const letters = new Map<string, Uint8Array>();

/** Queues a letter with an attachment of random bytes; returns its outbox item. */
function queue(subject: string): OutboxItem {
  const data = new Uint8Array(randomBytes(48 * 1024));
  letters.set(subject, data);
  return sender.mail.queue({
    to: [to],
    cc: [],
    subject,
    body: `${subject}: body`,
    attachments: [{ name: 'payload.bin', data }],
    level: 'L3',
    stripes: { k: 2, p: 1 },
  });
}

/** The recipient's inbox copies of `subject`, after asking the beacon for everything it holds. */
async function copies(subject: string): Promise<string[]> {
  await recipient.mail.refresh().catch(() => 0);
  const list = recipient.mail.search(subject, 'inbox', 50).items.filter((m) => m.subject === subject);
  return list.map((m) => m.id);
}

/** Delivered intact: the outbox sent it, the recipient holds exactly one copy with the very bytes. */
async function expectDelivered(item: OutboxItem, subject: string): Promise<void> {
  expect(item.state, item.error).toBe('sent');
  const ids = await until(`${subject} in the inbox`, 60_000, async () => ((await copies(subject)).length ? copies(subject) : undefined));
  expect(ids).toHaveLength(1);
  const view = recipient.mail.view(ids[0]!);
  expect(view?.body).toBe(`${subject}: body`);
  const got = await recipient.mail.attachment(ids[0]!, 0);
  expect(got.name).toBe('payload.bin');
  expect(Buffer.from(got.data, 'base64').equals(Buffer.from(letters.get(subject)!))).toBe(true);
}

/** One send with `fault` injected once on `proxy`: it fired, and the letter arrived intact. */
async function deliveredDespite(proxy: FaultProxy, fault: Fault & { command: number }, subject: string): Promise<OutboxItem> {
  await proxy.inject(fault);
  const item = await sender.mail.waitFor(queue(subject).id);
  expect(proxy.count(G6, fault.command, fault.kind)).toBe(fault.times ?? 1);
  await expectDelivered(item, subject);
  return item;
}

/** A clear failure: failed, with a reason naming the fault; and not half-delivered twice. */
async function expectFailed(item: OutboxItem, subject: string, reason: RegExp): Promise<void> {
  expect(item.state).toBe('failed');
  expect(item.error).toMatch(reason);
  expect((await copies(subject)).length).toBe(0);
}

beforeAll(async () => {
  // The fault hooks of the nodes (disk full) are on for this network only.
  process.env.QMAIL_TEST_HOOKS = 'disk-full';
  const nodePorts: number[] = [];
  for (let i = 0; i < NODES; i++) {
    const p = new FaultProxy();
    await p.listen();
    proxies.push(p);
    nodePorts.push(await freePort());
    p.target = { host: '127.0.0.1', port: nodePorts[i]! };
  }
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: NODES,
    reusePorts: false,
    nodeConfig: { limits: { pingMaxWaitMs: 1000 }, log: { level: 'warn' } },
    perNode: (i) => ({ listen: { host: '127.0.0.1', port: nodePorts[i]! }, directory: { publicPort: proxies[i]!.port } }),
  });
  delete process.env.QMAIL_TEST_HOOKS;
  const ids = net.network.nodes.map((n) => n.nodeId);

  recipient = createAppServices({
    profileDir: join(tmp.path, 'recipient'),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.network.directory.url,
    mail: { pingWaitMs: 1000 },
  });
  await recipient.vault.create('recipient passphrase');
  to = (await recipient.mail.createIdentity('Ada', { storage: [ids[0]!, ids[1]!], beacon: ids[3]! })).address!;

  sender = openSender();
  await sender.vault.create(SENDER_PASS);
  await sender.mail.createIdentity('Grace', { storage: [ids[0]!, ids[1]!, ids[2]!], beacon: ids[0]! });
  sender.mail.start({ receive: false });
  // A first letter with no fault: the sender hires the recipient's beacon (its spare from now on).
  await expectDelivered(await sender.mail.waitFor(queue('no fault').id), 'no fault');
}, 120_000);

afterAll(async () => {
  await sender?.mail.stop();
  sender?.close();
  recipient?.close();
  for (const p of proxies) await p.close();
  await net?.close();
  tmp.remove();
}, 60_000);

describe('faults between the mail client and the nodes', () => {
  it('connection refused by a storage node: the stripe moves to the spare', async () => {
    await proxies[1]!.inject({ kind: 'refuse' });
    try {
      const item = await sender.mail.waitFor(queue('refused').id);
      await expectDelivered(item, 'refused');
    } finally {
      await proxies[1]!.heal();
    }
  }, 60_000);

  it("connection refused by the recipient's beacon: a clear failure naming it", async () => {
    await proxies[3]!.inject({ kind: 'refuse' });
    let item: OutboxItem;
    try {
      item = await sender.mail.waitFor(queue('beacon refused').id);
    } finally {
      await proxies[3]!.heal();
    }
    // Asked once the beacon answers again: nothing reached the recipient.
    await expectFailed(item, 'beacon refused', /cannot reach 127\.0\.0\.1:\d+/);
    expect(item.recipients?.[0]).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/beacon did not take the notice \(.*cannot reach/) as unknown,
    });
  }, 60_000);

  it('black-holed upload: the call times out and is asked again on a fresh connection', async () => {
    await deliveredDespite(proxies[2]!, { kind: 'blackhole', group: G6, command: UPLOAD }, 'black hole');
  }, 90_000);

  it('delayed requests to every node still deliver', async () => {
    for (const p of proxies) await p.inject({ kind: 'delay', ms: 300, times: 5 });
    try {
      await expectDelivered(await sender.mail.waitFor(queue('delay').id), 'delay');
    } finally {
      for (const p of proxies) await p.heal();
    }
  }, 60_000);

  it('duplicated Tell: the recipient files the letter once', async () => {
    await deliveredDespite(proxies[3]!, { kind: 'duplicate', group: G6, command: TELL }, 'duplicate tell');
  }, 60_000);

  it('duplicated upload: the stripe is stored once and the letter arrives', async () => {
    await deliveredDespite(proxies[0]!, { kind: 'duplicate', group: G6, command: UPLOAD, times: 2 }, 'duplicate upload');
  }, 60_000);

  it('reordered requests: an upload overtaken by the next request', async () => {
    await deliveredDespite(proxies[0]!, { kind: 'reorder', group: G6, command: UPLOAD, ms: 500 }, 'reorder');
  }, 60_000);

  it('truncated answer to an upload: asked again, delivered once', async () => {
    await deliveredDespite(proxies[1]!, { kind: 'truncate', group: G6, command: UPLOAD }, 'truncated upload');
  }, 60_000);

  it('truncated answer to every Tell of an attempt: the next attempt does not make a second copy', async () => {
    // The beacon keeps each Tell but the sender never hears so: its first attempt fails
    // (four tries), the outbox tries again with fresh stripes — the same letter, once.
    const item = await deliveredDespite(proxies[3]!, { kind: 'truncate', group: G6, command: TELL, times: 4 }, 'truncated tell');
    expect(item.attempts).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('truncated answer to a download: the recipient still reads every byte', async () => {
    // Parity or another replica fills in, or the kept Tell is tried again later.
    await proxies[0]!.inject({ kind: 'truncate', group: G6, command: DOWNLOAD, times: 2 });
    try {
      const item = await sender.mail.waitFor(queue('truncated download').id);
      await expectDelivered(item, 'truncated download');
      expect(proxies[0]!.count(G6, DOWNLOAD, 'truncate')).toBeGreaterThanOrEqual(1);
    } finally {
      await proxies[0]!.heal();
    }
  }, 60_000);

  it('connection reset mid-transfer of an upload', async () => {
    await deliveredDespite(proxies[2]!, { kind: 'reset', group: G6, command: UPLOAD }, 'reset');
  }, 60_000);

  it('pooled connection closed by the node as a request arrives: sent again on a fresh one', async () => {
    // The node never read the request (an idle connection it had just hung up): the client's
    // transport sends the same sealed packet once more on a new connection; the caller sees
    // nothing of it. A peek has no retry of its own above the transport.
    await recipient.mail.refresh();
    const before = proxies[3]!.count(G6, PEEK);
    await proxies[3]!.inject({ kind: 'close', group: G6, command: PEEK });
    await expect(recipient.mail.refresh()).resolves.toBeGreaterThanOrEqual(0);
    expect(proxies[3]!.count(G6, PEEK, 'close')).toBe(1);
    expect(proxies[3]!.count(G6, PEEK) - before).toBe(2);

    // The same for a Tell: one more copy on the wire, delivered once.
    const tells = proxies[3]!.count(G6, TELL);
    await proxies[3]!.inject({ kind: 'close', group: G6, command: TELL });
    const item = await sender.mail.waitFor(queue('closed pooled connection').id);
    expect(proxies[3]!.count(G6, TELL, 'close')).toBe(1);
    await expectDelivered(item, 'closed pooled connection');
    expect(proxies[3]!.count(G6, TELL) - tells).toBe(2);
  }, 60_000);

  it('download on a pooled connection closed before the node read it: asked again at once', async () => {
    // A page read is clear (it names nobody) and harmless to ask twice: the transport resends it.
    const item = await sender.mail.waitFor(queue('closed download').id);
    await expectDelivered(item, 'closed download');
    const x = sender.mail.extras(item.id)!;
    const slot = x.certificate!.servers.find((s) => proxies.some((p) => p.port === s.port))!;
    const proxy = proxies.find((p) => p.port === slot.port)!;
    const node = net.network.nodes[proxies.indexOf(proxy)]!;
    const client = new QMailServerClient(recipient.mail.pool, { host: slot.host, port: slot.port, raidaId: node.raidaId });
    const mailbox = recipient.mail.me().mailbox;
    const clean = await client.download({ mailbox }, Buffer.from(x.guid!, 'hex'), STRIPE_FILE_TYPE);
    expect(clean?.length).toBeGreaterThan(0);
    await proxy.inject({ kind: 'close', group: G6, command: DOWNLOAD });
    const again = await client.download({ mailbox }, Buffer.from(x.guid!, 'hex'), STRIPE_FILE_TYPE);
    expect(proxy.count(G6, DOWNLOAD, 'close')).toBe(1);
    expect(Buffer.from(again!).equals(Buffer.from(clean!))).toBe(true);
  }, 60_000);

  it('answer lost with the connection after the node ran the request: the resend is refused as a replay', async () => {
    // The transport cannot tell this from a request lost unread, so it resends the same sealed
    // packet; the node's replay guard refuses it, the first error stands and the send retries
    // with a fresh request. Three Tells on the wire, the letter filed once.
    const tells = proxies[3]!.count(G6, TELL);
    await deliveredDespite(proxies[3]!, { kind: 'lose', group: G6, command: TELL }, 'lost answer');
    expect(proxies[3]!.count(G6, TELL) - tells).toBe(3);
  }, 60_000);

  it('disk full on a storage node: the stripe moves to the spare', async () => {
    // A tiny tmpfs needs mount rights; the node's blob store has a test hook instead
    // (QMAIL_TEST_HOOKS=disk-full, a DISK-FULL file in its blob directory: writes fail ENOSPC).
    const flag = join(net.network.nodes[2]!.dataDir, 'blobs', 'DISK-FULL');
    mkdirSync(join(net.network.nodes[2]!.dataDir, 'blobs'), { recursive: true });
    writeFileSync(flag, '');
    try {
      const item = await sender.mail.waitFor(queue('disk full').id);
      await expectDelivered(item, 'disk full');
      const sent = sender.mail.view(item.id);
      expect(sent?.certificate?.servers.map((s) => s.port)).not.toContain(proxies[2]!.port);
    } finally {
      rmSync(flag, { force: true });
    }
  }, 60_000);

  it('node SIGKILL mid-upload: the stripe goes elsewhere or again after the restart', async () => {
    // Uploads to node 1 are held a while, so the kill lands while one is in flight.
    await proxies[1]!.inject({ kind: 'delay', group: G6, command: UPLOAD, ms: 1500, times: 2 });
    const before = proxies[1]!.count(G6, UPLOAD);
    const item = queue('sigkill');
    await until('an upload to node 1', 30_000, () => proxies[1]!.count(G6, UPLOAD) > before);
    await net.kill(1, 'SIGKILL');
    try {
      await expectDelivered(await sender.mail.waitFor(item.id), 'sigkill');
    } finally {
      await proxies[1]!.heal();
      await net.restart(1);
    }
  }, 90_000);

  it('app restart mid-send after the beacon took the Tell: sent again, filed once', async () => {
    // The beacon gets the Tell and answers, the answer never comes back; the app quits with
    // the item in `sending`, its sealed outbox row survives, and the next start sends it again.
    await proxies[3]!.inject({ kind: 'mute', group: G6, command: TELL, times: 1 });
    const item = queue('app restart');
    await until('the Tell at the beacon', 30_000, () => proxies[3]!.count(G6, TELL, 'mute') === 1 || undefined);
    sender.close();
    sender = openSender();
    await sender.vault.unlock(SENDER_PASS);
    sender.mail.start({ receive: false });
    await expectDelivered(await sender.mail.waitFor(item.id), 'app restart');
  }, 90_000);
});
