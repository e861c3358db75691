// Healing tickets and fix on both backends: a ticket covers the coins that passed, only the
// server it names may claim it, once, before it expires; a fix never creates a coin.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { denominationUnits } from '../../shared/raida/index.js';
import { tempDir } from '../../tests/support/tmp.js';
import { MAX_TICKETS } from './chips.js';
import { openStorage, type Storage } from './index.js';
import { createDatabase, startPostgres, type PgCluster } from '../testing/postgres.js';

const an = (): Uint8Array => new Uint8Array(randomBytes(16));
let pgc: PgCluster | undefined;
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(async () => {
  await pgc?.stop();
  for (const d of dirs) d.remove();
});

async function open(backend: 'sqlite' | 'postgres', now: () => number): Promise<Storage> {
  const dir = tempDir('qmail-chiptickets-');
  dirs.push(dir);
  if (backend === 'sqlite') return openStorage({ dataDir: dir.path, backend, durable: false, now });
  pgc ??= await startPostgres();
  return openStorage({
    dataDir: dir.path,
    backend,
    postgresUrl: await createDatabase(pgc, 'tickets_' + randomBytes(4).toString('hex')),
    durable: false,
    now,
  });
}

const total = async (s: Storage): Promise<bigint> => (await s.chips.all()).reduce((t, c) => t + denominationUnits(c.denomination), 0n);

describe.each(['sqlite', 'postgres'] as const)('tickets and fix on %s', (backend) => {
  it('issues, binds, expires and uses up tickets; fixes only coins that exist', async () => {
    let clock = 1_000_000;
    const s = await open(backend, () => clock);
    try {
      const a = { denomination: 0, serial: 5, an: an() };
      const b = { denomination: 1, serial: 4_000_000_000, an: an() };
      expect(await s.chips.mint([a, b])).toEqual([true, true]);
      const start = await total(s);

      // no coin passes: no ticket
      expect(await s.chips.issueTicket(2, [{ ...a, an: an() }], 60_000)).toEqual({ pass: [false], ticket: null });
      // one of two passes (and a coin that does not exist here fails)
      const t1 = await s.chips.issueTicket(2, [a, { ...b, an: an() }, { denomination: 0, serial: 6, an: an() }], 60_000);
      if (t1 === 'busy' || t1.ticket === null) throw new Error('no ticket');
      expect(t1.pass).toEqual([true, false, false]);
      expect(t1.ticket).toBeGreaterThan(0);
      expect(t1.ticket).toBeLessThanOrEqual(0xffffffff);

      // only the server it names may claim it; a wrong claimer uses nothing up
      expect(await s.chips.claimTicket(t1.ticket, 3)).toBe('not_found');
      expect(await s.chips.claimTicket((t1.ticket ^ 1) >>> 0, 2)).toBe('not_found');
      expect(await s.chips.claimTicket(t1.ticket, 2)).toEqual([{ denomination: 0, serial: 5 }]);
      // once
      expect(await s.chips.claimTicket(t1.ticket, 2)).toBe('claimed');

      // a ticket vouches only while the coin still has the AN it was issued for
      const t2 = await s.chips.issueTicket(4, [a, b], 60_000);
      if (t2 === 'busy' || t2.ticket === null) throw new Error('no ticket');
      expect(t2.pass).toEqual([true, true]);
      expect(await s.chips.pown([{ ...b, pan: an() }])).toEqual([true]);
      expect(await s.chips.claimTicket(t2.ticket, 4)).toEqual([{ denomination: 0, serial: 5 }]);

      // expired: gone, whoever asks
      const t3 = await s.chips.issueTicket(1, [a], 5_000);
      if (t3 === 'busy' || t3.ticket === null) throw new Error('no ticket');
      clock += 5_001;
      expect(await s.chips.claimTicket(t3.ticket, 1)).toBe('not_found');

      // fix: an existing coin takes its new AN, a missing one is not created
      const fresh = an();
      expect(
        await s.chips.fix([
          { ...a, an: fresh },
          { denomination: 3, serial: 77, an: an() },
        ]),
      ).toEqual([true, false]);
      expect(await s.chips.anOf(a)).toEqual(fresh);
      expect(await s.chips.anOf({ denomination: 3, serial: 77 })).toBeNull();
      expect(await total(s)).toBe(start);

      // at most MAX_TICKETS live at once (t1 and t2, used but unexpired, still count); expired ones free their slots
      const c = { ...a, an: fresh };
      let issued = 0;
      while ((await s.chips.issueTicket(0, [c], 1_000)) !== 'busy') issued++;
      expect(issued).toBe(MAX_TICKETS - 2);
      clock += 60_001;
      expect(await s.chips.issueTicket(0, [c], 1_000)).toMatchObject({ pass: [true] });
    } finally {
      await s.close();
    }
  }, 120_000);
});
