// Wallets on a real local network of five qmail-servers: test funding from the mint, pown
// with one server down, a forged coin and a replayed file refused, a locker paid once, a
// locker reclaimed after a crash before its delivery, and random transfers that neither
// create nor lose a Chip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toHex } from '../../shared/bytes/index.js';
import { decodeCoinFile, encodeCoinFile } from '../../shared/chips/index.js';
import { denominationUnits } from '../../shared/raida/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { ConnectionPool, type Endpoint } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { fundWithTestChips } from '../../electron/services/wallet/mint.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet, parseAmount } from '../../electron/services/wallet/wallet.js';
import { tempDir } from '../support/tmp.js';

const MINT_KEY = new Uint8Array(randomBytes(16));
const dir = tempDir('qmail-chips-wallet-');
let net: LocalNetwork;
const opened: { db: Db; pool: ConnectionPool }[] = [];

function endpoints(): Endpoint[] {
  return [...net.network.nodes].sort((a, b) => a.raidaId - b.raidaId).map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
}

/** A wallet on its own profile database; the same key reopens it (a restarted app). */
function openWallet(name: string, key = new Uint8Array(randomBytes(32))): { wallet: Wallet; key: Uint8Array<ArrayBuffer> } {
  const db = openDatabase(join(dir.path, name, 'profile.db'));
  const pool = new ConnectionPool(2);
  opened.push({ db, pool });
  const box = new SecretBox(key);
  return { wallet: new Wallet(new WalletStore(db, () => box), new ChipClient(pool, endpoints(), 3000)), key };
}
const cc = (s: string) => parseAmount(s);

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(dir.path, 'net'),
    nodes: 5,
    nodeConfig: { log: { level: 'warn' }, storage: { durable: false }, chips: { mintKey: toHex(MINT_KEY) } },
  });
}, 120_000);
afterAll(async () => {
  for (const o of opened) {
    o.pool.closeAll();
    o.db.close();
  }
  await net?.close();
  dir.remove();
});

describe('wallets on five servers', () => {
  it('funds, pays, refuses forgeries and double spends, and conserves every Chip', async () => {
    const { wallet: a, key: keyA } = openWallet('a');
    const { wallet: b } = openWallet('b');
    const { wallet: c } = openWallet('c');
    for (const w of [a, b, c]) {
      const r = await fundWithTestChips(new ChipClient(new ConnectionPool(1), endpoints()), MINT_KEY, w);
      expect(r.accepted).toBe(145);
      expect(r.units).toBe(cc('100'));
    }
    expect(a.balance().total).toBe(cc('100'));
    expect(a.balance().test).toBe(cc('100'));
    expect(Object.fromEntries(a.balance().byDenomination)).toEqual({ 1: 5, 0: 40, [-1]: 100 });
    expect(a.history(1)[0]).toMatchObject({ kind: 'minted', test: true });

    // one server of five down: the pown still authenticates (4 of 5 pass)
    await net.kill(2);
    const file = await a.exportAmount(cc('12.3'));
    expect(a.balance().total).toBe(cc('87.7'));
    const got = await b.importFile(file);
    expect(got).toMatchObject({ accepted: 6, rejected: 0, limbo: 0, units: cc('12.3') });
    expect(b.balance().total).toBe(cc('112.3'));
    const moved = b.coins().filter(({ coin }) => coin.pown === 'ppnpp');
    expect(moved).toHaveLength(6);
    const port = net.network.nodes[2]!.port;
    await net.restart(2);
    expect(net.network.nodes[2]!.port).toBe(port);
    // back up, server 2 still has A's ANs for those coins: recovery powns it to B's stored PANs
    expect(await b.recover()).toEqual({ settled: 6, dropped: 0 });
    expect(b.coins().filter(({ coin }) => coin.pown === 'ppppp' && coin.pans?.every((x) => x === null))).toHaveLength(6 + 145);
    expect(b.balance().total).toBe(cc('112.3'));

    // the same file again: its ANs are B's now, so every server refuses it
    expect(await c.importFile(file)).toMatchObject({ accepted: 0, rejected: 6 });
    // a forged coin: a serial nobody minted, or a real one with made-up ANs
    const forged = decodeCoinFile(await c.exportAmount(cc('1')));
    const real = forged.coins[0]!;
    const copy = encodeCoinFile({ ...forged, coins: [{ ...real, ans: real.ans.map(() => new Uint8Array(randomBytes(16))) }] });
    const fake = encodeCoinFile({
      ...forged,
      coins: [{ ...real, serial: 12345, ans: real.ans.map(() => new Uint8Array(randomBytes(16))) }],
    });
    expect(await b.importFile(copy)).toMatchObject({ accepted: 0, rejected: 1 });
    expect(await b.importFile(fake)).toMatchObject({ accepted: 0, rejected: 1 });
    // C takes its own coin back
    expect(await c.importFile(encodeCoinFile(forged))).toMatchObject({ accepted: 1 });

    // a locker pays once
    const { code } = await a.putInLocker(cc('1.5'));
    a.forgetLocker(code);
    expect(await b.takeFromLocker(code)).toMatchObject({ units: cc('1.5') });
    expect(await c.takeFromLocker(code)).toMatchObject({ accepted: 0, units: 0n });
    expect(b.balance().total).toBe(cc('113.8'));

    // a crash between the locker put and its delivery: the restarted wallet takes the coins back
    const before = a.balance().total;
    const { code: lost } = await a.putInLocker(cc('2'));
    expect(a.balance().total).toBe(before - cc('2'));
    const { wallet: restarted } = openWallet('a', keyA);
    expect(restarted.coins().filter(({ coin }) => coin.state === 'locker')).toHaveLength(2);
    expect(await restarted.reclaimLocker(lost)).toMatchObject({ units: cc('2') });
    expect(a.balance().total).toBe(before);

    // random transfers between the three: the sum never moves
    const wallets = [a, b, c];
    const sum = () => wallets.reduce((s, w) => s + w.balance().total, 0n);
    expect(sum()).toBe(cc('300'));
    for (let k = 0; k < 12; k++) {
      const from = wallets[randomInt(3)]!;
      const to = wallets[randomInt(3)]!;
      const amount = BigInt(randomInt(1, 400)) * 1_000_000n; // 0.01 .. 3.99 CC
      if (randomInt(2) === 0) {
        await to.importFile(await from.exportAmount(amount));
      } else {
        const { code: k2 } = await from.putInLocker(amount);
        from.forgetLocker(k2);
        await to.takeFromLocker(k2);
      }
      expect(sum()).toBe(cc('300'));
    }
    // Breaks at once from every wallet: each server sees the sessions in its own order, and
    // every break still finds its ten serials on all five
    const changes = () => wallets.reduce((t, w) => t + w.history(1000).filter((e) => e.kind === 'change').length, 0);
    const changesBefore = changes();
    for (let round = 0; round < 3; round++) {
      const codes = await Promise.all(wallets.map((w) => w.putInLocker(BigInt(randomInt(1, 99)) * 10_000n))); // 0.0001 .. 0.0098 CC
      for (const [i, { code: k3 }] of codes.entries()) {
        wallets[i]!.forgetLocker(k3);
        await wallets[(i + 1) % 3]!.takeFromLocker(k3);
      }
      expect(sum()).toBe(cc('300'));
    }
    expect(changes()).toBeGreaterThanOrEqual(changesBefore + 3);
    for (const w of wallets) expect(w.balance().limbo).toBe(0);
    // amounts in cents needed change: coins were broken on the servers along the way
    expect(wallets.some((w) => w.history(1000).some((e) => e.kind === 'change'))).toBe(true);
    // and on every server the coins add up to what the mint made: nothing created or lost there either
    for (const node of net.network.nodes) {
      const db = new Database(join(node.dataDir, 'node.db'), { readonly: true });
      try {
        const rows = db.prepare('SELECT dn FROM chips').all() as { dn: number }[];
        expect(rows.reduce((t, r) => t + denominationUnits(r.dn), 0n)).toBe(cc('300'));
      } finally {
        db.close();
      }
    }
  }, 300_000);
});
