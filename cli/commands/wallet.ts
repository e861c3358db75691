import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { ChipClient } from '../../electron/services/wallet/client.js';
import { fundWithTestChips } from '../../electron/services/wallet/mint.js';
import { coinEndpoints } from '../../electron/services/wallet/network.js';
import { WalletStore } from '../../electron/store/wallet.js';
import { Wallet, denominationLabel, formatAmount, parseAmount, type ReceiveResult } from '../../electron/services/wallet/wallet.js';
import { fromHex } from '../../shared/bytes/index.js';
import { networkFor, resolveNetwork, withNetwork, withProfile } from '../defaults.js';
import { readMintKey } from '../../dev-network/mint.js';

type Opts = { profile: string; network?: string; json?: boolean };

/** The profile's wallet, on the network's coin servers when the command needs them. */
async function withWallet<T>(o: Opts, online: boolean, fn: (w: Wallet) => Promise<T>): Promise<T> {
  const network = online ? await networkFor(o) : undefined;
  const app = await openProfile({ profile: o.profile, ...(network ? { network } : {}), create: true });
  const pool = new ConnectionPool(2);
  try {
    const client = new ChipClient(pool, network ? coinEndpoints(network) : []);
    const wallet = new Wallet(new WalletStore(app.db, () => app.vault.box()), client);
    // Coins a lost answer left in limbo are settled before anything else, as the app does.
    if (online && wallet.hasLimbo()) await wallet.recover().catch(() => undefined);
    return await fn(wallet);
  } finally {
    pool.closeAll();
    await closeProfile(app);
  }
}

const ccNumber = (units: bigint): number => Number(formatAmount(units));

function printReceived(r: ReceiveResult, json: boolean | undefined): void {
  if (json)
    process.stdout.write(JSON.stringify({ accepted: r.accepted, rejected: r.rejected, limbo: r.limbo, amount: ccNumber(r.units) }) + '\n');
  else
    process.stdout.write(
      `${r.accepted} coin(s), ${formatAmount(r.units)} CC, now yours; ${r.rejected} refused (counterfeit or already held); ${r.limbo} undecided\n`,
    );
}

export function register(program: Command): void {
  const wallet = program.command('wallet').description('Chips: the balance, importing and exporting coin files');

  withProfile(wallet.command('balance').description('what the wallet holds, by denomination'))
    .option('--json', 'print {"total": CC, "byDenomination": {denomination in CC: coins}, "test": CC of test money, "limbo": coins}')
    .action(async (o: Opts) => {
      await withWallet(o, false, async (w) => {
        const b = w.balance();
        const by = Object.fromEntries([...b.byDenomination].sort((x, y) => y[0] - x[0]).map(([d, n]) => [denominationLabel(d), n]));
        if (o.json)
          process.stdout.write(
            JSON.stringify({ total: ccNumber(b.total), byDenomination: by, test: ccNumber(b.test), limbo: b.limbo }) + '\n',
          );
        else {
          process.stdout.write(
            `${formatAmount(b.total)} CC${b.test > 0n ? ` (${formatAmount(b.test)} CC of it test money, not real)` : ''}\n`,
          );
          for (const [d, n] of Object.entries(by)) process.stdout.write(`  ${n} × ${d} CC\n`);
          if (b.limbo) process.stdout.write(`  ${b.limbo} coin(s) undecided\n`);
        }
      });
    });

  withProfile(wallet.command('history').description('what came in and went out, newest first'))
    .option('--limit <n>', 'entries', '50')
    .option('--json', 'print JSON')
    .action(async (o: Opts & { limit: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error('--limit must be a whole number from 1 to 10000');
      await withWallet(o, false, async (w) => {
        const rows = w.history(limit).map((e) => ({
          at: new Date(e.at).toISOString(),
          kind: e.kind,
          amount: ccNumber(BigInt(e.units)),
          coins: e.coins,
          ...(e.test ? { test: true } : {}),
          ...(e.note ? { note: e.note } : {}),
        }));
        if (o.json) process.stdout.write(JSON.stringify(rows) + '\n');
        else
          for (const r of rows)
            process.stdout.write(
              `${r.at}  ${r.kind.padEnd(9)}  ${String(r.amount).padStart(12)} CC  ${r.coins} coin(s)${r.test ? '  test money' : ''}${r.note ? `  ${r.note}` : ''}\n`,
            );
      });
    });

  withNetwork(
    withProfile(
      wallet
        .command('import')
        .description('take the coins of a coin file (format 9, .bin, .stack): they are powned to new ANs only this wallet knows'),
    ),
  )
    .argument('<file>', 'the coin file')
    .option('--json', 'print JSON')
    .action(async (file: string, o: Opts) => {
      const bytes = new Uint8Array(readFileSync(file));
      await withWallet(o, true, async (w) => printReceived(await w.settle(await w.importFile(bytes)), o.json));
    });

  withNetwork(
    withProfile(wallet.command('export').description('write coins worth exactly an amount to a format 9 file; they leave the wallet')),
  )
    .requiredOption('--amount <cc>', 'amount in CC, up to 8 decimals')
    .requiredOption('--to <file>', 'where to write the coin file')
    .option('--json', 'print JSON')
    .action(async (o: Opts & { amount: string; to: string }) => {
      const units = parseAmount(o.amount);
      await withWallet(o, true, async (w) => {
        const file = await w.exportAmount(units);
        // A coin file holds bearer coins: only its owner may read it.
        writeFileSync(o.to, file, { mode: 0o600 });
        if (o.json) process.stdout.write(JSON.stringify({ amount: ccNumber(units), file: o.to, bytes: file.length }) + '\n');
        else process.stdout.write(`${formatAmount(units)} CC written to ${o.to}\n`);
      });
    });

  withNetwork(withProfile(wallet.command('fund').description("test networks only: 100 test CC from the network's mint (not real money)")))
    .option('--mint-key <hex>', "the nodes' chips.mintKey (the embedded network's own when not given)")
    .option('--json', 'print JSON')
    .action(async (o: Opts & { mintKey?: string }) => {
      const r = await resolveNetwork(o);
      const key = o.mintKey ?? (r.source === 'embedded' ? readMintKey(r.status.dir) : undefined);
      if (!key) throw new Error('no mint: pass --mint-key (only test networks have one)');
      if (!/^[0-9a-fA-F]{32}$/.test(key)) throw new Error('--mint-key is 16 bytes of hex');
      await withWallet(o, true, async (w) => {
        const pool = new ConnectionPool(1);
        try {
          const endpoints = coinEndpoints(await networkFor(o));
          printReceived(await w.settle(await fundWithTestChips(new ChipClient(pool, endpoints), fromHex(key), w)), o.json);
        } finally {
          pool.closeAll();
        }
      });
    });
}
