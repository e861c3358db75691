// Fix (RAIDA healing) on a real local network of five qmail-servers: a coin fracked on one
// server (its AN there neither ours nor known to us) is healed by the wallet's recovery with
// tickets from the other four; forged, expired, replayed, misdirected and too few tickets are
// refused, and so are forged validate votes (a listener answering in a server's place without
// that server's signature) and the votes of a server the network file gives no key for; and
// every server still holds exactly the value the mint made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import Database from 'better-sqlite3';
import { fromHex, toHex } from '../../shared/bytes/index.js';
import {
  FIX_TICKET_SLOTS,
  decodeValidateTicket,
  encodeCoinList,
  encodeValidateAnswer,
  fixAn,
  signVote,
  type ValidateTicketRequest,
  type ValidateVote,
} from '../../shared/chips/index.js';
import {
  HEADER_LENGTH,
  Status,
  decodeRequest,
  decodeRequestHeader,
  denominationUnits,
  respondTo,
  type CoinRef,
} from '../../shared/raida/index.js';
import { loadOperatorKey } from '../../server/directory/descriptor.js';
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
const nonce = () => new Uint8Array(randomBytes(32));

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
    expect(await c.validateOn(1, 3, good[1]!, nonce())).toBeNull();
    const pg = new Uint8Array(randomBytes(16));
    expect(await fix(0, good, pg)).toEqual(['p']);
    const fixed = fixAn(0, x, pg);
    expect(await holds(0, fixed)).toBe('p');
    expect(await holds(0, ans[0]!, fixed)).toBe('f');
    ans[0] = fixed;
    // replayed: the same tickets again, with another PG, change nothing
    expect(await fix(0, good)).toEqual(['f']);
    expect(await c.validateOn(2, 0, good[2]!, nonce())).toBeNull();
    expect(await holds(0, fixed)).toBe('p');

    // Forged votes. Slot 3 of the network file now points at a listener of the attacker's that
    // answers every validate listing the coin: with the genuine votes of servers 1 and 2 it
    // would make the majority of three. Only a vote signed by server 3's operator key counts.
    const realFile = readFileSync(net.file, 'utf8');
    const rewrite = (edit: (n: { raidaId: number; host: string; port: number; descriptor?: unknown }) => void) => {
      const j = JSON.parse(realFile) as { nodes: { raidaId: number; host: string; port: number; descriptor?: unknown }[] };
      edit(j.nodes.find((n) => n.raidaId === 3)!);
      writeFileSync(net.file, JSON.stringify(j, null, 2) + '\n');
    };
    const key3 = loadOperatorKey(net.network.nodes[3]!.dataDir);
    const attacker = ml_dsa65.keygen(new Uint8Array(randomBytes(32)));
    let forge: (v: ValidateTicketRequest) => Uint8Array = () => new Uint8Array(0);
    let asked = 0;
    const fake = createServer((sock) => {
      let got = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < HEADER_LENGTH || got.length < HEADER_LENGTH + decodeRequestHeader(new Uint8Array(got)).bodyLength) return;
        const req = decodeRequest(new Uint8Array(got), () => undefined);
        asked++;
        sock.end(respondTo(req, Status.SUCCESS, forge(decodeValidateTicket(req.body))));
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const sign = (k: { secretKey: Uint8Array }, v: ValidateVote) =>
      encodeValidateAnswer(v.coins, signVote(v, k.secretKey, new Uint8Array(randomBytes(32))));
    const asServer3 = (v: ValidateTicketRequest): ValidateVote => ({
      claimer: v.claimer,
      validator: 3,
      ticket: v.ticket,
      nonce: v.nonce,
      coins: [x],
    });
    /** A fix on server 0 with fresh tickets from servers 1, 2 and 3 (none from 4). */
    const fixWithThree = async (pg = new Uint8Array(randomBytes(16))) => {
      const t = await tickets(0);
      t[4] = 0;
      return { verdict: await fix(0, t, pg), t, pg };
    };
    try {
      rewrite((n) => {
        n.host = '127.0.0.1';
        n.port = (fake.address() as { port: number }).port;
      });
      const forgeries: [string, (v: ValidateTicketRequest) => Uint8Array][] = [
        ['signed by another key', (v) => sign(attacker, asServer3(v))],
        ['server 3’s signature over another nonce', (v) => sign(key3, { ...asServer3(v), nonce: nonce() })],
        ['server 3’s signature for another claimer', (v) => sign(key3, { ...asServer3(v), claimer: 1 })],
        ['server 3’s signature over another ticket', (v) => sign(key3, { ...asServer3(v), ticket: (v.ticket ^ 1) >>> 0 })],
        [
          'server 3’s signature over no coin, the coin added',
          (v) => encodeValidateAnswer([x], sign(key3, { ...asServer3(v), coins: [] }).subarray(3)),
        ],
        ['unsigned, as the C server answers', () => encodeCoinList([x])],
      ];
      for (const [what, f] of forgeries) {
        forge = f;
        const before = asked;
        expect((await fixWithThree()).verdict, what).toEqual(['f']);
        expect(asked, what).toBe(before + 1);
        expect(await holds(0, ans[0]!), what).toBe('p');
      }
      // The same listener answering with a vote signed by server 3's key over exactly this claim
      // counts: what refused the forgeries was their signatures.
      forge = (v) => sign(key3, asServer3(v));
      const relayed = await fixWithThree();
      expect(relayed.verdict).toEqual(['p']);
      ans[0] = fixAn(0, x, relayed.pg);
      expect(await holds(0, ans[0])).toBe('p');

      // An older network file, without server 3's descriptor: server 3 is not asked (its vote
      // could not count), so two votes are too few and its ticket stays unused.
      rewrite((n) => delete n.descriptor);
      const before = asked;
      const old3 = await fixWithThree();
      expect(old3.verdict).toEqual(['f']);
      expect(asked).toBe(before);
      expect(await holds(0, ans[0])).toBe('p');
      expect((await c.validateOn(3, 0, old3.t[3]!, nonce()))?.coins).toEqual([x]);
    } finally {
      writeFileSync(net.file, realFile);
      await new Promise<void>((r) => fake.close(() => r()));
    }

    // on every server the coins add up to what the mint made: 100 + 100 CC and the test's 1 CC
    for (let i = 0; i < 5; i++) {
      const rows = nodeDb(i, (db) => db.prepare('SELECT dn FROM chips').all() as { dn: number }[]);
      expect(rows.reduce((t, r) => t + denominationUnits(r.dn), 0n)).toBe(cc('201'));
    }
  }, 300_000);
});
