// End to end over real qmail-server processes on loopback: onboarding through the
// directory, striped sends at 4+1 and 16+2 to one and three recipients, servers killed
// during download and SIGKILLed mid-upload.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppServices } from '../../electron/services/app/services.js';
import { useTestNetwork } from '../../electron/services/app/testing/network.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';

const NODES = 18;
const world = useTestNetwork('qmail-int-', NODES, { pingMaxWaitMs: 1500 });
const users: Record<string, AppServices> = {};
const address: Record<string, string> = {};

/** A profile storing on those nodes (by index), its beacon on node 0. */
async function user(name: string, storage: number[]): Promise<AppServices> {
  const log = (msg: string, f?: Record<string, unknown>) =>
    void (process.env.QMAIL_TEST_LOG && console.error(name, msg, JSON.stringify(f)));
  const made = await world.user(name, name, { storage, beacon: 0, mail: { retryBaseMs: 300, maxAttempts: 6 }, log });
  address[name] = made.address;
  return made.app;
}

async function sendAndWait(
  from: AppServices,
  to: string[],
  subject: string,
  body: string,
  attachments: ({ name: string; data: Uint8Array } | { name: string; path: string })[],
  k: number,
  p: number,
) {
  from.mail.start();
  const item = from.mail.queue({ to, cc: [], subject, body, attachments, level: 'L3', stripes: { k, p } });
  const done = await from.mail.waitFor(item.id);
  return done;
}

async function receive(app: AppServices, subject: string) {
  for (let i = 0; i < 20; i++) {
    await app.mail.refresh();
    const hit = app.messages.list('inbox', 0, 500).items.find((m) => m.subject === subject);
    if (hit) return app.mail.view(hit.id)!;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${subject} did not arrive`);
}

beforeAll(async () => {
  // Alice stores on nodes 1..17 (slot s on node s + 1), then 0; everyone's beacon is node 0.
  users.alice = await user('alice', [...Array.from({ length: NODES - 1 }, (_, i) => i + 1), 0]);
  for (const name of ['bob', 'carol', 'dave']) users[name] = await user(name, [0, 1, 2, 3]);
}, 180_000);

const nodeOfSlot = (slot: number) => slot + 1;

describe('qmail over real servers', () => {
  it('alice sends to bob at 4+1 and bob gets it byte identical', async () => {
    const att = new Uint8Array(randomBytes(40_000));
    const done = await sendAndWait(
      users.alice!,
      [address.bob!],
      'hello bob 4+1',
      'First qmail.\nSecond line.',
      [{ name: 'data.bin', data: att }],
      4,
      1,
    );
    expect(done.state).toBe('sent');
    const got = await receive(users.bob!, 'hello bob 4+1');
    expect(got.body).toBe('First qmail.\nSecond line.');
    expect(got.from).toBe(address.alice);
    expect(got.level).toBe('L3');
    expect(got.stripes).toEqual({ k: 4, p: 1 });
    const a = await users.bob!.mail.attachment(got.id, 0);
    expect(a.name).toBe('data.bin');
    expect(Buffer.from(a.data, 'base64').equals(Buffer.from(att))).toBe(true);
    expect(users.alice!.messages.list('sent', 0, 10).items.some((m) => m.subject === 'hello bob 4+1')).toBe(true);
  }, 120_000);

  it('a group of three at 16+2, all byte identical, found by search', async () => {
    const att = new Uint8Array(randomBytes(100_000));
    const to = [address.bob!, address.carol!, address.dave!];
    const done = await sendAndWait(
      users.alice!,
      to,
      'group 16+2',
      'To all three of you: zebra-quokka.',
      [{ name: 'big.bin', data: att }],
      16,
      2,
    );
    expect(done.state).toBe('sent');
    for (const name of ['bob', 'carol', 'dave']) {
      const got = await receive(users[name]!, 'group 16+2');
      expect(got.stripes).toEqual({ k: 16, p: 2 });
      expect(got.to).toEqual(to);
      expect(Buffer.from((await users[name]!.mail.attachment(got.id, 0)).data, 'base64').equals(Buffer.from(att))).toBe(true);
      const found = users[name]!.mail.search('ZEBRA quokka', 'inbox', 10);
      expect(found.items.map((m) => m.id)).toContain(got.id);
    }
  }, 150_000);

  it('arrives with one server down at 4+1 and two servers down at 16+2', async () => {
    const one = new Uint8Array(randomBytes(20_000));
    expect((await sendAndWait(users.alice!, [address.bob!], 'one down', 'x', [{ name: 'a', data: one }], 4, 1)).state).toBe('sent');
    await world.net.kill(nodeOfSlot(0));
    const got1 = await receive(users.bob!, 'one down');
    expect(Buffer.from((await users.bob!.mail.attachment(got1.id, 0)).data, 'base64').equals(Buffer.from(one))).toBe(true);
    expect(got1.repaired).toBe(1);
    await world.net.restart(nodeOfSlot(0));

    const two = new Uint8Array(randomBytes(50_000));
    expect(
      (await sendAndWait(users.alice!, [address.carol!, address.dave!], 'two down', 'y', [{ name: 'b', data: two }], 16, 2)).state,
    ).toBe('sent');
    await world.net.kill(nodeOfSlot(0));
    await world.net.kill(nodeOfSlot(7));
    for (const name of ['carol', 'dave']) {
      const got = await receive(users[name]!, 'two down');
      expect(Buffer.from((await users[name]!.mail.attachment(got.id, 0)).data, 'base64').equals(Buffer.from(two))).toBe(true);
      expect(got.repaired).toBe(2);
    }
    await world.net.restart(nodeOfSlot(0));
    await world.net.restart(nodeOfSlot(7));
  }, 150_000);

  it('a server SIGKILLed mid-upload and restarted keeps what it acknowledged; the send completes', async () => {
    const alice = users.alice!;
    const victim = nodeOfSlot(2);
    const victimNode = () => ({ host: '127.0.0.1', port: world.net.nodes[victim]!.port, raidaId: victim });
    // A stripe the victim acknowledged earlier (first test's message, slot 2).
    const earlier = alice.messages.list('sent', 0, 50).items.find((m) => m.subject === 'hello bob 4+1')!;
    const guid = new Uint8Array(Buffer.from(alice.mail.extras(earlier.id)!.guid!, 'hex'));
    const before = await new QMailServerClient(alice.mail.pool, victimNode()).download({ mailbox: alice.mail.me().mailbox }, guid, 1);
    expect(before?.length).toBeGreaterThan(0);

    const big = new Uint8Array(randomBytes(12 * 1024 * 1024));
    alice.mail.start();
    let killed: Promise<void> | null = null;
    const off = alice.subscribe((event, payload) => {
      const items = (payload as { items?: { state: string }[] }).items;
      if (event === 'outbox.changed' && !killed && items?.some((i) => i.state === 'sending')) {
        killed = new Promise((r) => setTimeout(r, 40)).then(() => world.net.kill(victim));
      }
    });
    const item = alice.mail.queue({
      to: [address.bob!],
      cc: [],
      subject: 'killed mid-upload',
      body: 'z',
      attachments: [{ name: 'big', data: big }],
      level: 'L3',
      stripes: { k: 4, p: 1 },
    });
    while (!killed) await new Promise((r) => setTimeout(r, 5));
    await killed;
    await world.net.restart(victim);
    const done = await alice.mail.waitFor(item.id);
    off();
    const after = await new QMailServerClient(alice.mail.pool, victimNode()).download({ mailbox: alice.mail.me().mailbox }, guid, 1);
    expect(after && Buffer.from(after).equals(Buffer.from(before!))).toBe(true);
    // Either it went through (retries, or a spare server took the slot) or the outbox says why, in words.
    if (done.state !== 'sent') {
      expect(done.state).toBe('failed');
      expect(done.error).toMatch(/server|stripe|reach/i);
      return;
    }
    const got = await receive(users.bob!, 'killed mid-upload');
    expect(Buffer.from((await users.bob!.mail.attachment(got.id, 0)).data, 'base64').equals(Buffer.from(big))).toBe(true);
    expect(got.repaired).toBe(0);
  }, 150_000);

  it('a file attachment goes by reference and arrives in the sealed attachment store, saved back streamed byte identical', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 3);
    const path = join(world.dir, 'report.bin');
    writeFileSync(path, bytes);
    const done = await sendAndWait(
      users.alice!,
      [address.bob!],
      'file by reference',
      'see the report',
      [{ name: 'report.bin', path }],
      4,
      1,
    );
    expect(done.state, done.error).toBe('sent');
    const got = await receive(users.bob!, 'file by reference');
    expect(got.attachments).toEqual([{ index: 0, name: 'report.bin', size: bytes.length }]);
    // Stored sealed under the profile, not in the extras, and nothing of it in the clear.
    const store = join(world.dir, 'bob', 'attachments');
    const files = readdirSync(store);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(store, f)).includes(bytes.subarray(0, 64))).toBe(false);
    const out = join(world.dir, 'report-saved.bin');
    await users.bob!.mail.saveAttachment(got.id, 0, out);
    expect(readFileSync(out).equals(bytes)).toBe(true);
  }, 150_000);
});
