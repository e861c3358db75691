// Pown of 100 coins across a local network of five real qmail-servers, as the wallet does it
// on receipt (fresh PANs, all servers at once, majority applied), in coins per second. The
// reference is the same count of raw round trips (echo, Group 0) on the same connections, so
// the ratio is what the coin work (decode, one transaction, AN compare and update) costs.
// Two rows: a wallet that holds a coin on each server (one sealed batch per server: 5 round
// trips) and a new wallet (each coin sealed by itself: 500 round trips).
// A third row: a tipped Tell (the sender fills a locker with the recipient's 0.1 CC fee, the
// beacon collects it, keeps a 10 % cut and re-lockers the rest) against a free Tell to an
// inbox without a fee, on the same beacon: what paying costs the sending of one qmail.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../shared/bytes/index.js';
import { Group, makeChallenge } from '../../shared/raida/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { openDatabase } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { ConnectionPool, type Endpoint } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet } from '../../electron/services/wallet/wallet.js';
import { tempDir } from '../../tests/support/tmp.js';
import { median, type BenchContext, type BenchResult, type Suite } from '../types.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { DrdClient } from '../../electron/services/net/drd.js';

const FEE = 10_000_000n; // 0.1 CC

const COINS = 100;
const NODES = 5;
/** Sender, a recipient charging 0.1 CC, a recipient with a free inbox: served by every node from its config. */
const MAILBOXES = [5001, 5002, 5003].map((serial) => ({ serial, an: new Uint8Array(randomBytes(16)) }));

type Mint = (count: number, denomination?: number) => Promise<{ denomination: number; serial: number; ans: Uint8Array[] }[]>;

async function tipRow(ctx: BenchContext, endpoints: Endpoint[], pool: ConnectionPool, wallet: Wallet, mint: Mint, n: number) {
  const [from, paid, free] = MAILBOXES.map((m) => ({ mailbox: { coinGroup: 6, denomination: 0, serial: m.serial }, an: m.an }));
  const beacon = new QMailServerClient(pool, endpoints[0]!);
  const drd = new DrdClient(pool, endpoints[0]!);
  const profile = (fee: bigint) => ({ fee, classRejection: 0, symbol1: 0, symbol2: 0, firstName: 'B', lastName: '' });
  await drd.postUser({ mailbox: paid!.mailbox, an: paid!.an }, profile(FEE));
  await drd.postUser({ mailbox: free!.mailbox, an: free!.an }, profile(0n));
  await wallet.receive(await mint(n + 2, -1), { kind: 'minted', test: true });
  const tell = (to: typeof paid, code?: Uint8Array) =>
    beacon.tell(from!, {
      fileGroupGuid: new Uint8Array(randomBytes(16)),
      timestamp: Math.floor(Date.now() / 1000),
      tellType: 0,
      beaconPaymentLocker: code ? code.subarray(0, 8) : new Uint8Array(8),
      recipients: [{ addressType: 0, address: to!.mailbox, lockerKey: code ?? new Uint8Array(16) }],
      servers: [],
      manifest: [],
    });
  const tipped: number[] = [];
  const plain: number[] = [];
  for (let k = 0; k < n; k++) {
    let t0 = performance.now();
    const { code } = await wallet.putInLocker(FEE);
    await tell(paid, code);
    wallet.forgetLocker(code);
    tipped.push(performance.now() - t0);
    t0 = performance.now();
    await tell(free);
    plain.push(performance.now() - t0);
  }
  ctx.log(`tipped Tell ${median(tipped).toFixed(1)} ms, free Tell ${median(plain).toFixed(1)} ms (medians of ${n})`);
  return {
    name: 'tipped Tell: locker of the 0.1 CC fee + Tell, beacon collects it (ms, median)',
    value: median(tipped),
    unit: 'ms',
    reference_name: 'free Tell to an inbox without a fee, same beacon (ms, median)',
    reference_value: median(plain),
    ratio: median(tipped) / median(plain),
    notes: `median of ${n}; ${NODES} servers, 10 % operator cut`,
  } satisfies BenchResult;
}

const suite: Suite = {
  name: 'chips',
  async run(ctx) {
    const rounds = ctx.quick ? 2 : 5;
    const mintKey = new Uint8Array(randomBytes(16));
    const tmp = tempDir('qmail-bench-chips-');
    let net: LocalNetwork | undefined;
    const pool = new ConnectionPool(1);
    try {
      net = await startLocalNetwork({
        dir: join(tmp.path, 'net'),
        nodes: NODES,
        nodeConfig: {
          log: { level: 'warn' },
          chips: { mintKey: toHex(mintKey) },
          operator: { inboxFeeCut: 0.1 },
          limits: { tellsPerSenderPerMinute: 100_000, maxPendingTellsPerSender: 100_000 },
          legacy: { mailboxes: MAILBOXES.map((m) => ({ denomination: 0, serial: m.serial, an: toHex(m.an) })) },
        },
      });
      const endpoints: Endpoint[] = [...net.network.nodes]
        .sort((a, b) => a.raidaId - b.raidaId)
        .map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
      const client = new ChipClient(pool, endpoints);
      let serial = 1;
      const mint = async (count: number, denomination = 0) => {
        const coins = Array.from({ length: count }, () => ({
          denomination,
          serial: serial++,
          ans: Array.from({ length: NODES }, () => new Uint8Array(randomBytes(16))),
        }));
        await Promise.all(
          endpoints.map((_, i) =>
            client.mintOn(
              i,
              mintKey,
              coins.map((c) => ({ denomination: c.denomination, serial: c.serial, an: c.ans[i]! })),
            ),
          ),
        );
        return coins;
      };
      const walletAt = (name: string) => {
        const db = openDatabase(join(tmp.path, name, 'profile.db'));
        const box = new SecretBox(new Uint8Array(randomBytes(32)));
        return { db, wallet: new Wallet(new WalletStore(db, () => box), client) };
      };
      const echo = async (perServer: number) => {
        const t0 = performance.now();
        await Promise.all(
          endpoints.map(async (e) => {
            for (let k = 0; k < perServer; k++)
              await pool.get(e).call({
                group: Group.STATUS,
                command: 0,
                body: Uint8Array.from([...makeChallenge(new Uint8Array(randomBytes(12))), 0x3e, 0x3e]),
              });
          }),
        );
        return performance.now() - t0;
      };
      const out: BenchResult[] = [];
      for (const [label, seeded, perServer] of [
        ['a wallet holding a coin on each server', true, 1],
        ['a new wallet (each coin sealed by itself)', false, COINS],
      ] as const) {
        const times: number[] = [];
        const refs: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const { db, wallet } = walletAt(`${seeded ? 's' : 'n'}${r}`);
          if (seeded) await wallet.receive(await mint(1), { kind: 'minted', test: true });
          const coins = await mint(COINS);
          await echo(perServer); // warm both paths alike
          const t0 = performance.now();
          const got = await wallet.receive(coins, { kind: 'minted', test: true });
          times.push(performance.now() - t0);
          if (got.accepted !== COINS) throw new Error(`pown accepted ${got.accepted} of ${COINS}`);
          refs.push(await echo(perServer));
          db.close();
        }
        const value = COINS / (median(times) / 1000);
        const reference = COINS / (median(refs) / 1000);
        ctx.log(`${label}: pown ${median(times).toFixed(1)} ms, ${NODES * perServer} echo round trips ${median(refs).toFixed(1)} ms`);
        out.push({
          name: `pown of ${COINS} coins on ${NODES} servers, ${label} (coins/s)`,
          value,
          unit: 'coins/s',
          reference_name: `${NODES * perServer} raw echo round trips on the same connections, as coins/s`,
          reference_value: reference,
          ratio: value / reference,
          notes: `median of ${rounds}`,
        });
      }
      out.push(await tipRow(ctx, endpoints, pool, walletAt('tipper').wallet, mint, rounds * 3));
      return out;
    } finally {
      pool.closeAll();
      await net?.close();
      tmp.remove();
    }
  },
};
export default suite;
