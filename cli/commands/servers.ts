import type { Command } from 'commander';
import { closeProfile, directoryFromNetworkFile, openProfile } from '../../electron/services/app/profile.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { coinEndpoints } from '../../electron/services/wallet/network.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet, formatAmount } from '../../electron/services/wallet/wallet.js';
import {
  filterServers,
  hireServer,
  marketServer,
  sortServers,
  type Hired,
  type MarketFilter,
  type MarketServer,
  type MarketSort,
} from '../../electron/services/market/market.js';
import { networkFor, withNetwork, withProfile } from '../defaults.js';

type ListOpts = {
  profile: string;
  network?: string;
  json?: boolean;
  sort?: string;
  maxPrice?: string;
  maxLatency?: string;
  minUptime?: string;
  jurisdiction?: string;
};
type HireOpts = { profile: string; network?: string; json?: boolean; months: string; quota: string };

function numberOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of at least 0`);
  return n;
}
function whole(v: string, name: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be a whole number from 1 to ${max}`);
  return n;
}

const row = (s: MarketServer) =>
  `${s.nodeId.slice(0, 8)}  ${s.name.padEnd(20)} ${String(s.pricePerMbMonth).padStart(8)} CC/MB-month  ${
    s.latencyMs === null ? '     - ' : `${s.latencyMs.toFixed(1).padStart(6)} `
  }ms  ${(s.uptime * 100).toFixed(0).padStart(3)}% up  cut ${(s.inboxFeeCut * 100).toFixed(0)}%  ${s.jurisdiction} / ${s.location}${
    s.hireRequired ? '' : '  (free: test network)'
  }`;

const hiredJson = (h: Hired, nodeId: string) => ({
  nodeId,
  server: h.server,
  expiresAt: new Date(h.expiresAt).toISOString(),
  quotaMb: h.quotaMb,
  paid: Number(formatAmount(h.paidUnits)),
  price: Number(formatAmount(h.priceUnits)),
});

/** Hires (or renews) `ids` for the profile's identity, paying from its wallet; prints one line or object per server. */
async function hireFor(o: HireOpts, pick: (all: MarketServer[], mine: Set<string>) => MarketServer[]): Promise<void> {
  const months = whole(o.months, '--months', 24);
  const quotaMb = whole(o.quota, '--quota', 0xffffffff);
  const network = await networkFor(o);
  const app = await openProfile({ profile: o.profile, network });
  const pool = new ConnectionPool(2);
  try {
    const me = app.mail.account.me();
    const wallet = new Wallet(new WalletStore(app.db, () => app.vault.box()), new ChipClient(pool, coinEndpoints(network)));
    const all = (await new DirectoryClient(directoryFromNetworkFile(network)).servers()).map(marketServer);
    const mine = new Map(me.servers.map((s) => [s.nodeId, s]));
    const chosen = pick(all, new Set(mine.keys()));
    const out: ReturnType<typeof hiredJson>[] = [];
    for (const s of chosen) {
      const an = mine.get(s.nodeId)?.an;
      const h = await hireServer({
        wallet,
        pool,
        server: s,
        mailbox: me.mailbox,
        ...(an ? { an: new Uint8Array(Buffer.from(an, 'hex')) } : {}),
        months,
        quotaMb,
      });
      out.push(hiredJson(h, s.nodeId));
      if (!o.json)
        process.stdout.write(`${s.name}: hired until ${new Date(h.expiresAt).toISOString()}, ${formatAmount(h.paidUnits)} CC paid\n`);
    }
    if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    pool.closeAll();
    await closeProfile(app);
  }
}

export function register(program: Command): void {
  const servers = program.command('servers').description('the server market: what servers offer, hiring and renewing them');

  withNetwork(
    withProfile(servers.command('list').description("every server the network's directory lists, with its offer and measurements")),
  )
    .option('--json', 'print JSON: one object per server (price in CC per MB-month, latency ms, uptime 0..1)')
    .option('--sort <by>', 'price | latency | uptime', 'price')
    .option('--max-price <cc>', 'CC per MB-month at most')
    .option('--max-latency <ms>', 'measured latency at most')
    .option('--min-uptime <ratio>', 'measured availability at least, 0..1')
    .option('--jurisdiction <name>', 'only servers in this jurisdiction')
    .action(async (o: ListOpts) => {
      const sort = (o.sort ?? 'price') as MarketSort;
      if (!['price', 'latency', 'uptime'].includes(sort)) throw new Error('--sort must be price, latency or uptime');
      const filter: MarketFilter = {};
      const maxPrice = numberOption(o.maxPrice, '--max-price');
      const maxLatency = numberOption(o.maxLatency, '--max-latency');
      const minUptime = numberOption(o.minUptime, '--min-uptime');
      if (maxPrice !== undefined) filter.maxPrice = maxPrice;
      if (maxLatency !== undefined) filter.maxLatencyMs = maxLatency;
      if (minUptime !== undefined) filter.minUptime = minUptime;
      if (o.jurisdiction) filter.jurisdiction = o.jurisdiction;
      const network = await networkFor(o);
      const all = (await new DirectoryClient(directoryFromNetworkFile(network)).servers()).map(marketServer);
      const list = sortServers(filterServers(all, filter), sort);
      if (o.json) process.stdout.write(JSON.stringify(list) + '\n');
      else for (const s of list) process.stdout.write(row(s) + '\n');
    });

  withNetwork(withProfile(servers.command('hire').description("pay servers for a term for this profile's address, from its wallet")))
    .argument('<nodeIds...>', 'node ids (or their first 8 or more hex digits)')
    .option('--months <n>', 'term in months of 30 days (1..24)', '1')
    .option('--quota <mb>', 'storage bought, MB', '10')
    .option('--json', 'print JSON: per server its term end, quota, price and what was paid (CC)')
    .action(async (ids: string[], o: HireOpts) => {
      await hireFor(o, (all) =>
        ids.map((id) => {
          const m = id.length >= 8 ? all.filter((s) => s.nodeId.startsWith(id.toLowerCase())) : [];
          if (m.length !== 1) throw new Error(`${id}: ${m.length ? 'names more than one server' : 'no such server in the directory'}`);
          return m[0]!;
        }),
      );
    });

  withNetwork(
    withProfile(
      servers.command('renew').description("extend the term on every server this profile's address has hired that takes paid hires"),
    ),
  )
    .option('--months <n>', 'months added to each term (1..24)', '1')
    .option('--quota <mb>', 'storage for the new term, MB', '10')
    .option('--json', 'print JSON, as hire does')
    .action(async (o: HireOpts) => {
      await hireFor(o, (all, mine) => all.filter((s) => mine.has(s.nodeId) && s.hireRequired));
    });
}
