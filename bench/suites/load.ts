// Load on loopback, one node and the 5-node local network (real processes): valid users
// peek (cmd 73) as fast as they can on kept-alive connections, first quiet, then with a
// slowloris (512 sockets on the single node, 256 per node on the network, one byte a
// second, from 17 loopback addresses per node) and a
// junk-request flood (100 per second per node) beside them, from a process of their own at a
// lower CPU priority (an attacker does not share the node's CPU; the log says what it did).
// The quiet run is each row's
// reference; rounds alternate quiet / attacked; throughput and RSS are medians over rounds,
// p50 and p99 are taken over all rounds' samples together.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, type BenchResult, type Suite } from '../types.js';
import { newIdentity } from '../../server/testing/client.js';
import { provisioned, rssMbOf, startNodeProcess } from '../../server/testing/process.js';
import { loadRound, type LoadFigures, type LoadOptions } from '../../server/testing/load.js';
import { startLocalNetwork } from '../../dev-network/launcher.js';

async function measure(
  label: string,
  o: Omit<LoadOptions, 'attack'>,
  rounds: number,
  log: (l: string) => void,
  notes: string,
): Promise<BenchResult[]> {
  const quiet: LoadFigures[] = [];
  const attacked: LoadFigures[] = [];
  await loadRound({ ...o, attack: false }); // warm-up
  for (let r = 0; r < rounds; r++) {
    quiet.push(await loadRound({ ...o, attack: false }));
    attacked.push(await loadRound({ ...o, attack: true }));
    const q = quiet.at(-1)!;
    const a = attacked.at(-1)!;
    const t = a.attack;
    const what = t
      ? `; attack: ${t.liveAtStop} slowloris sockets open at the end, ${t.opened} opened, ${t.closedByNode} closed by the nodes, ${t.junkSent} junk requests in ${t.seconds.toFixed(1)} s (${t.junkAnswered} answered)`
      : '';
    log(
      `${label} round ${r + 1}/${rounds}: quiet ${q.throughput.toFixed(0)}/s p50 ${q.p50.toFixed(2)} p99 ${q.p99.toFixed(2)} ms; attacked ${a.throughput.toFixed(0)}/s p50 ${a.p50.toFixed(2)} p99 ${a.p99.toFixed(2)} ms, ${a.failures} failed${what}`,
    );
  }
  // throughput and RSS: the median over rounds; p50 and p99: over every round's samples together
  const m = (list: LoadFigures[], k: 'throughput' | 'rssMb' | 'p50' | 'p99') =>
    k === 'p50' || k === 'p99'
      ? percentile(
          list.flatMap((f) => f.samples),
          k === 'p50' ? 50 : 99,
        )
      : median(list.map((f) => f[k]));
  const failed = attacked.reduce((s, f) => s + f.failures, 0) + quiet.reduce((s, f) => s + f.failures, 0);
  const row = (what: string, k: 'throughput' | 'rssMb' | 'p50' | 'p99', unit: string, extra = ''): BenchResult => {
    const value = m(attacked, k);
    const reference_value = m(quiet, k);
    return {
      name: `load ${label}: ${what} with slowloris + junk flood`,
      value,
      unit,
      reference_name: `same, quiet`,
      reference_value,
      ratio: value / reference_value,
      notes: `${notes}; ${failed} failed${extra}`,
    };
  };
  return [
    row('peek throughput', 'throughput', 'req/s'),
    row('p50', 'p50', 'ms'),
    row('p99 (goal: ratio ≤ 2)', 'p99', 'ms'),
    row('peak RSS', 'rssMb', 'MB'),
  ];
}

const suite: Suite = {
  name: 'load',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const perUser = ctx.quick ? 100 : 300;
    const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-load-'));
    const rows: BenchResult[] = [];
    try {
      const users = Array.from({ length: 4 }, (_, i) => newIdentity(7000 + i));
      const node = await startNodeProcess(join(dir, 'node'), {
        limits: { requestTimeoutMs: 5000 },
        legacy: { mailboxes: provisioned(users) },
      });
      try {
        rows.push(
          ...(await measure(
            'one node',
            { ports: [node.port], users, requestsPerUser: perUser, rss: node.rssMb },
            rounds,
            ctx.log,
            `4 users x ${perUser} peeks x ${rounds} rounds`,
          )),
        );
      } finally {
        await node.stop();
      }
      const netUsers = Array.from({ length: 10 }, (_, i) => newIdentity(7100 + i));
      const net = await startLocalNetwork({
        dir: join(dir, 'net'),
        nodes: 5,
        reusePorts: false,
        nodeConfig: {
          storage: { durable: false },
          log: { level: 'warn' },
          limits: { requestTimeoutMs: 5000 },
          legacy: { mailboxes: provisioned(netUsers) },
        },
      });
      try {
        const ports = net.network.nodes.map((n) => n.port);
        const rss = () => net.network.nodes.reduce((s, n) => s + rssMbOf(n.pid), 0);
        rows.push(
          ...(await measure(
            '5-node network',
            { ports, users: netUsers, requestsPerUser: perUser, rss, slowlorisSockets: 256 },
            rounds,
            ctx.log,
            `10 users (2 per node) x ${perUser} peeks x ${rounds} rounds, 256 slowloris sockets per node, RSS of all 5 nodes`,
          )),
        );
      } finally {
        await net.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
