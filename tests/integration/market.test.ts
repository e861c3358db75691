// The server market over real qmail-server processes that take only paid hires: users pay
// three storage servers and a beacon from their wallets, send and receive over them, renew,
// switch servers with old mail still readable; underpayment and a replayed payment are
// refused with their statuses and cost the payer nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../shared/bytes/index.js';
import { Group, Status, makeChallenge } from '../../shared/raida/index.js';
import { makePreamble } from '../../shared/qmail/index.js';
import { HIRE_COMMAND, HIRE_MONTH_MS, decodeHireResult, encodeHire, hirePrice } from '../../shared/qmail/hire.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { useTestNetwork } from '../../electron/services/app/testing/network.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import { MarketError, hireServer, marketServer, sortServers, type MarketServer } from '../../electron/services/market/market.js';
import { DEFAULT_TERM } from '../../electron/services/market/payment.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { fundWithTestChips } from '../../electron/services/wallet/mint.js';
import { coinEndpoints } from '../../electron/services/wallet/network.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet, lockerKeys, parseAmount } from '../../electron/services/wallet/wallet.js';
import { TEST_KDF } from '../support/tmp.js';

const MINT_KEY = new Uint8Array(randomBytes(16));
/** CC per MB-month of node i; a 10 MB month costs ten times as much. */
const PRICES = [0.3, 0.1, 0.5, 0.2, 0.4];
const TERM = DEFAULT_TERM;
const cost = (i: number) => hirePrice(PRICES[i]!, TERM.quotaMb, TERM.months);

const world = useTestNetwork('qmail-market-', 5, {
  pingMaxWaitMs: 1500,
  // The nodes' config files sit in <net>/node-i/: the network file is one folder up.
  nodeConfig: { chips: { mintKey: toHex(MINT_KEY), networkFile: '../network.json' }, market: { requireHire: true } },
  perNode: (i) => ({ operator: { pricePerMbMonth: PRICES[i]! } }),
});
const pools: ConnectionPool[] = [];
afterAll(() => pools.forEach((p) => p.closeAll()));

interface User {
  app: AppServices;
  wallet: Wallet;
  pool: ConnectionPool;
  address: string;
}

async function servers(): Promise<MarketServer[]> {
  return (await new DirectoryClient(world.net.directoryUrl).servers()).map(marketServer);
}

/** A profile with 100 CC of test Chips; its onboarding pays each server it hires (a term of DEFAULT_TERM). */
async function payingUser(key: string, storage: number[], beacon: number): Promise<User> {
  const app = world.track(
    createAppServices({
      profileDir: join(world.dir, key),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      directoryUrl: world.net.directoryUrl,
      autoStart: false,
      mail: { retryBaseMs: 300, maxAttempts: 6 },
      // The app pays the nodes that require hiring from this wallet (market/payment.ts).
      chips: { networkFile: world.net.networkFile },
    }),
  );
  await app.vault.create('correct horse battery');
  const pool = new ConnectionPool(2);
  pools.push(pool);
  const wallet = new Wallet(new WalletStore(app.db, () => app.vault.box()), new ChipClient(pool, coinEndpoints(world.net.networkFile)));
  expect((await fundWithTestChips(new ChipClient(pool, coinEndpoints(world.net.networkFile)), MINT_KEY, wallet)).units).toBe(
    parseAmount('100'),
  );
  const ids = world.net.nodes.map((n) => n.nodeId);
  const { address } = await app.mail.createIdentity(key, { storage: storage.map((i) => ids[i]!), beacon: ids[beacon]! });
  return { app, wallet, pool, address: address! };
}

async function receive(app: AppServices, subject: string) {
  for (let i = 0; i < 40; i++) {
    await app.mail.refresh();
    const hit = app.messages.list('inbox', 0, 500).items.find((m) => m.subject === subject);
    if (hit) return app.mail.view(hit.id)!;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${subject} did not arrive`);
}

async function send(from: User, to: string, subject: string) {
  from.app.mail.start();
  const item = from.app.mail.queue({
    to: [to],
    cc: [],
    subject,
    body: `${subject}: body`,
    attachments: [],
    level: 'L3',
    stripes: { k: 2, p: 1 },
  });
  return from.app.mail.waitFor(item.id);
}

let alice: User;
let bob: User;

beforeAll(async () => {
  // Alice stores on nodes 1, 2, 3 with her beacon on 0; Bob on 2, 3, 4 with his beacon on 4.
  alice = await payingUser('alice', [1, 2, 3], 0);
  bob = await payingUser('bob', [2, 3, 4], 4);
}, 180_000);

describe('the server market on paid nodes', () => {
  it('lists every node with its signed price and the directory’s own measurements, cheapest first', async () => {
    const list = sortServers(await servers(), 'price');
    expect(list.map((s) => s.pricePerMbMonth)).toEqual([...PRICES].sort((a, b) => a - b));
    expect(list.every((s) => s.hireRequired && s.protocol === 'QMail/1.0' && s.jurisdiction === 'local')).toBe(true);
    // The app's servers.list carries the same figures for the window.
    const shown = await alice.app.mail.account.listServers();
    expect(shown).toHaveLength(5);
    for (const s of shown) {
      const m = list.find((x) => x.nodeId === s.nodeId)!;
      expect(s).toMatchObject({ pricePerMbMonth: m.pricePerMbMonth, hireRequired: true });
      expect(s.uptime).toBeGreaterThanOrEqual(0);
      expect(s.uptime).toBeLessThanOrEqual(1);
      expect(s.latencyMs === null || typeof s.latencyMs === 'number').toBe(true);
    }
  });

  it('hires three storage servers and a beacon by paying each, and mail goes over them', async () => {
    // Each paid its four servers exactly their price.
    expect(alice.wallet.balance().total).toBe(parseAmount('100') - cost(1) - cost(2) - cost(3) - cost(0));
    expect(bob.wallet.balance().total).toBe(parseAmount('100') - cost(2) - cost(3) - cost(4));
    const before = alice.wallet.balance().total;
    const done = await send(alice, bob.address, 'paid hello');
    expect(done.state).toBe('sent');
    // Alice's Tell to Bob's beacon (node 4) needed her mailbox there: she hired it on the way.
    expect(alice.wallet.balance().total).toBe(before - cost(4));
    const got = await receive(bob.app, 'paid hello');
    expect(got.body).toBe('paid hello: body');
    expect(got.from).toBe(alice.address);
  }, 120_000);

  it('refuses an underpayment (168) and a replayed payment (179); the payer loses nothing', async () => {
    const s = (await servers()).find((x) => x.raidaId === 1)!;
    const mailbox = alice.app.mail.account.me().mailbox;
    const balance = alice.wallet.balance().total;
    // A client that believes the price is a tenth of what the node asks.
    const cheap = { ...s, pricePerMbMonth: PRICES[1]! / 10 };
    const err = await hireServer({ wallet: alice.wallet, pool: alice.pool, server: cheap, mailbox, ...TERM }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketError);
    expect((err as MarketError).code).toBe('payment_insufficient');
    expect((err as MarketError).status).toBe(Status.PAYMENT_INSUFFICIENT);
    expect(alice.wallet.balance().total).toBe(balance);

    // The same locker handed over twice: paid once, refused the second time.
    const { code } = await alice.wallet.putInLocker(cost(1));
    const coin = alice.wallet.coins().find(({ coin: c }) => c.locker === toHex(code))!.coin;
    const body = () =>
      encodeHire({
        preamble: makePreamble({
          challenge: makeChallenge(new Uint8Array(randomBytes(12))),
          denomination: mailbox.denomination,
          serial: mailbox.serial,
          an: new Uint8Array(16),
        }),
        ...TERM,
        lockerCode: code,
        coins: [{ denomination: coin.denomination, serial: coin.serial }],
      });
    const seal = { key: lockerKeys(code, 2)[1]!, denomination: coin.denomination, serial: coin.serial };
    const conn = alice.pool.get(s);
    const first = await conn.call({ group: Group.QMAIL, command: HIRE_COMMAND, body: body(), timeoutMs: 30_000, an: seal });
    expect(first.status).toBe(Status.SUCCESS);
    expect(decodeHireResult(first.payload).paidUnits).toBe(cost(1));
    alice.wallet.forgetLocker(code);
    // Sealed as before, the node cannot even open it: that coin's AN there is the operator's now.
    const replay = await conn.call({ group: Group.QMAIL, command: HIRE_COMMAND, body: body(), timeoutMs: 30_000, an: seal });
    expect(replay.status).toBe(Status.INVALID_ENCRYPTION);
    // Sealed under a key the node does know (Alice's mailbox there): the code has paid already.
    const mine = alice.app.mail.account.me().servers.find((h) => h.raidaId === 1)!;
    const second = await conn.call({
      group: Group.QMAIL,
      command: HIRE_COMMAND,
      body: body(),
      timeoutMs: 30_000,
      an: { key: new Uint8Array(Buffer.from(mine.an, 'hex')), ...mailbox },
    });
    expect(second.status).toBe(Status.LOCKER_EMPTY_OR_NOT_EXISTS);
    // Nor can the payer take the coins back: the locker paid once, to the node.
    expect((await alice.wallet.reclaimLocker(code)).units).toBe(0n);
    expect(alice.wallet.balance().total).toBe(balance - cost(1));
  }, 120_000);

  it('a renewal extends the term by its months from the current end', async () => {
    const me = alice.app.mail.account.me();
    const hired = me.servers.find((h) => h.raidaId === 2)!;
    const s = (await servers()).find((x) => x.raidaId === 2)!;
    const an = new Uint8Array(Buffer.from(hired.an, 'hex'));
    const a = await hireServer({ wallet: alice.wallet, pool: alice.pool, server: s, mailbox: me.mailbox, an, ...TERM });
    const b = await hireServer({ wallet: alice.wallet, pool: alice.pool, server: s, mailbox: me.mailbox, an, months: 2, quotaMb: 10 });
    expect(b.expiresAt).toBe(a.expiresAt + 2 * HIRE_MONTH_MS);
    expect(b.paidUnits).toBe(hirePrice(PRICES[2]!, 10, 2));
  }, 60_000);

  it('after switching servers, mail stored on the old ones is still read', async () => {
    const ids = world.net.nodes.map((n) => n.nodeId);
    const sent = await send(alice, bob.address, 'before the switch');
    expect(sent.state).toBe('sent');
    const balance = alice.wallet.balance().total;
    // Alice moves her storage to 4, 2, 0 (4 and 2 already hired; 0 is her beacon): no new payment is due.
    await alice.app.mail.chooseServers([ids[4]!, ids[2]!, ids[0]!], ids[0]!);
    expect(alice.wallet.balance().total).toBe(balance);
    expect(alice.app.mail.account.me().beacon).toBe(ids[0]);
    // Bob reads the message whose stripes are on 1, 2, 3, after Alice left 1 and 3.
    expect((await receive(bob.app, 'before the switch')).body).toBe('before the switch: body');
    expect((await send(alice, bob.address, 'after the switch')).state).toBe('sent');
    expect((await receive(bob.app, 'after the switch')).body).toBe('after the switch: body');
  }, 120_000);
});
