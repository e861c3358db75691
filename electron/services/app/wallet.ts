// The contract's wallet requests over the Wallet (electron/services/wallet). What crosses to
// the renderer is amounts, denominations, serials and history rows: never an AN, a PAN or a
// key. An exported coin file is the exception by design: it is the user's to keep.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { ChipsError } from '../../../shared/chips/index.js';
import { ContractError, WALLET_FILE_MAX, type Handlers, type WalletReceived } from '../../../shared/ipc/index.js';
import { denominationUnits } from '../../../shared/raida/index.js';
import { fromHex } from '../../../shared/bytes/index.js';
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { ConnectionPool } from '../net/transport.js';
import type { ChipClient } from '../wallet/client.js';
import { fundWithTestChips } from '../wallet/mint.js';
import type { coinEndpoints } from '../wallet/network.js';
import { NetworkFileError } from '../wallet/network.js';
import { WalletOffline, WalletRunner } from '../wallet/runner.js';
import type { Wallet } from '../wallet/wallet.js';
import { WalletError, formatAmount, parseAmount, type ReceiveResult } from '../wallet/wallet.js';

type WalletRequest = 'wallet.balance' | 'wallet.coins' | 'wallet.history' | 'wallet.import' | 'wallet.export' | 'wallet.fund';
export const WALLET_REQUESTS: readonly WalletRequest[] = [
  'wallet.balance',
  'wallet.coins',
  'wallet.history',
  'wallet.import',
  'wallet.export',
  'wallet.fund',
];

export interface WalletChips {
  /** The network file whose nodes are the coin servers (absent: offline, no import/export). */
  networkFile?: string | undefined;
  /** A test network's mint key (hex): only then is test money offered. */
  mintKey?: string | undefined;
}

export interface WalletHandlerDeps {
  db: Db;
  box: () => SecretBox;
  chips: WalletChips;
  now?: () => number;
  /** Tests pass their own coin servers. */
  client?: (pool: ConnectionPool, endpoints: ReturnType<typeof coinEndpoints>) => ChipClient;
  /** The app's one wallet runner (shared with the tip path); made here when absent. */
  runner?: WalletRunner;
}

function toContract(e: unknown): never {
  if (e instanceof ContractError) throw e;
  if (e instanceof WalletError)
    throw new ContractError(
      e.code === 'bad_amount' || e.code === 'insufficient' || e.code === 'no_change' || e.code === 'empty'
        ? 'invalid_input'
        : 'unavailable',
      sentence(e.message),
    );
  if (e instanceof ChipsError) throw new ContractError('invalid_input', `That is not a coin file QMail can read: ${e.message}.`);
  if (e instanceof NetworkFileError || e instanceof WalletOffline) throw new ContractError('unavailable', e.message);
  throw e;
}

const sentence = (m: string) => (m.endsWith('.') ? m : `${m}.`).replace(/^./, (c) => c.toUpperCase());

const received = (r: ReceiveResult): WalletReceived => ({
  accepted: r.accepted,
  rejected: r.rejected,
  limbo: r.limbo,
  amount: formatAmount(r.units),
});

export function walletHandlers(d: WalletHandlerDeps): Pick<Handlers, WalletRequest> {
  // One operation at a time, shared with the tip path when the app passes its runner.
  const runner =
    d.runner ??
    new WalletRunner({
      db: d.db,
      box: d.box,
      networkFile: d.chips.networkFile,
      ...(d.now ? { now: d.now } : {}),
      ...(d.client ? { client: d.client } : {}),
    });
  const offline = runner.offline();
  /** The wallet on the network's coin servers, for as long as fn runs. */
  const online = <T>(fn: (w: Wallet, client: ChipClient) => Promise<T>): Promise<T> => runner.run(fn).catch(toContract);

  return {
    'wallet.balance': () => {
      const b = offline.balance();
      return {
        total: formatAmount(b.total),
        test: formatAmount(b.test),
        limbo: b.limbo,
        byDenomination: [...b.byDenomination]
          .sort((x, y) => y[0] - x[0])
          .map(([denomination, coins]) => ({ denomination, value: formatAmount(denominationUnits(denomination)), coins })),
        testNetwork: !!d.chips.mintKey,
      };
    },
    'wallet.coins': () => {
      const all = offline.coins().map(({ coin }) => ({
        denomination: coin.denomination,
        value: formatAmount(denominationUnits(coin.denomination)),
        serial: coin.serial,
        test: coin.test,
        state: coin.state,
      }));
      all.sort((a, b) => b.denomination - a.denomination || a.serial - b.serial);
      return { total: all.length, items: all.slice(0, 5000) };
    },
    'wallet.history': ({ limit }) =>
      offline.history(limit).map((e) => ({
        at: e.at,
        kind: e.kind,
        amount: formatAmount(BigInt(e.units)),
        coins: e.coins,
        test: !!e.test,
        ...(e.note ? { note: e.note } : {}),
      })),
    'wallet.import': ({ data, path }) =>
      online(async (w) => {
        let bytes: Uint8Array;
        if (path !== undefined) {
          const size = await stat(path).then(
            (s) => (s.isFile() ? s.size : -1),
            () => -2,
          );
          if (size === -2) throw new ContractError('not_found', `There is no file at ${path}.`);
          if (size < 0 || size > WALLET_FILE_MAX)
            throw new ContractError('invalid_input', 'That is not a coin file: coin files are small (at most 1 MiB).');
          bytes = new Uint8Array(await readFile(path));
        } else {
          bytes = new Uint8Array(Buffer.from(data!, 'base64'));
          if (bytes.length === 0 || bytes.length > WALLET_FILE_MAX)
            throw new ContractError('invalid_input', 'That is not a coin file: coin files are small (at most 1 MiB).');
        }
        // On a network with a mint every coin is test money, wherever the file came from.
        return received(await w.settle(await w.importFile(bytes, d.chips.mintKey ? { test: true } : {})));
      }),
    'wallet.export': ({ amount, to }) =>
      online(async (w) => {
        const units = parseAmount(amount);
        // Opened before the coins leave the wallet: a path we cannot write loses nothing.
        const fh =
          to !== undefined
            ? await open(to, 'w', 0o600).catch((e: Error) => {
                throw new ContractError('invalid_input', `Cannot write ${to}: ${e.message}.`);
              })
            : undefined;
        try {
          const file = await w.exportAmount(units).catch(async (e: unknown) => {
            if (fh)
              await fh
                .close()
                .then(() => unlink(to!))
                .catch(() => undefined);
            throw e;
          });
          const out = {
            amount: formatAmount(units),
            coins: (file[6]! << 8) | file[7]!,
            bytes: file.length,
            name: `${formatAmount(units)}.CloudCoin.bin`,
          };
          if (!fh) return { ...out, data: Buffer.from(file).toString('base64') };
          await fh.writeFile(file);
          return { ...out, path: to! };
        } finally {
          await fh?.close().catch(() => undefined);
        }
      }),
    'wallet.fund': () =>
      online(async (w, client) => {
        if (!d.chips.mintKey)
          throw new ContractError('unavailable', 'Only a test network has a mint: there is no test money on this network.');
        return received(await w.settle(await fundWithTestChips(client, fromHex(d.chips.mintKey), w)));
      }),
  };
}
