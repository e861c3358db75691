// The paid terms this profile's identity holds (EXT-10): per server, until when it is paid,
// the MB and months it bought, as the node answered the last hire or renewal. Kept so the
// app can show each hire's expiry and renew before it ends. Sealed, one row per server
// (migration 10); an older profile simply starts with none.
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';

export interface PaidTerm {
  nodeId: string;
  /** The address the term was paid for (a profile holds one identity; a restored one may differ). */
  address: string;
  /** When the term ends, ms since 1970 (the node's answer). */
  expiresAt: number;
  quotaMb: number;
  /** Months bought by the last payment (a renewal buys as many again). */
  months: number;
  /** When the app last paid it. */
  paidAt: number;
}

const aad = (nodeId: string) => `qmail.market-term.v1:${nodeId}`;

export class TermStore {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  /** Every term paid for `address`. */
  all(address: string): PaidTerm[] {
    const rows = this.db.prepare('SELECT node_id, sealed FROM market_terms ORDER BY node_id').all() as {
      node_id: string;
      sealed: Buffer;
    }[];
    return rows
      .map((r) => JSON.parse(this.box().open(r.sealed, aad(r.node_id)).toString('utf8')) as PaidTerm)
      .filter((t) => t.address === address);
  }

  get(address: string, nodeId: string): PaidTerm | undefined {
    return this.all(address).find((t) => t.nodeId === nodeId);
  }

  save(t: PaidTerm): void {
    const sealed = this.box().seal(Buffer.from(JSON.stringify(t), 'utf8'), aad(t.nodeId));
    this.db
      .prepare('INSERT INTO market_terms (node_id, sealed) VALUES (?, ?) ON CONFLICT(node_id) DO UPDATE SET sealed = excluded.sealed')
      .run(t.nodeId, sealed);
  }
}
