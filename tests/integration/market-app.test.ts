// The app's side of the market over real qmail-server processes that take only paid hires:
// an identity made with a chosen term pays exactly the quote and records each paid term;
// servers.list shows them; a choice is priced before paying (servers already hired cost
// nothing); terms in use that end within the margin are renewed from the wallet, and when the
// wallet cannot pay the user is told; a switch pays only the new server and keeps the terms;
// a qmail announced on the beacon one leaves is still fetched and read after the switch.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../shared/bytes/index.js';
import { HIRE_MONTH_MS } from '../../shared/qmail/hire.js';
import type { EventName } from '../../shared/ipc/index.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { useTestNetwork } from '../../electron/services/app/testing/network.js';
import { TEST_KDF } from '../support/tmp.js';

const MINT_KEY = toHex(new Uint8Array(randomBytes(16)));
const PRICES = [0.3, 0.1, 0.5, 0.2, 0.4];
const DAY = 24 * 60 * 60 * 1000;

const world = useTestNetwork('qmail-market-app-', 5, {
  pingMaxWaitMs: 1500,
  nodeConfig: { chips: { mintKey: MINT_KEY, networkFile: '../network.json' }, market: { requireHire: true } },
  perNode: (i) => ({ operator: { pricePerMbMonth: PRICES[i]! } }),
});

/** A profile on the paid network with a vault and 100 CC of test Chips (its clock: `now`). */
async function fundedApp(key: string, now?: () => number): Promise<AppServices> {
  const app = world.track(
    createAppServices({
      profileDir: join(world.dir, key),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      directoryUrl: world.net.directoryUrl,
      autoStart: false,
      mail: { retryBaseMs: 300, maxAttempts: 6 },
      ...(now ? { now } : {}),
      chips: { networkFile: world.net.networkFile, mintKey: MINT_KEY },
    }),
  );
  await app.handlers['vault.create']({ passphrase: 'correct horse battery' });
  expect((await app.handlers['wallet.fund']({})).amount).toBe('100');
  return app;
}

/** fundedApp with an identity on `storage` and its beacon on `beacon`, a month of 5 MB on each. */
async function payingUser(key: string, storage: number[], beacon: number): Promise<{ app: AppServices; address: string }> {
  const app = await fundedApp(key);
  const ids = world.net.nodes.map((n) => n.nodeId);
  const { address } = await app.handlers['identity.create']({
    name: key,
    storage: storage.map((i) => ids[i]!),
    beacon: ids[beacon]!,
    term: { months: 1, quotaMb: 5 },
  });
  return { app, address: address! };
}

describe('the server market in the app', () => {
  it('pays a chosen term, shows it, prices a switch, renews before expiry and says when it cannot', async () => {
    let skew = 0;
    const app = await fundedApp('ada', () => Date.now() + skew);
    const events: { event: EventName; payload: unknown }[] = [];
    app.subscribe((event, payload) => events.push({ event, payload }));
    const h = app.handlers;
    const ids = world.net.nodes.map((n) => n.nodeId);
    const term = { months: 1, quotaMb: 5 };

    // Before the address exists, a choice is priced in full: 5 MB for a month on 1, 2, 3 and the beacon 0.
    const quote = await h['servers.quote']({ storage: [ids[1]!, ids[2]!, ids[3]!], beacon: ids[0]!, term });
    expect(quote).toMatchObject({ total: '5.5', balance: '100', test: '100', enough: true });
    expect(quote.items.map((i) => [i.nodeId, i.amount])).toEqual([
      [ids[1], '0.5'],
      [ids[2], '2.5'],
      [ids[3], '1'],
      [ids[0], '1.5'],
    ]);
    const t0 = Date.now();
    await h['identity.create']({ name: 'Ada', storage: [ids[1]!, ids[2]!, ids[3]!], beacon: ids[0]!, term });
    expect((await h['wallet.balance']({})).total).toBe('94.5');
    // Each hire in the wallet's history names the server it paid and the term.
    const names = new Map(world.net.nodes.map((n) => [n.nodeId, n.descriptor.descriptor.name]));
    const hires = (await h['wallet.history']({ limit: 10 })).filter((e) => e.kind === 'locker').map((e) => e.note);
    expect(hires.sort()).toEqual([0, 1, 2, 3].map((i) => `hire of ${names.get(ids[i]!)}: 1 month of 5 MB`).sort());

    // Each paid term, as the nodes granted it.
    const listed = await h['servers.list']({});
    for (const i of [0, 1, 2, 3]) {
      const s = listed.find((x) => x.nodeId === ids[i])!;
      expect(s.quotaMb).toBe(5);
      expect(s.paidUntil! - t0).toBeGreaterThanOrEqual(HIRE_MONTH_MS - 60_000);
      expect(s.paidUntil! - t0).toBeLessThanOrEqual(HIRE_MONTH_MS + 120_000);
    }
    expect(listed.find((x) => x.nodeId === ids[4])!.paidUntil).toBeUndefined();

    // Servers hired already cost nothing in a new choice: moving storage to 4, 2, 1 pays node 4 alone.
    const move = await h['servers.quote']({ storage: [ids[4]!, ids[2]!, ids[1]!], beacon: ids[0]!, term });
    expect(move.items.map((i) => [i.nodeId, i.amount])).toEqual([[ids[4], '2']]);
    // Nothing is due yet.
    expect(await app.market.check()).toEqual({ renewed: [], failed: [] });

    // 25 days later the terms end within the week's margin: the check renews those in use by a month each.
    skew = 25 * DAY;
    const before = new Map(listed.map((s) => [s.nodeId, s.paidUntil]));
    const r = await app.market.check();
    expect(r.failed).toEqual([]);
    expect(r.renewed.map((x) => x.nodeId).sort()).toEqual([ids[0], ids[1], ids[2], ids[3]].sort());
    for (const x of r.renewed) expect(x.paidUntil).toBe(before.get(x.nodeId)! + HIRE_MONTH_MS);
    expect((await h['wallet.balance']({})).total).toBe('89');
    expect(events.some((e) => e.event === 'notify' && (e.payload as { title: string }).title === 'Server hires renewed')).toBe(true);
    expect(await app.market.check()).toEqual({ renewed: [], failed: [] });

    // The switch pays node 4 alone and keeps the old terms listed (the mail stored there stays readable).
    await h['servers.choose']({ storage: [ids[4]!, ids[2]!, ids[1]!], beacon: ids[0]!, term });
    expect((await h['wallet.balance']({})).total).toBe('87');
    const after = await h['servers.list']({});
    expect(after.find((x) => x.nodeId === ids[4])).toMatchObject({ hired: true, storage: true, quotaMb: 5 });
    // Node 3 stays registered (its stripes are still read) but no longer stores new mail; 0 is the beacon.
    expect(
      after
        .filter((x) => x.storage)
        .map((x) => x.nodeId)
        .sort(),
    ).toEqual([ids[1], ids[2], ids[4]].sort());
    expect(after.find((x) => x.nodeId === ids[3])).toMatchObject({ hired: true, storage: false });
    expect(after.find((x) => x.nodeId === ids[0])).toMatchObject({ beacon: true });
    expect(after.find((x) => x.nodeId === ids[3])!.paidUntil).toBe(before.get(ids[3]!)! + HIRE_MONTH_MS);

    // Almost everything exported: two months later the renewal cannot be paid, and the user hears why.
    await h['wallet.export']({ amount: '86.5' });
    skew = 55 * DAY;
    events.length = 0;
    const poor = await app.market.check();
    expect(poor.renewed.length).toBeLessThan(4);
    expect(poor.failed.length).toBeGreaterThan(0);
    // Node 3 left the published choice: it is not renewed any more.
    expect([...poor.renewed, ...poor.failed].map((x) => x.nodeId)).not.toContain(ids[3]);
    const warned = events.filter((e) => e.event === 'notify' && (e.payload as { level: string }).level === 'warning');
    expect(warned.length).toBe(poor.failed.length);
    expect((warned[0]!.payload as { body: string }).body).toMatch(
      /^The wallet holds [\d.]+ CC and renewing costs [\d.]+ CC\. It is paid until /,
    );
  }, 240_000);

  it('after a switch of beacon, a qmail announced on the old one is fetched from it and read', async () => {
    const ids = world.net.nodes.map((n) => n.nodeId);
    const grace = await payingUser('grace', [1, 2, 3], 0);
    const bob = await payingUser('bob', [2, 3, 4], 4);
    // Bob writes while Grace's app is not receiving: the Tell waits on her beacon, node 0.
    bob.app.mail.start();
    const item = bob.app.mail.queue({
      to: [grace.address],
      cc: [],
      subject: 'before the switch',
      body: 'announced on the old beacon',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect((await bob.app.mail.waitFor(item.id)).state).toBe('sent');
    // Grace moves her beacon to node 4 (and pays it); nothing else asks node 0 for her mail.
    await grace.app.handlers['servers.choose']({ storage: [ids[1]!, ids[2]!, ids[3]!], beacon: ids[4]!, term: { months: 1, quotaMb: 5 } });
    expect(grace.app.mail.account.me().beacon).toBe(ids[4]);
    let found;
    for (let i = 0; i < 80 && !found; i++) {
      found = grace.app.messages.list('inbox', 0, 50).items.find((m) => m.subject === 'before the switch');
      if (!found) await new Promise((r) => setTimeout(r, 250));
    }
    expect(found).toBeDefined();
    expect(grace.app.mail.view(found!.id)!.body).toBe('announced on the old beacon');
    // Acknowledged there: the old beacon holds nothing more for her.
    expect(await grace.app.market.drainBeacon(ids[0]!)).toBe(0);
  }, 240_000);
});
