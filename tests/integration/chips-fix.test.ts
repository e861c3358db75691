// Fix (RAIDA healing) on a real local network of five qmail-servers: a coin fracked on one
// server (its AN there neither ours nor known to us) is healed by the wallet's recovery with
// tickets from the other four; forged, expired, replayed, misdirected and too few tickets are
// refused; and every server still holds exactly the value the mint made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fromHex, toHex } from '../../shared/bytes/index.js';
import { FIX_TICKET_SLOTS, fixAn } from '../../shared/chips/index.js';
import { denominationUnits, type CoinRef } from '../../shared/raida/index.js';
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
const TICKET_MS = 5000;
const dir = tempDir('qmail-chips-fix-');
let net: LocalNetwork;
const opened: { db?: Db; pool: ConnectionPool }[] = [];

function endpoints(): Endpoint[] {
  return [...net.network.nodes].sort((a, b) => a.raidaId - b.raidaId).map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
}
function client(): ChipClient {
  const pool = new ConnectionPool(2);
  opened.push({ pool });
  return new ChipClient(pool, endpoints(), 5000);
}
function openWallet(name: string): Wallet {
  const db = openDatabase(join(dir.path, name, 'profile.db'));
  const pool = new ConnectionPool(2);
  opened.push({ db, pool });
  const box = new SecretBox(new Uint8Array(randomBytes(32)));
  return new Wallet(new WalletStore(db, () => box), new ChipClient(pool, endpoints(), 5000));
}
/** Runs `fn` on node i's database (the node is down, or only read). */
function nodeDb<T>(i: number, fn: (db: Database.Database) => T, readonly = true): T {
  const db = new Database(join(net.network.nodes[i]!.dataDir, 'node.db'), { readonly });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const cc = (s: string) => parseAmount(s);

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(dir.path, 'net'),
    nodes: 5,
    nodeConfig: { log: { level: 'warn' }, storage: { durable: false }, chips: { mintKey: toHex(MINT_KEY), ticketMs: TICKET_MS } },
  });
}, 120_000);
afterAll(async () => {
  for (const o of opened) {
    o.pool.closeAll();
    o.db?.close();
  }
  await net?.close();
  dir.remove();
});

describe('fix on five servers', () => {
  it('heals a coin fracked on one server, refuses bad tickets, and conserves every Chip', async () => {
    const a = openWallet('a');
    const b = openWallet('b');
    for (const w of [a, b]) expect((await fundWithTestChips(client(), MINT_KEY, w)).units).toBe(cc('100'));

    // A pays B 3 CC while server 2 is down: B's coins pass on four, server 2 still holds A's ANs
    await net.kill(2);
    expect(await b.importFile(await a.exportAmount(cc('3')))).toMatchObject({ accepted: 3, units: cc('3') });
    const moved = b.coins().filter(({ coin }) => coin.pown === 'ppnpp');
    expect(moved).toHaveLength(3);
    // ... and, while it is down, one of those coins' AN on server 2 becomes one nobody knows
    const victim = moved[0]!.coin;
    const ref: CoinRef = { denomination: victim.denomination, serial: victim.serial };
    nodeDb(
      2,
      (db) =>
        db.prepare('UPDATE chips SET an = ? WHERE dn = ? AND sn = ?').run(Buffer.from(randomBytes(16)), ref.denomination, ref.serial)
          .changes,
      false,
    );
    await net.restart(2);

    // the recovery powns server 2 for the other two (it still had A's ANs) and fixes the third
    expect(await b.recover()).toEqual({ settled: 3, dropped: 0 });
    for (const { coin } of b.coins()) {
      expect(coin.pown).toBe('ppppp');
      expect(coin.pans?.every((p) => p === null) ?? true).toBe(true);
    }
    const healed = b.coins().find(({ coin }) => coin.serial === ref.serial && coin.denomination === ref.denomination)!.coin;
    // its AN there is neither A's old one nor the PAN B's pown proposed: fix set it
    expect(healed.ans[2]).not.toBe(victim.ans[2]);
    expect(healed.ans[2]).not.toBe(victim.pans?.[2]);
    const c = client();
    for (let i = 0; i < 5; i++) {
      const own = { ...ref, an: fromHex(healed.ans[i]!) };
      expect(await c.detectOn(i, [own], own)).toEqual(['p']);
    }
    expect(b.balance().total).toBe(cc('103'));
    expect(b.hasFracked()).toBe(false);

    // A coin of the test's own, minted with known ANs, for the attacks
    const x: CoinRef = { denomination: 0, serial: 3_000_000_001 };
    const ans: Uint8Array[] = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(16)));
    for (let i = 0; i < 5; i++) expect(await c.mintOn(i, MINT_KEY, [{ ...x, an: ans[i]! }])).toEqual(['p']);
    const seal = (i: number) => ({ ...x, an: ans[i]! });
    // Detect sealed under `key` (an AN the server knows for x, else it cannot open the request).
    const holds = async (i: number, an: Uint8Array, key = an) => (await c.detectOn(i, [{ ...x, an }], { ...x, an: key }))[0];
    /** Tickets for a fix on `target` from every other server (slot j: server j's). */
    const tickets = async (target: number): Promise<number[]> => {
      const t = Array<number>(FIX_TICKET_SLOTS).fill(0);
      for (let j = 0; j < 5; j++) {
        if (j === target) continue;
        const got = await c.ticketOn(j, target, [{ ...x, an: ans[j]! }], seal(j));
        expect(got.verdicts).toEqual(['p']);
        t[j] = got.ticket!;
      }
      return t;
    };
    const fix = (target: number, t: number[], pg = new Uint8Array(randomBytes(16))) => c.fixOn(target, [x], pg, t, seal(target));

    // forged tickets: nothing changes
    const forged = Array.from({ length: FIX_TICKET_SLOTS }, (_, j) => (j > 0 && j < 5 ? 1 + Math.floor(Math.random() * 0xfffffffe) : 0));
    expect(await fix(0, forged)).toEqual(['f']);
    expect(await holds(0, ans[0]!)).toBe('p');

    // expired tickets
    const old = await tickets(0);
    await sleep(TICKET_MS + 700);
    expect(await fix(0, old)).toEqual(['f']);
    expect(await holds(0, ans[0]!)).toBe('p');

    // too few: two servers of five vouch, a majority is three
    const two = await tickets(0);
    expect(
      await fix(
        0,
        two.map((t, j) => (j <= 2 ? t : 0)),
      ),
    ).toEqual(['f']);
    // tickets another server was named for
    expect(await fix(0, await tickets(1))).toEqual(['f']);
    expect(await holds(0, ans[0]!)).toBe('p');

    // a claim in another server's name uses nothing up; then the fix with them goes through
    const good = await tickets(0);
    expect(await c.validateOn(1, 3, good[1]!)).toBeNull();
    const pg = new Uint8Array(randomBytes(16));
    expect(await fix(0, good, pg)).toEqual(['p']);
    const fixed = fixAn(0, x, pg);
    expect(await holds(0, fixed)).toBe('p');
    expect(await holds(0, ans[0]!, fixed)).toBe('f');
    ans[0] = fixed;
    // replayed: the same tickets again, with another PG, change nothing
    expect(await fix(0, good)).toEqual(['f']);
    expect(await c.validateOn(2, 0, good[2]!)).toBeNull();
    expect(await holds(0, fixed)).toBe('p');

    // on every server the coins add up to what the mint made: 100 + 100 CC and the test's 1 CC
    for (let i = 0; i < 5; i++) {
      const rows = nodeDb(i, (db) => db.prepare('SELECT dn FROM chips').all() as { dn: number }[]);
      expect(rows.reduce((t, r) => t + denominationUnits(r.dn), 0n)).toBe(cc('201'));
    }
  }, 300_000);
});
