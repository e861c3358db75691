// Tips and inbox fees through the app's own services, on real qmail-server processes whose
// beacons collect lockers: a paid send moves exactly the fee from the sender's wallet to the
// recipient's (less the operator's exact cut) and the message carries the tip; a black-listed
// sender's coins come back; a white-listed sender pays nothing and the composer's quote says so;
// a crash between the locker put and the Tell leaves the coins to the restarted app; a Tell
// resent after a timeout pays once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../shared/bytes/index.js';
import { ContractError } from '../../shared/ipc/index.js';
import { parseMailbox } from '../../shared/cbdf/address.js';
import { StripeType, TellType } from '../../shared/qmail/index.js';
import type { AppServices } from '../../electron/services/app/services.js';
import { useTestNetwork } from '../../electron/services/app/testing/network.js';
import { tellAll } from '../../electron/services/mail/tells.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { fundWithTestChips } from '../../electron/services/wallet/mint.js';
import { coinEndpoints } from '../../electron/services/wallet/network.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet, formatAmount, parseAmount } from '../../electron/services/wallet/wallet.js';
import { PurseStore } from '../../server/chips/purse-store.js';

const MINT_KEY = new Uint8Array(randomBytes(16));
const CUT = 0.1;
const PASS = 'correct horse battery';
const cc = (s: string) => parseAmount(s);

const world = useTestNetwork('qmail-tips-app-', 5, {
  pingMaxWaitMs: 1500,
  // The nodes' config files sit in <net>/node-i/: the network file is one folder up.
  nodeConfig: {
    chips: { mintKey: toHex(MINT_KEY), networkFile: '../network.json' },
    operator: { inboxFeeCut: CUT },
    drd: { defaultTellFee: 3 },
  },
});
const pools: ConnectionPool[] = [];
const purses: PurseStore[] = [];
afterAll(() => {
  pools.forEach((p) => p.closeAll());
  purses.forEach((p) => p.close());
});

interface User {
  app: AppServices;
  address: string;
  key: string;
}

const open = (key: string): AppServices =>
  world.open(key, { mail: { retryBaseMs: 300, maxAttempts: 3 }, chips: { networkFile: world.net.networkFile } });

/** A profile with 100 CC of test Chips, storing on every node, its beacon on node `beacon`. */
async function user(key: string, beacon: number, funded = true): Promise<User> {
  const app = open(key);
  await app.vault.create(PASS);
  if (funded) {
    const pool = new ConnectionPool(2);
    pools.push(pool);
    const client = new ChipClient(pool, coinEndpoints(world.net.networkFile));
    const wallet = new Wallet(new WalletStore(app.db, () => app.vault.box()), client);
    expect((await fundWithTestChips(client, MINT_KEY, wallet)).units).toBe(cc('100'));
  }
  const ids = world.net.nodes.map((n) => n.nodeId);
  const { address } = await app.mail.createIdentity(key, { storage: ids.map((_, i) => i).map((i) => ids[i]!), beacon: ids[beacon]! });
  return { app, address: address!, key };
}

const units = (s: string) => (/^0+(\.0+)?$/.test(s) ? 0n : parseAmount(s));
const balance = async (u: User) => units((await u.app.handlers['wallet.balance']({})).total);
/** The beacon operator's coins: node 0's purse, read beside the running node. */
function purse(): Wallet {
  const store = new PurseStore(join(world.net.nodes[0]!.dataDir, 'purse.db'));
  purses.push(store);
  return new Wallet(store, new ChipClient(new ConnectionPool(1), coinEndpoints(world.net.networkFile)));
}

async function send(from: User, to: User, subject: string, tip?: string) {
  from.app.mail.start({ receive: false });
  const r = await from.app.handlers['mail.send']({
    to: [to.address],
    cc: [],
    subject,
    body: `${subject}: body`,
    attachments: [],
    staged: [],
    level: 'L3',
    stripes: { k: 2, p: 1 },
    allowFallback: false,
    tips: tip ? [{ address: to.address, amount: tip }] : [],
  });
  return from.app.mail.waitFor(r.id);
}

async function receive(u: User, subject: string) {
  for (let i = 0; i < 60; i++) {
    await u.app.mail.refresh();
    const hit = u.app.messages.list('inbox', 0, 500).items.find((m) => m.subject === subject);
    if (hit && hit.tip?.state !== 'pending') return hit;
    if (hit) await u.app.mail.tipping.collectDue();
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${subject} did not arrive with its tip settled`);
}

let alice: User;
let bob: User;
let operator: Wallet;

beforeAll(async () => {
  // Bob's beacon is node 0 (its purse is read below); Alice stores on every node, node 0 included,
  // so she holds an AN on Bob's beacon and may ask it about herself (EXT-11).
  alice = await user('alice', 1);
  bob = await user('bob', 0, false);
  operator = purse();
  await bob.app.handlers['fees.set']({ fee: '10' });
}, 240_000);

describe('tips and inbox fees from the app', () => {
  it('quotes the fee, refuses a send that does not cover it, and a covered send moves exactly the fee', async () => {
    expect(await alice.app.handlers['fees.quote']({ to: [bob.address] })).toEqual([{ address: bob.address, kind: 'fee', fee: '10' }]);
    // No tip, or too little: refused before anything is queued.
    await expect(send(alice, bob, 'no tip')).rejects.toMatchObject({ code: 'fee_not_covered' });
    await expect(send(alice, bob, 'too little', '9.5')).rejects.toThrow(/charges an inbox fee of 10 CC; 9.5 CC was offered/);
    expect(alice.app.mail.outbox().filter((i) => i.state !== 'sent')).toEqual([]);

    const a0 = await balance(alice);
    const cut0 = operator.balance().total;
    const done = await send(alice, bob, 'paid', '10');
    expect(done.state).toBe('sent');
    expect(done.recipients).toEqual([expect.objectContaining({ address: bob.address, state: 'delivered', paid: '10' })]);
    expect(await balance(alice)).toBe(a0 - cc('10'));
    expect((await alice.app.handlers['wallet.history']({ limit: 1 }))[0]).toMatchObject({
      kind: 'locker',
      amount: '10',
      note: `inbox fee for ${bob.address}`,
    });
    const sent = alice.app.messages.list('sent', 0, 10).items.find((m) => m.subject === 'paid')!;
    expect(sent.tip).toEqual({ amount: '10', state: 'paid' });
    expect(alice.app.mail.view(sent.id)?.delivery).toEqual([expect.objectContaining({ state: 'delivered', paid: '10' })]);

    const got = await receive(bob, 'paid');
    const cut = cc('10') - (cc('10') * 9000n) / 10_000n;
    expect(got.tip).toEqual({ amount: formatAmount(cc('10') - cut), state: 'received' });
    expect(await balance(bob)).toBe(cc('10') - cut);
    expect(operator.balance().total - cut0).toBe(cut);
    const history = await bob.app.handlers['wallet.history']({ limit: 10 });
    expect(history[0]).toMatchObject({ kind: 'received', amount: formatAmount(cc('10') - cut) });
    // Nothing about the tip is written in clear: the message row and the locker rows are sealed.
    const raw =
      JSON.stringify(bob.app.db.prepare('SELECT * FROM messages').all()) +
      JSON.stringify(bob.app.db.prepare('SELECT * FROM mail_tips').all());
    expect(raw).not.toContain(alice.address);
    expect(alice.app.db.prepare('SELECT COUNT(*) AS n FROM mail_lockers').get()).toEqual({ n: 0 });
  }, 180_000);

  it('a black-listed sender is refused with the reason in words and gets its coins back', async () => {
    await bob.app.handlers['fees.list']({ list: 'black', add: [alice.address], remove: [] });
    expect(await alice.app.handlers['fees.quote']({ to: [bob.address] })).toEqual([{ address: bob.address, kind: 'black', fee: '0' }]);
    // A black list refuses whatever is offered; the quote says so and no locker goes with it.
    const a0 = await balance(alice);
    const done = await send(alice, bob, 'blocked', '10');
    expect(done.state).toBe('failed');
    expect(done.recipients?.[0]).toMatchObject({ state: 'failed', reason: expect.stringMatching(/black list/) });
    expect(await balance(alice)).toBe(a0);
    await bob.app.handlers['fees.list']({ list: 'black', add: [], remove: [alice.address] });
  }, 180_000);

  it('a Tell the beacon refuses after the locker was filled gives the coins back (refunded)', async () => {
    // The quote said fee 10, then Bob raised the fee to 20: the beacon refuses the 10 (168).
    const a0 = await balance(alice);
    const hooks = alice.app.mail.tipping.attempt('refused-item', { [bob.address]: cc('10').toString() });
    await bob.app.handlers['fees.set']({ fee: '20' });
    const out = await tellAll(
      { pool: alice.app.mail.pool, me: alice.app.mail.me(), tips: hooks, attempts: 2, backoffMs: 100 },
      [{ address: bob.address, mailbox: parseMailbox(bob.address), beacon: (await beaconOf(bob))! }],
      (group, lockerKey) =>
        bogusTell(
          group.map((g) => g.address),
          lockerKey,
        ),
    );
    await bob.app.handlers['fees.set']({ fee: '10' });
    expect(out.delivered).toEqual([]);
    expect(out.failed).toEqual([
      expect.objectContaining({
        address: bob.address,
        refunded: true,
        paid: cc('10'),
        reason: expect.stringMatching(/inbox fee is more than was paid/),
      }),
    ]);
    expect(out.retryable).toBe(false);
    expect(await balance(alice)).toBe(a0);
  }, 180_000);

  it('a white-listed sender sends free: the quote says white, no locker, no coin moves', async () => {
    await bob.app.handlers['fees.list']({ list: 'white', add: [alice.address], remove: [] });
    expect(await alice.app.handlers['fees.quote']({ to: [bob.address] })).toEqual([{ address: bob.address, kind: 'white', fee: '0' }]);
    const a0 = await balance(alice);
    const done = await send(alice, bob, 'free as white');
    expect(done.state).toBe('sent');
    expect(done.recipients?.[0]?.paid).toBeUndefined();
    expect(await balance(alice)).toBe(a0);
    const got = await receive(bob, 'free as white');
    expect(got.tip).toBeUndefined();
    await bob.app.handlers['fees.list']({ list: 'white', add: [], remove: [alice.address] });
  }, 180_000);

  it('a crash between the locker put and the Tell leaves the coins to the restarted app', async () => {
    const a0 = await balance(alice);
    const hooks = alice.app.mail.tipping.attempt('crashed-item', { [bob.address]: cc('10').toString() });
    const code = await hooks.locker(bob.address);
    expect(code).toBeInstanceOf(Uint8Array);
    expect(await balance(alice)).toBe(a0 - cc('10'));
    // The process ends here, before the Tell; the next start unlocks and settles the locker.
    await alice.app.mail.stop();
    alice.app.close();
    alice = { ...alice, app: open('alice') };
    await alice.app.vault.unlock(PASS);
    expect(alice.app.mail.tipping.tables.unsettledLockers()).toHaveLength(1);
    expect(await alice.app.mail.tipping.recover()).toEqual({ refunded: 1, collected: 0, unsure: 0 });
    expect(await balance(alice)).toBe(a0);
    expect(alice.app.mail.tipping.tables.unsettledLockers()).toEqual([]);
  }, 180_000);

  it('a Tell resent after a timeout pays once: its emptied locker says the first was delivered', async () => {
    const a0 = await balance(alice);
    const cut0 = operator.balance().total;
    const real = alice.app.mail.tipping.attempt('timeout-item', { [bob.address]: cc('10').toString() });
    // What each peek before a resend found: full (the Tell goes again, same locker) until it reads taken.
    const peeks: string[] = [];
    const hooks = { ...real, check: async (a: string) => await real.check(a).then((r) => (peeks.push(r), r)) };
    const beacon = (await beaconOf(bob))!;
    // Every Tell "times out" on our side (1 ms) while the beacon still takes it and collects the locker.
    const out = await tellAll(
      { pool: alice.app.mail.pool, me: alice.app.mail.me(), tips: hooks, attempts: 12, backoffMs: 300, timeoutMs: 1 },
      [{ address: bob.address, mailbox: parseMailbox(bob.address), beacon }],
      (group, lockerKey) =>
        bogusTell(
          group.map((g) => g.address),
          lockerKey,
        ),
    );
    expect(out.failed).toEqual([]);
    expect(out.delivered).toEqual([bob.address]);
    expect(out.paid).toEqual({ [bob.address]: cc('10') });
    expect(peeks.at(-1)).toBe('taken');
    expect(peeks.slice(0, -1).every((p) => p !== 'taken')).toBe(true);
    // The next try of the same item pays nothing again: the locker is recorded as taken.
    expect(await real.locker(bob.address)).toBe('delivered');
    expect(await balance(alice)).toBe(a0 - cc('10'));
    expect(operator.balance().total - cut0).toBe(cc('1'));
  }, 180_000);

  it('contacts are free: turning it on white-lists everyone we wrote to, and each new recipient after', async () => {
    const carol = await user('carol', 2, false);
    await alice.app.handlers['fees.set']({ contactsFree: true });
    const mine = await alice.app.handlers['fees.mine']({});
    expect(mine.contactsFree).toBe(true);
    expect(mine.white).toContain(bob.address);
    // Carol's inbox is free: the send goes, and Carol joins Alice's white list.
    expect((await send(alice, carol, 'hello carol')).state).toBe('sent');
    for (let i = 0; i < 40 && !(await alice.app.handlers['fees.mine']({})).white.includes(carol.address); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await alice.app.handlers['fees.mine']({})).white).toContain(carol.address);
  }, 180_000);

  it('refuses a send the wallet cannot pay, with the sum', async () => {
    await bob.app.handlers['fees.set']({ fee: '500' });
    const held = formatAmount(await balance(alice));
    const queued = alice.app.mail.outbox().length;
    await expect(send(alice, bob, 'too dear', '500')).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof ContractError && e.code === 'fee_not_covered' && e.message.includes(`come to 500 CC; the wallet holds ${held} CC`),
    );
    expect(alice.app.mail.outbox()).toHaveLength(queued);
    await bob.app.handlers['fees.set']({ fee: '10' });
  }, 60_000);
});

async function beaconOf(u: User) {
  const d = world.net.nodes;
  const rec = await alice.app.mail.directory().lookup(u.address);
  const servers = await alice.app.mail.directory().servers();
  expect(d.length).toBe(5);
  return servers.find((s) => s.nodeId === rec?.record.beacon);
}

/** A Tell naming no stored letter: enough for the beacon's gate and collection. */
function bogusTell(_to: string[], lockerKey: Uint8Array) {
  return {
    fileGroupGuid: new Uint8Array(randomBytes(16)),
    timestamp: Math.floor(Date.now() / 1000),
    tellType: TellType.QMAIL,
    beaconPaymentLocker: lockerKey.slice(0, 8),
    recipients: [{ addressType: 0, address: parseMailbox(bob.address), lockerKey }],
    servers: [{ stripeIndex: 0, stripeType: StripeType.DATA, raidaId: 0, ipv4: new Uint8Array([127, 0, 0, 1]), port: 1 }],
    manifest: [],
  };
}
