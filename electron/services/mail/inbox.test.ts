// The receive loop without servers: the beacon and the opening of a Tell are stand-ins the
// test scripts, the clock is the test's.
import { afterEach, describe, expect, it } from 'vitest';
import { parseMailbox } from '../../../shared/cbdf/address.js';
import type { TellNotice } from '../../../shared/qmail/index.js';
import type { LoadedIdentity } from '../identity/store.js';
import type { BeaconLink } from './beacon.js';
import { Inbox, MAX_OPENING } from './inbox.js';
import { Mailbox } from './mailbox.js';
import { ReceiveError, type Received } from './receive.js';
import { testContext, type TestContext } from './testing/context.js';

const SENDER = '0006.0.2002';
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

let guidSeq = 0;
function tell(): TellNotice {
  const g = new Uint8Array(16);
  g[15] = ++guidSeq;
  g[0] = 0xa0;
  return {
    clusterId: guidSeq,
    sender: parseMailbox(SENDER),
    timestamp: 1000,
    tellType: 0,
    fileGroupGuid: g,
    totalSize: 100,
    servers: [],
    lockerKey: new Uint8Array(16),
    manifest: [],
  };
}

function received(t: TellNotice, subject: string): Received {
  return {
    letter: { to: [parseMailbox('0006.0.1001')], cc: [], subject, body: `${subject} body`, timestamp: 1234, attachments: [] },
    sender: SENDER,
    senderName: 'Bob Dylan',
    level: 3,
    layout: { k: 2, p: 1 },
    repaired: 0,
    guid: t.fileGroupGuid,
    verified: { signature: true, senderFingerprint: 'ab:cd', servers: [] },
  };
}

/** A beacon whose pings answer from a list (then park until reset), counting what it was asked. */
function fakeBeacon(peeked: TellNotice[] = [], pinged: TellNotice[][] = []) {
  const calls = { peek: 0, ping: 0, reset: 0 };
  const acks: number[][] = [];
  let park: (() => void) | null = null;
  const link: BeaconLink = {
    peek: async (_me, ack) => {
      calls.peek++;
      acks.push(ack);
      return { remaining: 0, tells: peeked.splice(0), acknowledged: true };
    },
    ping: (_me: LoadedIdentity, _wait, ack) => {
      calls.ping++;
      acks.push(ack);
      const next = pinged.shift();
      if (next) return Promise.resolve({ remaining: 0, tells: next, acknowledged: true });
      return new Promise((_, rej) => {
        park = () => rej(new Error('connection closed'));
      });
    },
    reset: () => {
      calls.reset++;
      park?.();
      park = null;
    },
  };
  return { link, calls, acks };
}

function setup(open: (t: TellNotice) => Promise<Received>, beacon = fakeBeacon(), t: TestContext = testContext()) {
  const mailbox = new Mailbox(t.ctx);
  const inbox = new Inbox(t.ctx, { beacon: beacon.link, open, mailbox, pingWaitMs: 10, sleep: async () => {} });
  cleanups.push(async () => {
    await inbox.stop();
    t.close();
  });
  return { t, inbox, mailbox, beacon };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('inbox', () => {
  it('polls only while unlocked with an identity: peek first, then ping; stops on stop', async () => {
    const t1 = tell();
    const beacon = fakeBeacon([t1]);
    const { t, inbox } = setup(async (x) => received(x, 'Peeked'), beacon);
    inbox.start();
    await until(() => beacon.calls.ping === 1);
    expect(beacon.calls.peek).toBe(2); // the second names what the first handed over, so the beacon deletes it
    expect(beacon.acks[1]).toEqual([t1.clusterId]);
    expect(inbox.polling).toBe(true);
    expect(t.ctx.tables.messages.list('inbox', 0, 10).items.map((m) => m.subject)).toEqual(['Peeked']);
    await inbox.stop();
    expect(inbox.polling).toBe(false);
    expect(beacon.calls.reset).toBeGreaterThan(0);
  });

  it('does not poll without an identity, nor when started for sending only; resume starts it once there is one', async () => {
    const none = testContext({ me: null });
    const a = setup(async (x) => received(x, 'x'), fakeBeacon(), none);
    a.inbox.start();
    a.inbox.resume();
    expect(a.inbox.polling).toBe(false);
    const b = setup(async (x) => received(x, 'x'));
    b.inbox.start(false);
    b.inbox.resume();
    expect(b.inbox.polling).toBe(false);
    expect(b.beacon.calls.peek).toBe(0);
    const c = setup(async (x) => received(x, 'x'));
    c.t.lock();
    c.inbox.start();
    expect(c.inbox.polling).toBe(false);
  });

  it('keeps a Tell sealed until its message is stored, retries it with a backoff, and stores a Tell once', async () => {
    const t1 = tell();
    let fail = true;
    const { t, inbox } = setup(async (x) => {
      if (fail) throw new ReceiveError('a storage server did not answer', true);
      return received(x, 'Late');
    });
    expect(await inbox.accept([t1])).toBe(0);
    const raw = t.ctx.db.prepare('SELECT * FROM mail_pending').all() as { attempts: number; next_at: number; sealed: Buffer }[];
    expect(raw).toHaveLength(1);
    expect(raw[0]!.attempts).toBe(1);
    expect(raw[0]!.next_at).toBe(t.clock.t + 1000);
    expect(raw[0]!.sealed.includes(Buffer.from(t1.sender.serial.toString()))).toBe(false);
    // Not due yet.
    fail = false;
    expect(await inbox.retryPending()).toBe(0);
    t.clock.t += 1000;
    expect(await inbox.retryPending()).toBe(1);
    expect(t.ctx.tables.received.pendingCount()).toBe(0);
    expect(t.ctx.tables.messages.list('inbox', 0, 10).items).toMatchObject([{ subject: 'Late', fromName: 'Bob Dylan', unread: true }]);
    expect(t.events.map((e) => e.event)).toEqual(expect.arrayContaining(['mail.received', 'mail.changed', 'notify']));
    // The same Tell again (a second ping, a peek): nothing new.
    expect(await inbox.accept([t1])).toBe(0);
    expect(t.ctx.tables.messages.list('inbox', 0, 10).total).toBe(1);
  });

  it('gives up a Tell whose QKD keys our KME lacks after three tries, and says so once', async () => {
    const t1 = tell();
    let tries = 0;
    const { t, inbox } = setup(async () => {
      tries++;
      throw new ReceiveError('key not found on our KME', true, 'key_not_found');
    });
    const gaveUp: unknown[] = [];
    inbox.onUnreadable((u) => gaveUp.push(u));
    await inbox.accept([t1]);
    for (let i = 0; i < 5; i++) {
      t.clock.t += 60_000;
      await inbox.retryPending();
    }
    expect(tries).toBe(4);
    expect(gaveUp).toEqual([{ sender: SENDER, reason: 'key not found on our KME', code: 'key_not_found' }]);
    expect(t.ctx.tables.received.pendingCount()).toBe(0);
    expect(t.ctx.tables.received.seen(Buffer.from(t1.fileGroupGuid).toString('hex'))).toBe(true);
    expect(t.events.filter((e) => e.event === 'notify')).toEqual([
      { event: 'notify', payload: expect.objectContaining({ level: 'warning', title: `A qmail from ${SENDER} could not be opened` }) },
    ]);
    // A Tell given up is not taken again.
    await inbox.accept([t1]);
    expect(tries).toBe(4);
  });

  it('gives up at once on a failure that will not pass', async () => {
    const { t, inbox } = setup(async () => {
      throw new ReceiveError('the signature does not verify', false);
    });
    const gaveUp: unknown[] = [];
    inbox.onUnreadable((u) => gaveUp.push(u));
    await inbox.accept([tell()]);
    expect(gaveUp).toEqual([{ sender: SENDER, reason: 'the signature does not verify' }]);
    expect(t.ctx.tables.received.pendingCount()).toBe(0);
  });

  it('a ping that fails drops its connection and the loop goes on', async () => {
    const t1 = tell();
    const beacon = fakeBeacon([], []);
    let pings = 0;
    const ping = beacon.link.ping;
    beacon.link.ping = (me, w, ack) => {
      pings++;
      if (pings === 1) return Promise.reject(new Error('beacon went away'));
      if (pings === 2) return Promise.resolve({ remaining: 0, tells: [t1], acknowledged: true });
      return ping(me, w, ack);
    };
    const { t, inbox } = setup(async (x) => received(x, 'After a failure'), beacon);
    inbox.start();
    await until(() => t.ctx.tables.messages.list('inbox', 0, 10).total === 1);
    expect(beacon.calls.reset).toBeGreaterThan(0);
    // The Tell is kept: the next ping names it so the beacon can delete it.
    await until(() => beacon.acks.some((a) => a.includes(t1.clusterId)));
  });

  it('pings again while a batch is being opened, and stop waits for the batch', async () => {
    const [t1, t2] = [tell(), tell()];
    const beacon = fakeBeacon([], [[t1], [t2]]);
    const gates = new Map<number, () => void>();
    const { t, inbox } = setup(
      (x) => new Promise<Received>((resolve) => gates.set(x.clusterId, () => resolve(received(x, `S${x.clusterId}`)))),
      beacon,
    );
    inbox.start();
    // Both Tells are being opened at once, and the loop is parked in its third ping, naming both as kept.
    await until(() => gates.size === 2 && beacon.calls.ping === 3);
    expect(beacon.acks.slice(-2)).toEqual([[t1.clusterId], [t2.clusterId]]);
    expect(t.ctx.tables.messages.list('inbox', 0, 10).total).toBe(0);
    let stopped = false;
    const stopping = inbox.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    for (const g of gates.values()) g();
    await stopping;
    expect(t.ctx.tables.messages.list('inbox', 0, 10).total).toBe(2);
  });

  it('a Tell being opened is not opened again by another pass, and at most MAX_OPENING are opened at once', async () => {
    const tells = Array.from({ length: MAX_OPENING + 6 }, () => tell());
    const opened: number[] = [];
    const gates: (() => void)[] = [];
    const { t, inbox } = setup(
      (x) =>
        new Promise<Received>((resolve) => {
          opened.push(x.clusterId);
          gates.push(() => resolve(received(x, `S${x.clusterId}`)));
        }),
    );
    const first = inbox.accept(tells);
    expect(inbox.openingCount).toBe(MAX_OPENING);
    expect(await inbox.retryPending()).toBe(0); // full: nothing more opened, nothing opened twice
    expect(opened).toHaveLength(MAX_OPENING);
    for (const g of gates.splice(0)) g();
    expect(await first).toBe(MAX_OPENING);
    // The six left waiting go with the next pass, and none of the first is opened again.
    const second = inbox.retryPending();
    expect(opened).toHaveLength(MAX_OPENING + 6);
    expect(new Set(opened).size).toBe(opened.length);
    for (const g of gates.splice(0)) g();
    expect(await second).toBe(6);
    expect(inbox.openingCount).toBe(0);
    expect(t.ctx.tables.received.pendingCount()).toBe(0);
  });
});
