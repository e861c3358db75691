// The node's coins (Chips): one AN per coin on this server, lockers, and the serials a change
// session has reserved. Every command is one transaction, so a node killed mid-command keeps
// each coin either as it was or as the command left it — never half of a batch.
import { randomInt } from 'node:crypto';
import { constantTimeEqual } from '../../shared/bytes/index.js';
import type { CoinRef } from '../../shared/raida/index.js';
import type { Queryer, SqlDriver } from './sql.js';

export interface ChipAn extends CoinRef {
  an: Uint8Array;
}
export type FindOutcome = 'an' | 'pan' | 'neither';
export type ChangeOutcome = 'ok' | 'fail' | 'not_reserved';
/** Get ticket: which coins passed, and the ticket (null when none did); 'busy' when every slot is in use. */
export type TicketOutcome = { pass: boolean[]; ticket: number | null } | 'busy';
/** Validate ticket: the coins it vouches for, or why not. */
export type ClaimOutcome = CoinRef[] | 'not_found' | 'claimed';

/** Live tickets on a node at once (the C server's TICKET_POOL_SIZE); beyond it, NO_TICKET_SLOT. */
export const MAX_TICKETS = 512;

/** Most serials one change session gets back at a time (the C server's MAX_CHANGE_COINS). */
export const MAX_CHANGE_SNS = 64;
const MAX_SERIAL = 0xffffffff;
/** Serials reserved for change across all sessions at once; beyond it, 91 answers REQUEST_RATE. */
export const MAX_RESERVED = 4096;

/** Where a session's search for free serials starts: the same on every server (1 … MAX_SERIAL). */
export function sessionStart(session: number): number {
  // A multiplicative hash spreads neighbouring session numbers far apart.
  return (Math.imul(session >>> 0, 0x9e3779b1) >>> 0) % MAX_SERIAL || 1;
}
/** Coins per batched read (two parameters each, well under either backend's limit). */
const BATCH = 400;

export function chipsSchema(dialect: 'sqlite' | 'postgres'): string {
  const BLOB = dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
  return `
CREATE TABLE IF NOT EXISTS chips (dn INTEGER NOT NULL, sn BIGINT NOT NULL, an ${BLOB} NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (dn, sn));
CREATE TABLE IF NOT EXISTS chip_lockers (dn INTEGER NOT NULL, sn BIGINT NOT NULL, locker ${BLOB} NOT NULL, PRIMARY KEY (dn, sn));
CREATE INDEX IF NOT EXISTS chip_lockers_key ON chip_lockers (locker);
CREATE TABLE IF NOT EXISTS chip_reservations (dn INTEGER NOT NULL, sn BIGINT NOT NULL, session BIGINT NOT NULL, until BIGINT NOT NULL, PRIMARY KEY (dn, sn));
CREATE TABLE IF NOT EXISTS chip_tickets (ticket BIGINT PRIMARY KEY, target INTEGER NOT NULL, until BIGINT NOT NULL, claimed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chip_ticket_coins (ticket BIGINT NOT NULL, dn INTEGER NOT NULL, sn BIGINT NOT NULL, an ${BLOB} NOT NULL, PRIMARY KEY (ticket, dn, sn));`;
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const key = (c: CoinRef) => `${c.denomination}.${c.serial}`;

export class ChipStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  /** A coin's AN here, or null when it does not exist. */
  anOf(c: CoinRef): Promise<Uint8Array | null>;
  anOf(q: Queryer, c: CoinRef): Promise<Uint8Array | null>;
  async anOf(a: Queryer | CoinRef, b?: CoinRef): Promise<Uint8Array | null> {
    const [q, c] = b ? [a as Queryer, b] : [this.db as Queryer, a as CoinRef];
    const rows = await q.all('SELECT an FROM chips WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
    return rows[0] ? new Uint8Array(rows[0].an as Buffer) : null;
  }
  /** The ANs of many coins in a few queries (a batch of hundreds would otherwise be hundreds of reads). */
  private async ansOf(q: Queryer, coins: readonly CoinRef[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let k = 0; k < coins.length; k += BATCH) {
      const part = coins.slice(k, k + BATCH);
      const rows = await q.all(
        `SELECT dn, sn, an FROM chips WHERE ${part.map(() => '(dn = ? AND sn = ?)').join(' OR ')}`,
        part.flatMap((c) => [c.denomination, c.serial]),
      );
      for (const r of rows) out.set(`${Number(r.dn)}.${Number(r.sn)}`, new Uint8Array(r.an as Buffer));
    }
    return out;
  }
  /** Which of these coins some locker lists. */
  private async inLockers(q: Queryer, coins: readonly CoinRef[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let k = 0; k < coins.length; k += BATCH) {
      const part = coins.slice(k, k + BATCH);
      const rows = await q.all(
        `SELECT dn, sn FROM chip_lockers WHERE ${part.map(() => '(dn = ? AND sn = ?)').join(' OR ')}`,
        part.flatMap((c) => [c.denomination, c.serial]),
      );
      for (const r of rows) out.add(`${Number(r.dn)}.${Number(r.sn)}`);
    }
    return out;
  }

  private async matches(q: Queryer, c: CoinRef, an: Uint8Array): Promise<boolean> {
    const stored = await this.anOf(q, c);
    return stored !== null && constantTimeEqual(stored, an);
  }
  /** A coin's AN changes: whatever locker held it no longer does. */
  private async setAn(q: Queryer, c: CoinRef, an: Uint8Array): Promise<void> {
    await q.run('UPDATE chips SET an = ?, updated_at = ? WHERE dn = ? AND sn = ?', [buf(an), this.now(), c.denomination, c.serial]);
    await q.run('DELETE FROM chip_lockers WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
  }
  private async create(q: Queryer, c: CoinRef, an: Uint8Array): Promise<void> {
    await q.run('INSERT INTO chips (dn, sn, an, updated_at) VALUES (?, ?, ?, ?)', [c.denomination, c.serial, buf(an), this.now()]);
    await q.run('DELETE FROM chip_reservations WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
  }
  private async destroy(q: Queryer, c: CoinRef): Promise<void> {
    await q.run('DELETE FROM chips WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
    await q.run('DELETE FROM chip_lockers WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
  }

  /** Which coins carry the given AN here. */
  detect(coins: readonly ChipAn[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const have = await this.ansOf(q, coins);
      return coins.map((c) => {
        const stored = have.get(key(c));
        return stored !== undefined && constantTimeEqual(stored, c.an);
      });
    });
  }

  /** Each coin whose AN matches takes its PAN; the others stay as they were. */
  pown(coins: readonly (ChipAn & { pan: Uint8Array })[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const have = await this.ansOf(q, coins);
      const out = coins.map((c) => {
        const stored = have.get(key(c));
        return stored !== undefined && constantTimeEqual(stored, c.an);
      });
      const locked = await this.inLockers(
        q,
        coins.filter((_, i) => out[i]),
      );
      for (const [i, c] of coins.entries()) {
        if (!out[i]) continue;
        await q.run('UPDATE chips SET an = ?, updated_at = ? WHERE dn = ? AND sn = ?', [buf(c.pan), this.now(), c.denomination, c.serial]);
        if (locked.has(key(c))) await q.run('DELETE FROM chip_lockers WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
      }
      return out;
    });
  }

  /** Whether each coin's AN here is the one given, the proposed one, or neither (a pown lost in flight). */
  find(coins: readonly (ChipAn & { pan: Uint8Array })[]): Promise<FindOutcome[]> {
    return this.db.tx(async (q) => {
      const out: FindOutcome[] = [];
      for (const c of coins) {
        const stored = await this.anOf(q, c);
        out.push(stored && constantTimeEqual(stored, c.an) ? 'an' : stored && constantTimeEqual(stored, c.pan) ? 'pan' : 'neither');
      }
      return out;
    });
  }

  /**
   * Put coins in a locker: the XOR of their ANs here must be `sum`; then each takes the
   * locker key as its AN. All or nothing.
   */
  lockerPut(coins: readonly CoinRef[], sum: Uint8Array, locker: Uint8Array): Promise<boolean> {
    return this.db.tx(async (q) => {
      const x = new Uint8Array(16);
      for (const c of coins) {
        const an = await this.anOf(q, c);
        if (!an) return false;
        for (let i = 0; i < 16; i++) x[i]! ^= an[i]!;
      }
      if (!constantTimeEqual(x, sum)) return false;
      for (const c of coins) {
        await this.setAn(q, c, locker);
        await q.run('INSERT INTO chip_lockers (dn, sn, locker) VALUES (?, ?, ?)', [c.denomination, c.serial, buf(locker)]);
      }
      return true;
    });
  }

  /** The coins in a locker: put there under this key and holding it as their AN still. */
  async lockerPeek(locker: Uint8Array): Promise<CoinRef[]> {
    const rows = await this.db.all(
      'SELECT l.dn AS dn, l.sn AS sn, c.an AS an FROM chip_lockers l JOIN chips c ON c.dn = l.dn AND c.sn = l.sn WHERE l.locker = ? ORDER BY l.dn, l.sn',
      [buf(locker)],
    );
    return rows
      .filter((r) => constantTimeEqual(new Uint8Array(r.an as Buffer), locker))
      .map((r) => ({ denomination: Number(r.dn), serial: Number(r.sn) }));
  }

  /** Take coins out of a locker, each to its new AN; a coin not in this locker stays where it is. */
  lockerRemove(locker: Uint8Array, coins: readonly ChipAn[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const out: boolean[] = [];
      for (const c of coins) {
        const rows = await q.all('SELECT locker FROM chip_lockers WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
        const ok =
          rows.length === 1 && constantTimeEqual(new Uint8Array(rows[0]!.locker as Buffer), locker) && (await this.matches(q, c, locker));
        if (ok) await this.setAn(q, c, c.an);
        out.push(ok);
      }
      return out;
    });
  }

  /**
   * Up to `max` free serials of a denomination (no coin, no other live reservation), reserved
   * for the session until `ttlMs` from now. The search starts at a serial derived from the
   * session, so every server of the network offers the same ones whatever order concurrent
   * sessions reach it in (lowest-first handed the same serials to different sessions on
   * different servers, and a break then found no serial common to a majority).
   */
  reserve(session: number, denomination: number, max: number, ttlMs: number): Promise<number[] | 'busy'> {
    return this.db.tx(async (q) => {
      const now = this.now();
      await q.run('DELETE FROM chip_reservations WHERE until < ?', [now]);
      // Sessions are the caller's to pick: bound what all of them may hold at once.
      const live = Number((await q.all('SELECT COUNT(*) AS n FROM chip_reservations WHERE session <> ?', [session]))[0]?.n ?? 0);
      if (live >= MAX_RESERVED) return 'busy';
      const used = new Set((await q.all('SELECT sn FROM chips WHERE dn = ?', [denomination])).map((r) => Number(r.sn)));
      const taken = await q.all('SELECT sn, session FROM chip_reservations WHERE dn = ?', [denomination]);
      for (const r of taken) if (Number(r.session) !== session) used.add(Number(r.sn));
      const out: number[] = [];
      const start = sessionStart(session);
      for (let k = 0; out.length < max && k < MAX_SERIAL; k++) {
        const sn = ((start - 1 + k) % MAX_SERIAL) + 1;
        if (!used.has(sn)) out.push(sn);
      }
      for (const sn of out) {
        await q.run(
          'INSERT INTO chip_reservations (dn, sn, session, until) VALUES (?, ?, ?, ?) ON CONFLICT (dn, sn) DO UPDATE SET session = excluded.session, until = excluded.until',
          [denomination, sn, session, now + ttlMs],
        );
      }
      return out;
    });
  }

  private async reservedFor(q: Queryer, c: CoinRef, session: number): Promise<boolean> {
    if (await this.anOf(q, c)) return false;
    const rows = await q.all('SELECT session, until FROM chip_reservations WHERE dn = ? AND sn = ?', [c.denomination, c.serial]);
    return rows.length === 1 && Number(rows[0]!.session) === session && Number(rows[0]!.until) >= this.now();
  }

  /** Break `coin` (its AN must match) into `parts` (reserved for the session) with their new ANs. */
  breakCoin(session: number, coin: ChipAn, parts: readonly ChipAn[]): Promise<ChangeOutcome> {
    return this.db.tx(async (q) => {
      if (!(await this.matches(q, coin, coin.an))) return 'fail';
      for (const p of parts) if (!(await this.reservedFor(q, p, session))) return 'not_reserved';
      for (const p of parts) await this.create(q, p, p.an);
      await this.destroy(q, coin);
      return 'ok';
    });
  }

  /** Join `parts` (their ANs must match) into `coin` (reserved for the session) with its new AN. */
  joinCoins(session: number, coin: ChipAn, parts: readonly ChipAn[]): Promise<ChangeOutcome> {
    return this.db.tx(async (q) => {
      if (!(await this.reservedFor(q, coin, session))) return 'not_reserved';
      for (const p of parts) if (!(await this.matches(q, p, p.an))) return 'fail';
      for (const p of parts) await this.destroy(q, p);
      await this.create(q, coin, coin.an);
      return 'ok';
    });
  }

  /** Creates coins that do not exist yet; true for each one created. */
  mint(coins: readonly ChipAn[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const out: boolean[] = [];
      const seen = new Set<string>();
      for (const c of coins) {
        const ok = !seen.has(key(c)) && (await this.anOf(q, c)) === null;
        seen.add(key(c));
        if (ok) await this.create(q, c, c.an);
        out.push(ok);
      }
      return out;
    });
  }

  /**
   * Get ticket: the coins whose AN here matches go on one new ticket (random, never 0) that
   * only server `target` may claim, once, until `ttlMs` from now. The ANs are kept with it, so
   * a coin that has moved since (its AN changed) is no longer vouched for.
   */
  issueTicket(target: number, coins: readonly ChipAn[], ttlMs: number): Promise<TicketOutcome> {
    return this.db.tx(async (q) => {
      const now = this.now();
      await this.dropExpiredTickets(q, now);
      const have = await this.ansOf(q, coins);
      const pass = coins.map((c) => {
        const stored = have.get(key(c));
        return stored !== undefined && constantTimeEqual(stored, c.an);
      });
      if (!pass.some(Boolean)) return { pass, ticket: null };
      const live = Number((await q.all('SELECT COUNT(*) AS n FROM chip_tickets'))[0]?.n ?? 0);
      if (live >= MAX_TICKETS) return 'busy';
      let ticket = 0;
      for (let k = 0; k < 16 && ticket === 0; k++) {
        const t = randomInt(1, 0x1_0000_0000);
        if ((await q.all('SELECT 1 AS x FROM chip_tickets WHERE ticket = ?', [t])).length === 0) ticket = t;
      }
      if (ticket === 0) return 'busy';
      await q.run('INSERT INTO chip_tickets (ticket, target, until, claimed) VALUES (?, ?, ?, 0)', [ticket, target, now + ttlMs]);
      for (const [i, c] of coins.entries())
        if (pass[i])
          await q.run('INSERT INTO chip_ticket_coins (ticket, dn, sn, an) VALUES (?, ?, ?, ?)', [
            ticket,
            c.denomination,
            c.serial,
            buf(c.an),
          ]);
      return { pass, ticket };
    });
  }

  private async dropExpiredTickets(q: Queryer, now: number): Promise<void> {
    await q.run('DELETE FROM chip_ticket_coins WHERE ticket IN (SELECT ticket FROM chip_tickets WHERE until < ?)', [now]);
    await q.run('DELETE FROM chip_tickets WHERE until < ?', [now]);
  }

  /**
   * Validate ticket: server `claimer` claims a ticket. Unknown, expired, or issued for another
   * server: 'not_found' (the claim changes nothing). Claimed before: 'claimed'. Otherwise the
   * ticket is used up and the answer is its coins whose AN here is still the one it vouched for.
   */
  claimTicket(ticket: number, claimer: number): Promise<ClaimOutcome> {
    return this.db.tx(async (q) => {
      const now = this.now();
      await this.dropExpiredTickets(q, now);
      const rows = await q.all('SELECT target, until, claimed FROM chip_tickets WHERE ticket = ?', [ticket]);
      const t = rows[0];
      if (!t || Number(t.target) !== claimer || Number(t.until) < now) return 'not_found';
      if (Number(t.claimed) !== 0) return 'claimed';
      await q.run('UPDATE chip_tickets SET claimed = 1 WHERE ticket = ?', [ticket]);
      const coins = await q.all('SELECT dn, sn, an FROM chip_ticket_coins WHERE ticket = ? ORDER BY dn, sn', [ticket]);
      const refs = coins.map((r) => ({ denomination: Number(r.dn), serial: Number(r.sn) }));
      const have = await this.ansOf(q, refs);
      return refs.filter((c, i) => {
        const stored = have.get(key(c));
        return stored !== undefined && constantTimeEqual(stored, new Uint8Array(coins[i]!.an as Buffer));
      });
    });
  }

  /** Fix: each coin that exists here takes its new AN (leaving any locker); a coin not here is never created. */
  fix(coins: readonly ChipAn[]): Promise<boolean[]> {
    return this.db.tx(async (q) => {
      const have = await this.ansOf(q, coins);
      const out: boolean[] = [];
      for (const c of coins) {
        const ok = have.has(key(c));
        if (ok) await this.setAn(q, c, c.an);
        out.push(ok);
      }
      return out;
    });
  }

  /** Every coin here with its AN (operator tools and tests: the node's whole supply). */
  async all(): Promise<ChipAn[]> {
    const rows = await this.db.all('SELECT dn, sn, an FROM chips ORDER BY dn, sn');
    return rows.map((r) => ({ denomination: Number(r.dn), serial: Number(r.sn), an: new Uint8Array(r.an as Buffer) }));
  }
}
