import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../shared/bytes/index.js';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { encodePeek, encodeRegister, makePreamble } from '../../shared/qmail/index.js';
import { HIRE_COMMAND, HIRE_MONTH_MS, decodeHireResult, encodeHire, hirePrice } from '../../shared/qmail/hire.js';
import { tempDir } from '../../tests/support/tmp.js';
import type { Collected, LockerService } from '../dispatch.js';
import { startServer, type RunningServer } from '../node.js';
import { openStorage } from '../storage/index.js';
import { RaidaConnection, freshChallenge, newIdentity, type Identity } from '../testing/client.js';

/** Lockers as the purse sees them: worth what was put in, paid out once, returned whole when short. */
class FakeLockers implements LockerService {
  readonly lockers = new Map<string, bigint>();
  collected = 0n;
  fill(units: bigint): Uint8Array {
    const code = new Uint8Array(randomBytes(16));
    this.lockers.set(toHex(code), units);
    return code;
  }
  async value(code: Uint8Array): Promise<bigint> {
    return this.lockers.get(toHex(code)) ?? 0n;
  }
  async collect(code: Uint8Array, fee: bigint): Promise<Collected> {
    const units = this.lockers.get(toHex(code)) ?? 0n;
    if (units < fee) return { units: 0n, cut: 0n };
    this.lockers.delete(toHex(code));
    this.collected += units;
    return { units, cut: units };
  }
}

const PRICE = 0.5; // CC per MB-month
let dir: ReturnType<typeof tempDir>;
let node: RunningServer;
let c: RaidaConnection;
const lockers = new FakeLockers();
/** A mailbox of the test's own whose AN seals the requests (a hire itself needs no AN). */
let sealer: Identity;
const sealed = () => ({ key: sealer, aead: true });

async function hire(who: Identity, code: Uint8Array, months = 1, quotaMb = 2, opts: { key?: Identity; aead?: boolean } = sealed()) {
  const body = encodeHire({
    preamble: makePreamble({ challenge: freshChallenge(), denomination: who.denomination, serial: who.serial, an: new Uint8Array(16) }),
    months,
    quotaMb,
    lockerCode: code,
    coins: [],
  });
  const res = await c.call(Group.QMAIL, HIRE_COMMAND, body, opts);
  return { status: res.status, result: res.payload.length ? decodeHireResult(res.payload) : undefined };
}

beforeAll(async () => {
  dir = tempDir('qmail-hire-');
  node = await startServer(
    {
      dataDir: dir.path,
      storage: { durable: false },
      log: { level: 'silent' },
      operator: { pricePerMbMonth: PRICE },
      market: { requireHire: true },
    },
    { lockers },
  );
  sealer = newIdentity(7777);
  await node.storage.setAn(sealer, sealer.an);
  c = await RaidaConnection.open(node.port);
});
afterAll(async () => {
  c?.close();
  await node?.close();
  dir?.remove();
});

describe('hire (EXT-10)', () => {
  it('prices a term in exact units', () => {
    expect(hirePrice(0.5, 2, 1)).toBe(100_000_000n);
    expect(hirePrice(0.01, 3, 12)).toBe(36_000_000n);
    expect(hirePrice(0, 100, 24)).toBe(0n);
  });

  it('refuses a hire in clear: its locker code is money', async () => {
    const r = await hire(newIdentity(5000), lockers.fill(100_000_000n), 1, 2, {});
    expect(r.status).toBe(Status.INVALID_ENCRYPTION);
  });

  it('refuses underpayment with the price, takes nothing, and grants nothing', async () => {
    const who = newIdentity(5001);
    const code = lockers.fill(99_999_999n);
    const r = await hire(who, code);
    expect(r.status).toBe(Status.PAYMENT_INSUFFICIENT);
    expect(r.result?.priceUnits).toBe(100_000_000n);
    expect(r.result?.paidUnits).toBe(0n);
    expect(lockers.lockers.get(toHex(code))).toBe(99_999_999n);
    expect(await node.storage.hires.active(who)).toBeNull();
  });

  it('grants a term for a full payment, refuses the same locker again, and a renewal extends the term', async () => {
    const who = newIdentity(5002);
    const before = lockers.collected;
    const code = lockers.fill(100_000_000n);
    const t0 = Date.now();
    const r = await hire(who, code);
    expect(r.status).toBe(Status.SUCCESS);
    expect(r.result?.quotaMb).toBe(2);
    expect(r.result?.paidUnits).toBe(100_000_000n);
    expect(r.result!.expiresAt).toBeGreaterThanOrEqual(t0 + HIRE_MONTH_MS);
    expect(r.result!.expiresAt).toBeLessThanOrEqual(Date.now() + HIRE_MONTH_MS);
    expect(lockers.collected - before).toBe(100_000_000n);

    // Replay of the same locker (and a second hire from it): refused, nothing paid twice.
    lockers.lockers.set(toHex(code), 100_000_000n); // even were it full again
    const again = await hire(who, code);
    expect(again.status).toBe(Status.LOCKER_EMPTY_OR_NOT_EXISTS);
    expect(lockers.collected - before).toBe(100_000_000n);

    const renew = await hire(who, lockers.fill(300_000_000n), 3);
    expect(renew.status).toBe(Status.SUCCESS);
    expect(renew.result!.expiresAt).toBe(r.result!.expiresAt + 3 * HIRE_MONTH_MS);
  });

  it('keeps an overpayment as credit toward the next term', async () => {
    const who = newIdentity(5003);
    expect((await hire(who, lockers.fill(150_000_000n))).status).toBe(Status.SUCCESS);
    expect((await node.storage.hires.get(who))?.creditUnits).toBe(50_000_000n);
    // The credit covers half of the next month: a locker of the other half is enough.
    const r = await hire(who, lockers.fill(50_000_000n));
    expect(r.status).toBe(Status.SUCCESS);
    expect((await node.storage.hires.get(who))?.creditUnits).toBe(0n);
  });

  it('without a running term a new address cannot register or poll; with one it can', async () => {
    const who = newIdentity(5004);
    const register = () =>
      c.call(
        Group.QMAIL,
        QMailCommand.REGISTER,
        encodeRegister({
          preamble: makePreamble({ challenge: freshChallenge(), denomination: 0, serial: who.serial, an: new Uint8Array(16) }),
          newAn: who.an,
          flags: 0,
        }),
      );
    const peek = () =>
      c.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: makePreamble({ challenge: freshChallenge(), ...who }), since: 0 }), {
        key: who,
        aead: true,
      });
    expect((await register()).status).toBe(Status.PAYMENT_REQUIRED);
    expect((await hire(who, lockers.fill(100_000_000n))).status).toBe(Status.SUCCESS);
    expect((await register()).status).toBe(Status.SUCCESS);
    expect((await peek()).status).toBe(Status.SUCCESS);
  });
});

describe('hire storage', () => {
  it('a term ends at its expiry, and a renewal after it starts from then', async () => {
    const d = tempDir('qmail-hire-store-');
    let now = 1_000_000;
    const s = await openStorage({ dataDir: d.path, backend: 'sqlite', durable: false, now: () => now });
    try {
      const mb = { denomination: 0, serial: 4242 };
      const code = new Uint8Array(randomBytes(16));
      expect(await s.hires.claim(code, mb)).toBe(true);
      expect(await s.hires.claim(code, mb)).toBe(false);
      const a = await s.hires.settle(code, mb, 10n, 10n, { termMs: 1000, quotaMb: 1 });
      expect(a).toEqual({ ok: true, hire: { expiresAt: 1_001_000, quotaMb: 1, creditUnits: 0n } });
      expect(await s.hires.active(mb, 1_000_999)).not.toBeNull();
      expect(await s.hires.active(mb, 1_001_000)).toBeNull();
      now = 2_000_000;
      const code2 = new Uint8Array(randomBytes(16));
      expect(await s.hires.claim(code2, mb)).toBe(true);
      const b = await s.hires.settle(code2, mb, 10n, 10n, { termMs: 1000, quotaMb: 5 });
      expect(b.hire.expiresAt).toBe(2_001_000);
      // A released claim (nothing was taken) may pay later.
      const code3 = new Uint8Array(randomBytes(16));
      expect(await s.hires.claim(code3, mb)).toBe(true);
      await s.hires.release(code3);
      expect(await s.hires.claim(code3, mb)).toBe(true);
    } finally {
      await s.close();
      d.remove();
    }
  });
});
