// The coin store on both backends: the same rules, each command all or nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { denominationUnits } from '../../shared/raida/index.js';
import { tempDir } from '../../tests/support/tmp.js';
import { MAX_RESERVED } from './chips.js';
import { openStorage, type Storage } from './index.js';
import { createDatabase, startPostgres, type PgCluster } from '../testing/postgres.js';

const an = (): Uint8Array => new Uint8Array(randomBytes(16));
const lockerKey = (): Uint8Array => Uint8Array.from([...randomBytes(12), 0xff, 0xff, 0xff, 0xff]);
let pgc: PgCluster | undefined;
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(async () => {
  await pgc?.stop();
  for (const d of dirs) d.remove();
});

async function open(backend: 'sqlite' | 'postgres'): Promise<Storage> {
  const dir = tempDir('qmail-chipstore-');
  dirs.push(dir);
  if (backend === 'sqlite') return openStorage({ dataDir: dir.path, backend, durable: false });
  pgc ??= await startPostgres();
  return openStorage({
    dataDir: dir.path,
    backend,
    postgresUrl: await createDatabase(pgc, 'chips_' + randomBytes(4).toString('hex')),
    durable: false,
  });
}

const total = async (s: Storage): Promise<bigint> => (await s.chips.all()).reduce((t, c) => t + denominationUnits(c.denomination), 0n);

describe.each(['sqlite', 'postgres'] as const)('coin store on %s', (backend) => {
  it('keeps every rule and conserves value through pown, lockers, break and join', async () => {
    const s = await open(backend);
    try {
      const a = { denomination: 2, serial: 4_000_000_000, an: an() };
      const b = { denomination: 2, serial: 7, an: an() };
      expect(await s.chips.mint([a, b, { ...a, an: an() }])).toEqual([true, true, false]);
      const start = await total(s);
      expect(start).toBe(2n * denominationUnits(2));
      expect(await s.chips.anOf(a)).toEqual(a.an);

      // a locker put with a wrong sum changes nothing; with the right one, both coins hold the key
      const key = lockerKey();
      expect(await s.chips.lockerPut([a, b], an(), key)).toBe(false);
      expect(await s.chips.detect([a, b])).toEqual([true, true]);
      expect(
        await s.chips.lockerPut(
          [a, b],
          a.an.map((x, i) => x ^ b.an[i]!),
          key,
        ),
      ).toBe(true);
      expect((await s.chips.lockerPeek(key)).map((c) => c.serial)).toEqual([7, 4_000_000_000]);
      // powning a locker coin with the key takes it out of the locker
      const pan = an();
      expect(await s.chips.pown([{ ...b, an: key, pan }])).toEqual([true]);
      expect((await s.chips.lockerPeek(key)).map((c) => c.serial)).toEqual([4_000_000_000]);
      expect(
        await s.chips.lockerRemove(key, [
          { ...b, an: an() },
          { ...a, an: a.an },
        ]),
      ).toEqual([false, true]);
      expect(await s.chips.lockerRemove(key, [{ ...a, an: an() }])).toEqual([false]);
      expect(await s.chips.lockerPeek(key)).toEqual([]);
      expect(await s.chips.find([{ ...b, an: b.an, pan }])).toEqual(['pan']);

      // break a into ten, join them back
      const sns = await s.chips.reserve(1, 1, 10, 60_000);
      if (sns === 'busy') throw new Error('reservations full');
      expect(sns).toHaveLength(10);
      expect(await s.chips.reserve(2, 1, 10, 60_000)).not.toContain(sns[0]);
      const parts = sns.map((serial) => ({ denomination: 1, serial, an: an() }));
      expect(await s.chips.breakCoin(2, a, parts)).toBe('not_reserved');
      expect(await s.chips.breakCoin(1, { ...a, an: an() }, parts)).toBe('fail');
      expect(await s.chips.breakCoin(1, a, parts)).toBe('ok');
      expect(await total(s)).toBe(start);
      const reserved = await s.chips.reserve(3, 2, 1, 60_000);
      if (reserved === 'busy') throw new Error('reservations full');
      const [big] = reserved;
      expect(await s.chips.joinCoins(3, { denomination: 2, serial: big!, an: an() }, [...parts.slice(1), { ...parts[0]!, an: an() }])).toBe(
        'fail',
      );
      expect(await total(s)).toBe(start);
      expect(await s.chips.joinCoins(3, { denomination: 2, serial: big!, an: an() }, parts)).toBe('ok');
      expect(await total(s)).toBe(start);

      // sessions are the caller's to pick: together they hold at most MAX_RESERVED serials
      let session = 100;
      let got: number[] | 'busy' = [];
      while (got !== 'busy' && session < 100 + MAX_RESERVED) got = await s.chips.reserve(session++, -3, 64, 60_000);
      expect(got).toBe('busy');
      expect(session - 100).toBe(Math.ceil(MAX_RESERVED / 64) + 1);
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe('serials offered for change', () => {
  it('are the same on every server for a session, whatever order concurrent sessions arrive in', async () => {
    const [x, y] = await Promise.all([open('sqlite'), open('sqlite')]);
    try {
      const onX = [await x.chips.reserve(11, 0, 10, 60_000), await x.chips.reserve(22, 0, 10, 60_000)];
      const onY = [await y.chips.reserve(22, 0, 10, 60_000), await y.chips.reserve(11, 0, 10, 60_000)];
      expect(onX[0]).toHaveLength(10);
      expect(onX[0]).toEqual(onY[1]);
      expect(onX[1]).toEqual(onY[0]);
      expect(onX[0]).not.toEqual(onX[1]);
      // a serial one server already holds a coin at is skipped there: the rest still match
      const [first] = onX[0] as number[];
      await y.chips.mint([{ denomination: 0, serial: first!, an: an() }]);
      const again = await y.chips.reserve(11, 0, 10, 60_000);
      expect(again).not.toContain(first);
      expect((again as number[]).slice(0, 9)).toEqual((onX[0] as number[]).slice(1));
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });
});
