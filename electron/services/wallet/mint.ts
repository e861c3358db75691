// A test network's mint: creates coins on every node (command 98, under the nodes' mint key)
// and hands them to a wallet, which powns them to ANs only it knows. Test money, labelled so.
import { randomBytes, randomInt } from 'node:crypto';
import { majority, type CoinAn } from '../../../shared/chips/index.js';
import type { ChipClient } from './client.js';
import type { ReceiveResult, Wallet } from './wallet.js';

/** What a new wallet on a test network gets: 100 test CC as 5 × 10, 40 × 1 and 100 × 0.1. */
export const TEST_FUNDING: readonly { denomination: number; count: number }[] = [
  { denomination: 1, count: 5 },
  { denomination: 0, count: 40 },
  { denomination: -1, count: 100 },
];

export async function fundWithTestChips(
  client: ChipClient,
  mintKey: Uint8Array,
  wallet: Wallet,
  plan = TEST_FUNDING,
): Promise<ReceiveResult> {
  // Serials at random in the upper half: change hands out the lowest free ones.
  const coins = plan.flatMap(({ denomination, count }) =>
    Array.from({ length: count }, () => ({
      denomination,
      serial: randomInt(0x40000000, 0x7fffffff),
      ans: Array.from({ length: client.servers }, () => new Uint8Array(randomBytes(16))),
    })),
  );
  const minted = await Promise.all(
    Array.from({ length: client.servers }, (_, i) =>
      client.mintOn(
        i,
        mintKey,
        coins.map((c): CoinAn => ({ denomination: c.denomination, serial: c.serial, an: c.ans[i]! })),
      ),
    ),
  );
  const made = coins.filter((_, k) => minted.filter((v) => v[k] === 'p').length >= majority(client.servers));
  return wallet.receive(made, { kind: 'minted', test: true, note: 'test Chips from the local mint: not real money' });
}
