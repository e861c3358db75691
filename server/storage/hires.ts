// Hires (EXT-10): which mailboxes have paid this node for a term, until when, with how much
// storage, and which locker codes have paid already (a locker pays once). The coins
// themselves go to the operator's purse (server/purse.ts), not here.
import { createHash } from 'node:crypto';
import type { Mailbox } from './types.js';
import type { Queryer, SqlDriver } from './sql.js';

export function hiresSchema(dialect: 'sqlite' | 'postgres'): string {
  const BLOB = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  return `
CREATE TABLE IF NOT EXISTS hires (dn INTEGER NOT NULL, sn BIGINT NOT NULL, expires_at BIGINT NOT NULL, quota_mb BIGINT NOT NULL, credit_units BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (dn, sn));
CREATE TABLE IF NOT EXISTS hire_payments (locker_hash ${BLOB} PRIMARY KEY, dn INTEGER NOT NULL, sn BIGINT NOT NULL, units BIGINT NOT NULL, state TEXT NOT NULL, at BIGINT NOT NULL);
`;
}

export interface Hire {
  expiresAt: number;
  quotaMb: number;
  /** Paid but not yet spent on a term (an underpaid or overpaid hire), 1e-8 CC. */
  creditUnits: bigint;
}

export type GrantOutcome = { ok: true; hire: Hire } | { ok: false; hire: Hire };

/** A locker code is remembered by its hash: enough to refuse it a second time, and nothing a database reader could pay with. */
export const lockerHash = (code: Uint8Array): Buffer => createHash('sha256').update('qmail/hire-locker/1').update(code).digest();

export class HireStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  private async read(q: Queryer, mb: Mailbox): Promise<Hire | null> {
    const rows = await q.all('SELECT expires_at, quota_mb, credit_units FROM hires WHERE dn = ? AND sn = ?', [mb.denomination, mb.serial]);
    const r = rows[0];
    return r
      ? { expiresAt: Number(r.expires_at), quotaMb: Number(r.quota_mb), creditUnits: BigInt(r.credit_units as number | string) }
      : null;
  }

  get(mb: Mailbox): Promise<Hire | null> {
    return this.read(this.db, mb);
  }

  /** The mailbox holds a term that has not ended at `at`. */
  async active(mb: Mailbox, at = this.now()): Promise<Hire | null> {
    const h = await this.get(mb);
    return h && h.expiresAt > at ? h : null;
  }

  /**
   * Claims a locker code for one hire. False when the code has paid (or is paying) already:
   * the replay of a hire, or a second hire from the same locker.
   */
  claim(code: Uint8Array, mb: Mailbox): Promise<boolean> {
    return this.db.tx(
      async (q) =>
        (await q.run(
          "INSERT INTO hire_payments (locker_hash, dn, sn, units, state, at) VALUES (?, ?, ?, 0, 'taking', ?) ON CONFLICT DO NOTHING",
          [lockerHash(code), mb.denomination, mb.serial, this.now()],
        )) === 1,
    );
  }

  /** Nothing was taken (the locker was short or the network unreachable): the code may pay later. */
  async release(code: Uint8Array): Promise<void> {
    await this.db.tx((q) => q.run("DELETE FROM hire_payments WHERE locker_hash = ? AND state = 'taking'", [lockerHash(code)]));
  }

  /**
   * Settles a paid hire in one transaction: what the locker paid plus the mailbox's credit
   * pays the price. Paid: the term runs `termMs` from the later of now and the current end
   * (a renewal extends), the quota is the one asked for, any excess stays as credit. Short:
   * all of it stays as credit and the term is unchanged.
   */
  settle(
    code: Uint8Array,
    mb: Mailbox,
    paidUnits: bigint,
    price: bigint,
    term: { termMs: number; quotaMb: number },
  ): Promise<GrantOutcome> {
    const h = lockerHash(code);
    return this.db.tx(async (q) => {
      await q.run("UPDATE hire_payments SET units = ?, state = 'paid' WHERE locker_hash = ?", [String(paidUnits), h]);
      const now = this.now();
      const prev = await this.read(q, mb);
      const funds = paidUnits + (prev?.creditUnits ?? 0n);
      const ok = funds >= price;
      const next: Hire = ok
        ? { expiresAt: Math.max(now, prev?.expiresAt ?? 0) + term.termMs, quotaMb: term.quotaMb, creditUnits: funds - price }
        : { expiresAt: prev?.expiresAt ?? 0, quotaMb: prev?.quotaMb ?? 0, creditUnits: funds };
      await q.run(
        `INSERT INTO hires (dn, sn, expires_at, quota_mb, credit_units, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (dn, sn) DO UPDATE SET expires_at = excluded.expires_at, quota_mb = excluded.quota_mb, credit_units = excluded.credit_units, updated_at = excluded.updated_at`,
        [mb.denomination, mb.serial, next.expiresAt, next.quotaMb, String(next.creditUnits), now],
      );
      return { ok, hire: next };
    });
  }
}
