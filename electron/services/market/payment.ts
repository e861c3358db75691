// The app's payment for hiring (EXT-10): when onboarding (or a send reaching a new beacon)
// registers on a node that requires a paid term, the profile's wallet pays it first, on the
// network's coin servers, and the term the node granted is recorded (terms.ts) so the app
// can show it and renew it. One payment at a time; the pool lives as long as the payment.
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { formatMailbox, type Mailbox } from '../../../shared/cbdf/address.js';
import type { ServerDescriptor } from '../directory/client.js';
import { ConnectionPool } from '../net/transport.js';
import { ChipClient } from '../wallet/client.js';
import { coinEndpoints } from '../wallet/network.js';
import { WalletStore } from '../../store/wallet.js';
import { Wallet } from '../wallet/wallet.js';
import type { WalletRunner } from '../wallet/runner.js';
import { hireServer, marketServer, type Hired } from './market.js';
import { TermStore } from '../../store/market-terms.js';

/** What a hire made by the app buys unless the user chose otherwise: a month of 10 MB. */
export const DEFAULT_TERM = { months: 1, quotaMb: 10 };

export interface WalletPaymentDeps {
  db: Db;
  box: () => SecretBox;
  /** The network file whose nodes are the coin servers. */
  networkFile: string;
  /** The term to buy (read at each payment: the picker sets it for the hire it starts). */
  term?: () => { months: number; quotaMb: number };
  now?: () => number;
  /** The app's one wallet runner: payments then wait for (and never interleave with) its other operations. */
  runner?: WalletRunner;
}

/** Runs fn with the profile's wallet on the network's coin servers, and a pool for the hire. */
export async function withWallet<T>(d: WalletPaymentDeps, fn: (wallet: Wallet, pool: ConnectionPool) => Promise<T>): Promise<T> {
  if (d.runner)
    return d.runner.run(async (wallet) => {
      const pool = new ConnectionPool(2);
      try {
        return await fn(wallet, pool);
      } finally {
        pool.closeAll();
      }
    });
  const pool = new ConnectionPool(2);
  try {
    return await fn(new Wallet(new WalletStore(d.db, d.box), new ChipClient(pool, coinEndpoints(d.networkFile))), pool);
  } finally {
    pool.closeAll();
  }
}

/** Records the term a hire (or renewal) bought. */
export function recordTerm(terms: TermStore, mailbox: Mailbox, nodeId: string, h: Hired, months: number, now: number): void {
  terms.save({ nodeId, address: formatMailbox(mailbox), expiresAt: h.expiresAt, quotaMb: h.quotaMb, months, paidAt: now });
}

export function walletPayment(d: WalletPaymentDeps): (mailbox: Mailbox, s: ServerDescriptor) => Promise<void> {
  const terms = new TermStore(d.db, d.box);
  let queue: Promise<unknown> = Promise.resolve();
  return (mailbox, s) => {
    const run = queue.then(() =>
      withWallet(d, async (wallet, pool) => {
        const term = d.term?.() ?? DEFAULT_TERM;
        const h = await hireServer({ wallet, pool, server: marketServer(s), mailbox, ...term });
        recordTerm(terms, mailbox, s.nodeId, h, term.months, (d.now ?? Date.now)());
      }),
    );
    queue = run.catch(() => undefined);
    return run;
  };
}
