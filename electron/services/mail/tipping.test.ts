// The tip path without servers: which recipients pay and when a send is refused
// (lockersToPay), the Tells and their lockers (tellAll against a scripted beacon), and the
// lockers' records through a crash and a receive (Tipping over a scripted wallet).
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../shared/bytes/index.js';
import { parseMailbox } from '../../../shared/cbdf/address.js';
import { Status } from '../../../shared/raida/index.js';
import { TipTables } from '../../store/tips.js';
import type { ServerDescriptor } from '../directory/client.js';
import { StatusError, ConnectionPool } from '../net/transport.js';
import type { WalletRunner } from '../wallet/runner.js';
import { MailError } from '../errors.js';
import { testContext, testIdentity } from './testing/context.js';
import { tellAll, type TipHooks } from './tells.js';
import { Tipping } from './tipping.js';
import { lockersToPay, type Quote } from './tips.js';

const CC = 100_000_000n;
const A = '0006.0.2001';
const B = '0006.0.2002';
const C = '0006.0.2003';
const beacon = (id: string) => ({ nodeId: id, host: '127.0.0.1', port: 1, raidaId: 0 }) as ServerDescriptor;

describe('which recipients a send pays (lockersToPay)', () => {
  const wallet = (held: bigint, canPay = true) => ({ canPay, balance: () => held });
  const q = (address: string, kind: Quote['kind'], units = 0n): Quote => ({ address, kind, units });

  it('pays what is given where a fee is owed, nothing to free inboxes, white lists, black lists or a refused class', () => {
    const quotes = [q(A, 'fee', 10n * CC), q(B, 'free'), q(C, 'white'), q('0006.0.9', 'black'), q('0006.0.8', 'class')];
    const tips = [A, B, C, '0006.0.9', '0006.0.8'].map((address) => ({ address, amount: '12' }));
    expect(lockersToPay(quotes, tips, wallet(100n * CC))).toEqual({ [A]: (12n * CC).toString() });
    expect(lockersToPay([q(B, 'free')], [], wallet(0n, false))).toBeUndefined();
    // A fee that cannot be read is paid what is given; nothing given, nothing paid.
    expect(lockersToPay([q(A, 'unknown')], [{ address: A, amount: '0.5' }], wallet(CC))).toEqual({ [A]: '50000000' });
    expect(lockersToPay([q(A, 'unknown')], [], wallet(CC))).toBeUndefined();
  });

  it('refuses with fee_not_covered, in words, before anything is queued', () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MailError);
        expect((e as MailError).code).toBe('fee_not_covered');
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused(() => lockersToPay([q(A, 'fee', 10n * CC)], [], wallet(100n * CC)))).toBe(
      `${A} charges an inbox fee of 10 CC; no tip was given.`,
    );
    expect(refused(() => lockersToPay([q(A, 'default', 3n * CC)], [{ address: A, amount: '2.5' }], wallet(100n * CC)))).toBe(
      `${A} charges an inbox fee of 3 CC (their beacon's default); 2.5 CC was offered.`,
    );
    expect(
      refused(() =>
        lockersToPay(
          [q(A, 'fee', CC), q(B, 'fee', CC)],
          [
            { address: A, amount: '6' },
            { address: B, amount: '6' },
          ],
          wallet(11n * CC),
        ),
      ),
    ).toBe('The inbox fees and tips come to 12 CC; the wallet holds 11 CC.');
    expect(refused(() => lockersToPay([q(A, 'fee', CC)], [{ address: A, amount: '1' }], wallet(0n, false)))).toMatch(/no wallet/);
  });
});

/** Lockers as a wallet would see them: filled, taken by a beacon, given back. */
function scriptedTips(amounts: Record<string, bigint>) {
  const log: string[] = [];
  const state = new Map<string, 'full' | 'taken' | 'unsure'>();
  const hooks: TipHooks = {
    amount: (a) => amounts[a] ?? 0n,
    locker: async (a) => {
      log.push(`locker ${a}`);
      state.set(a, 'full');
      return new Uint8Array(16).fill(a.length + Number(a.slice(-1)));
    },
    told: (a) => void log.push(`told ${a}`),
    refused: async (a) => (log.push(`refused ${a}`), true),
    check: async (a) => (log.push(`check ${a}`), state.get(a) ?? 'unsure'),
  };
  return { hooks, log, state };
}

/** A beacon answering each Tell as scripted (an error, or nothing: 250), recording what it was sent. */
function scriptedBeacon(answers: (Error | undefined | ((req: { lockers: string[] }) => Error | undefined))[]) {
  const tells: { to: string[]; lockers: string[] }[] = [];
  return {
    tells,
    client: () => ({
      tell: async (_c: unknown, t: { recipients: { address: { serial: number }; lockerKey: Uint8Array }[] }) => {
        const req = { to: t.recipients.map((r) => `0006.0.${r.address.serial}`), lockers: t.recipients.map((r) => toHex(r.lockerKey)) };
        tells.push(req);
        const a = answers.shift();
        const e = typeof a === 'function' ? a(req) : a;
        if (e) throw e;
      },
    }),
  };
}

const targets = (...as: string[]) => as.map((address) => ({ address, mailbox: parseMailbox(address), beacon: beacon('b0') }));
const shape = (group: { address: string }[], lockerKey: Uint8Array) =>
  ({
    recipients: group.map((g) => ({ addressType: 0, address: parseMailbox(g.address), lockerKey })),
  }) as never;
const opts = (hooks: TipHooks, client: () => never) => ({
  pool: new ConnectionPool(1),
  me: testIdentity(),
  tips: hooks,
  attempts: 4,
  backoffMs: 1,
  client,
});

describe('the Tells and their lockers (tellAll)', () => {
  it('a paying recipient gets a Tell of its own with its locker; the others share one with a zero key', async () => {
    const { hooks, log } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([undefined, undefined]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A, B, C), shape);
    expect(out).toMatchObject({ delivered: expect.arrayContaining([A, B, C]), failed: [], paid: { [A]: 10n * CC }, retryable: false });
    expect(b.tells).toHaveLength(2);
    const mine = b.tells.find((t) => t.to.includes(A))!;
    expect(mine.to).toEqual([A]);
    expect(mine.lockers[0]).not.toBe('0'.repeat(32));
    expect(b.tells.find((t) => t.to.includes(B))).toEqual({ to: [B, C], lockers: ['0'.repeat(32), '0'.repeat(32)] });
    expect(log).toEqual([`locker ${A}`, `told ${A}`]);
  });

  it('a refusal asking again will not change gives the coins back and says why, not retried', async () => {
    const { hooks, log } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([new StatusError(Status.SENDER_BLACKLISTED, 'tell')]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A), shape);
    expect(out.failed).toEqual([
      {
        address: A,
        delivered: false,
        reason: `${A} refused the qmail: they do not accept mail from you (you are on their black list)`,
        paid: 10n * CC,
        refunded: true,
      },
    ]);
    expect(out.retryable).toBe(false);
    expect(b.tells).toHaveLength(1);
    expect(log).toEqual([`locker ${A}`, `refused ${A}`]);
  });

  it('a Tell without an answer goes again only while its locker is full, with the same locker', async () => {
    const { hooks, log, state } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([new Error('timed out'), undefined]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A), shape);
    expect(out.delivered).toEqual([A]);
    expect(b.tells).toHaveLength(2);
    expect(b.tells[0]!.lockers).toEqual(b.tells[1]!.lockers);
    expect(log).toEqual([`locker ${A}`, `check ${A}`, `told ${A}`]);
    expect(state.get(A)).toBe('full');
  });

  it('a Tell whose answer was lost but whose locker was taken is delivered without a second Tell or payment', async () => {
    const { hooks, log, state } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([
      () => {
        state.set(A, 'taken'); // the beacon collected, then the answer was lost
        return new Error('timed out');
      },
    ]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A), shape);
    expect(out).toMatchObject({ delivered: [A], failed: [], paid: { [A]: 10n * CC } });
    expect(b.tells).toHaveLength(1);
    expect(log).toEqual([`locker ${A}`, `check ${A}`]);
  });

  it('a resent Tell refused for want of payment, because the first one took the locker meanwhile, is delivered', async () => {
    const { hooks, log, state } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([
      new Error('timed out'),
      () => {
        state.set(A, 'taken');
        return new StatusError(Status.PAYMENT_INSUFFICIENT, 'tell');
      },
    ]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A), shape);
    expect(out).toMatchObject({ delivered: [A], failed: [] });
    expect(log).toEqual([`locker ${A}`, `check ${A}`, `check ${A}`]);
  });

  it('undecided lockers are not resent; the recipient fails retryable and the locker is kept for the next try', async () => {
    const { hooks, state } = scriptedTips({ [A]: 10n * CC });
    const b = scriptedBeacon([
      () => {
        state.set(A, 'unsure');
        return new Error('timed out');
      },
    ]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A), shape);
    expect(b.tells).toHaveLength(1);
    expect(out.retryable).toBe(true);
    expect(out.failed[0]).toMatchObject({ address: A, reason: 'its beacon did not take the notice (timed out)' });
  });

  it('a wallet that cannot pay fails that recipient alone, before any Tell', async () => {
    const { hooks } = scriptedTips({ [A]: 10n * CC });
    hooks.locker = async () => {
      throw Object.assign(new Error('the wallet could not pay 10 CC'), { retryable: false });
    };
    const b = scriptedBeacon([undefined]);
    const out = await tellAll(opts(hooks, b.client as never), targets(A, B), shape);
    expect(out.delivered).toEqual([B]);
    expect(out.failed).toEqual([{ address: A, delivered: false, reason: 'the wallet could not pay 10 CC' }]);
    expect(out.retryable).toBe(false);
  });
});

/** A wallet whose lockers live in a map: put, peek, reclaim, take. */
function scriptedWallet(t: ReturnType<typeof testContext>) {
  const calls: string[] = [];
  const lockers = new Map<string, { units: bigint; state: 'full' | 'taken' }>();
  let held = 100n * CC;
  const wallet = {
    putInLocker: async (units: bigint, code: Uint8Array) => {
      // The record exists before a coin moves.
      calls.push(`put ${new TipTables(t.ctx.db, t.ctx.box).unsettledLockers().map((r) => r.state)}`);
      held -= units;
      lockers.set(toHex(code), { units, state: 'full' });
      return { code, coins: 1 };
    },
    lockerState: async (code: Uint8Array) => lockers.get(toHex(code))?.state ?? 'unsure',
    reclaimLocker: async (code: Uint8Array) => {
      const l = lockers.get(toHex(code))!;
      calls.push('reclaim');
      if (l.state === 'full') held += l.units;
      l.state = 'taken';
      return { accepted: 1, rejected: 0, limbo: 0, units: l.units };
    },
    forgetLocker: () => void calls.push('forget'),
    takeFromLocker: async (code: Uint8Array) => {
      calls.push('take');
      const l = lockers.get(toHex(code));
      if (!l || l.state !== 'full') return { accepted: 0, rejected: 0, limbo: 0, units: 0n };
      l.state = 'taken';
      held += l.units;
      return { accepted: 1, rejected: 0, limbo: 0, units: l.units };
    },
    recover: async () => ({ settled: 0, dropped: 0 }),
    balance: () => ({ total: held }),
  };
  const runner = {
    online: true,
    run: (fn: (w: typeof wallet) => Promise<unknown>) => fn(wallet),
    offline: () => wallet,
  } as unknown as WalletRunner;
  return { runner, calls, lockers, held: () => held };
}

describe('lockers recorded and settled (Tipping)', () => {
  const made: ReturnType<typeof testContext>[] = [];
  afterEach(() => made.splice(0).forEach((t) => t.close()));
  const setup = () => {
    const t = testContext();
    made.push(t);
    const w = scriptedWallet(t);
    const tables = new TipTables(t.ctx.db, t.ctx.box);
    const tipping = new Tipping({
      tables,
      wallet: w.runner,
      messages: t.ctx.tables.messages,
      now: t.ctx.now,
      emit: t.ctx.emit,
      log: () => undefined,
      recheckMs: 1,
    });
    return { t, w, tables, tipping };
  };

  it('records a locker before its put; a crash after the put is settled on the next start: taken back when full', async () => {
    const { w, tables, tipping } = setup();
    const hooks = tipping.attempt('item', { [A]: (10n * CC).toString() });
    const code = await hooks.locker(A);
    expect(w.calls).toEqual(['put filling']);
    expect(tables.unsettledLockers()).toEqual([
      expect.objectContaining({ outboxId: 'item', recipient: A, state: 'filled', code: toHex(code as Uint8Array) }),
    ]);
    expect(w.held()).toBe(90n * CC);
    // The process stops before the Tell; the next unlock settles it.
    expect(await tipping.recover()).toEqual({ refunded: 1, collected: 0, unsure: 0 });
    expect(w.held()).toBe(100n * CC);
    expect(tables.unsettledLockers()).toEqual([]);
  });

  it('a locker found taken after a crash counts as delivered: the next try neither pays nor tells again', async () => {
    const { w, tables, tipping } = setup();
    const code = (await tipping.attempt('item', { [A]: (10n * CC).toString() }).locker(A)) as Uint8Array;
    w.lockers.get(toHex(code))!.state = 'taken'; // the beacon took the Tell before the crash
    expect(await tipping.recover()).toEqual({ refunded: 0, collected: 1, unsure: 0 });
    expect(await tipping.attempt('item', { [A]: (10n * CC).toString() }).locker(A)).toBe('delivered');
    expect(w.held()).toBe(90n * CC);
    expect(tables.lockersOf('item').map((r) => r.state)).toEqual(['collected']);
  });

  it('a message given up gives back what its lockers hold and says whose came back', async () => {
    const { w, tables, tipping } = setup();
    const hooks = tipping.attempt('item', { [A]: (10n * CC).toString(), [B]: (5n * CC).toString() });
    await hooks.locker(A);
    const b = (await hooks.locker(B)) as Uint8Array;
    w.lockers.get(toHex(b))!.state = 'taken'; // B's Tell went through before the answer was lost
    expect(w.held()).toBe(85n * CC);
    expect(await tipping.release('item')).toEqual([A]);
    expect(w.held()).toBe(95n * CC);
    expect(tables.lockersOf('item')).toEqual([]);
  });

  it('an earlier try’s locker still full is used again rather than a second one', async () => {
    const { w, tipping } = setup();
    const first = await tipping.attempt('item', { [A]: (10n * CC).toString() }).locker(A);
    const again = await tipping.attempt('item', { [A]: (10n * CC).toString() }).locker(A);
    expect(again).toEqual(first);
    expect(w.calls.filter((c) => c.startsWith('put'))).toHaveLength(1);
  });

  it('the records say nothing in clear: code, recipient and amount are sealed', async () => {
    const { t, tipping } = setup();
    const code = (await tipping.attempt('item', { [A]: (10n * CC).toString() }).locker(A)) as Uint8Array;
    const raw = JSON.stringify(t.ctx.db.prepare('SELECT * FROM mail_lockers').all());
    expect(raw).not.toContain(A);
    expect(raw).not.toContain(toHex(code));
    expect(raw).not.toContain('1000000000');
  });

  it('a received tip shows pending, is collected into the wallet and then shows received; an empty one is retried', async () => {
    const { t, w, tables, tipping } = setup();
    const code = new Uint8Array(16).fill(7);
    w.lockers.set(toHex(code), { units: 9n * CC, state: 'full' });
    t.ctx.tables.messages.put('m1', 'inbox', 1, true, { from: B, to: [A], subject: 's', body: 'b', level: 'L3' });
    const pending = tipping.received('m1', code, B);
    expect(pending).toEqual({ amount: '0', state: 'pending' });
    expect(await tipping.collectDue()).toBe(1);
    expect(t.ctx.tables.messages.get('m1')?.tip).toEqual({ amount: '9', state: 'received' });
    expect(w.held()).toBe(109n * CC);
    // A locker the coin servers did not answer for (here: nothing in it yet) stays pending, to be tried again.
    t.ctx.tables.messages.put('m2', 'inbox', 2, true, { from: B, to: [A], subject: 's', body: 'b', level: 'L3', tip: pending });
    tipping.received('m2', new Uint8Array(16).fill(8), B);
    expect(await tipping.collectDue()).toBe(0);
    expect(tables.duePendingTips(Number.MAX_SAFE_INTEGER)).toEqual([expect.objectContaining({ messageId: 'm2', tries: 1 })]);
    expect(t.ctx.tables.messages.get('m2')?.tip).toEqual({ amount: '0', state: 'pending' });
  });
});
