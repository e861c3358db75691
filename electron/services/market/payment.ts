// The app's payment for hiring (EXT-10): when onboarding (or a send reaching a new beacon)
// registers on a node that requires a paid term, the profile's wallet pays it first, on the
// network's coin servers. One payment at a time; the pool lives as long as the payment.
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { ServerDescriptor } from '../directory/client.js';
import { ConnectionPool } from '../net/transport.js';
import { ChipClient } from '../wallet/client.js';
import { coinEndpoints } from '../wallet/network.js';
import { WalletStore } from '../wallet/store.js';
import { Wallet } from '../wallet/wallet.js';
import { hireServer, marketServer } from './market.js';

/** What a hire made by the app buys: a month of 10 MB (renew with `qmail servers renew`). */
export const DEFAULT_TERM = { months: 1, quotaMb: 10 };

export interface WalletPaymentDeps {
  db: Db;
  box: () => SecretBox;
  /** The network file whose nodes are the coin servers. */
  networkFile: string;
  term?: { months: number; quotaMb: number };
}

export function walletPayment(
  d: WalletPaymentDeps,
): (mailbox: { denomination: number; serial: number }, s: ServerDescriptor) => Promise<void> {
  let queue: Promise<unknown> = Promise.resolve();
  return (mailbox, s) => {
    const run = queue.then(async () => {
      const pool = new ConnectionPool(2);
      try {
        const wallet = new Wallet(new WalletStore(d.db, d.box), new ChipClient(pool, coinEndpoints(d.networkFile)));
        await hireServer({ wallet, pool, server: marketServer(s), mailbox, ...(d.term ?? DEFAULT_TERM) });
      } finally {
        pool.closeAll();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}
