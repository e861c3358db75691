// Pown of 100 coins across a local network of five real qmail-servers, as the wallet does it
// on receipt (fresh PANs, all servers at once, majority applied), in coins per second. The
// reference is the same count of raw round trips (echo, Group 0) on the same connections, so
// the ratio is what the coin work (decode, one transaction, AN compare and update) costs.
// Two rows: a wallet that holds a coin on each server (one sealed batch per server: 5 round
// trips) and a new wallet (each coin sealed by itself: 500 round trips).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../shared/bytes/index.js';
import { Group, makeChallenge } from '../../shared/raida/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { openDatabase } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { ConnectionPool, type Endpoint } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { WalletStore } from '../../electron/services/wallet/store.js';
import { Wallet } from '../../electron/services/wallet/wallet.js';
import { tempDir } from '../../tests/support/tmp.js';
import { median, type BenchResult, type Suite } from '../types.js';

const COINS = 100;
const NODES = 5;

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
        nodeConfig: { log: { level: 'warn' }, chips: { mintKey: toHex(mintKey) } },
      });
      const endpoints: Endpoint[] = [...net.network.nodes]
        .sort((a, b) => a.raidaId - b.raidaId)
        .map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
      const client = new ChipClient(pool, endpoints);
      let serial = 1;
      const mint = async (count: number) => {
        const coins = Array.from({ length: count }, () => ({
          denomination: 0,
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
      return out;
    } finally {
      pool.closeAll();
      await net?.close();
      tmp.remove();
    }
  },
};
export default suite;
