// The outbox state machine without servers: the attempt is a stand-in the test scripts,
// the clock is the test's, timers are never armed (the test drains by hand).
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxItem } from '../../../shared/ipc/index.js';
import { SendError } from './send.js';
import { Outbox, type AttemptOutcome, type AttemptRequest, type OutboxOptions } from './outbox.js';
import { MailError, type DraftInput, type OutgoingMessage } from './context.js';
import { testContext, type TestContext } from './testing/context.js';

const BOB = '0006.0.2002';
const CAROL = '0006.0.3003';
const BASE = 1000;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

type Script = (req: AttemptRequest) => Promise<AttemptOutcome> | AttemptOutcome;

function setup(script: Script[], extra: Partial<OutboxOptions> & { t?: TestContext } = {}) {
  const t = extra.t ?? testContext();
  if (!extra.t) cleanups.push(t.close);
  const calls: AttemptRequest[] = [];
  const drafts: DraftInput[] = [];
  const scheduled: number[] = [];
  const outbox = new Outbox(t.ctx, {
    attempt: async (req) => {
      calls.push(req);
      const next = script.shift();
      if (!next) throw new Error('no attempt scripted');
      return next(req);
    },
    classify: (e) =>
      e instanceof SendError
        ? { retryable: e.retryable, ...(e.recipients ? { recipients: e.recipients.map(({ paid: _paid, ...r }) => r) } : {}) }
        : { retryable: !(e instanceof MailError) },
    saveDraft: (d) => {
      drafts.push(d);
      return `draft-${drafts.length}`;
    },
    threadRef: () => undefined,
    serverCount: () => 5,
    retryBaseMs: BASE,
    maxAttempts: 3,
    schedule: (_fn, ms) => {
      scheduled.push(ms);
      return () => {};
    },
    ...extra,
  });
  return { t, outbox, calls, drafts, scheduled };
}

const message = (over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  to: [BOB],
  cc: [],
  subject: 'Tea at four',
  body: 'Bring the dormouse.',
  attachments: [{ name: 'a.txt', data: new TextEncoder().encode('hi') }],
  level: 'L3',
  ...over,
});

const delivered = (req: AttemptRequest): AttemptOutcome => ({
  delivered: req.everyone.filter((a) => !req.reached.some((r) => r.address === a)),
});
const settledOf = (t: TestContext) =>
  t.events
    .filter((e) => e.event === 'outbox.changed')
    .map((e) => (e.payload as { settled?: OutboxItem }).settled)
    .filter(Boolean);

describe('outbox', () => {
  it('keeps a file attachment by reference (name, path, size), not its bytes, back to Drafts; a missing file is refused at once', async () => {
    const { t, outbox, calls, drafts } = setup([
      () => {
        throw new SendError('down', true);
      },
    ]);
    const path = join(t.dir, 'report.bin');
    writeFileSync(path, Buffer.alloc(5000, 7));
    outbox.start();
    const item = outbox.queue(message({ attachments: [{ name: 'report.bin', path }] }));
    expect(t.ctx.tables.outbox.get(item.id)!.job.attachments).toEqual([{ name: 'report.bin', path, size: 5000 }]);
    await outbox.drain();
    expect(calls[0]!.job.attachments).toEqual([{ name: 'report.bin', path, size: 5000 }]);
    outbox.returnToDrafts(item.id);
    expect(drafts[0]!.attachments).toEqual([{ name: 'report.bin', path, size: 5000 }]);
    expect(() => outbox.queue(message({ attachments: [{ name: 'gone.bin', path: join(t.dir, 'gone.bin') }] }))).toThrow(/cannot be read/);
    expect(() => outbox.queue(message({ attachments: [{ name: 'dir', path: t.dir }] }))).toThrow(MailError);
  });

  it('queues a message sealed, attempts it, and keeps only a stub once sent', async () => {
    const { t, outbox, calls } = setup([delivered]);
    outbox.start();
    const item = outbox.queue(message());
    expect(item).toMatchObject({
      state: 'queued',
      to: [BOB],
      subject: 'Tea at four',
      attempts: 0,
      level: 'L3',
      recipients: [{ address: BOB, state: 'queued' }],
    });
    const raw = t.ctx.db.prepare('SELECT * FROM mail_outbox').get() as Record<string, unknown>;
    expect(JSON.stringify(raw)).not.toMatch(/Tea at four|2002|dormouse/);
    const done = outbox.waitFor(item.id);
    await outbox.drain();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.job).toMatchObject({
      to: [BOB],
      subject: 'Tea at four',
      stripes: { k: 2, p: 1 },
      attachments: [{ name: 'a.txt', data: Buffer.from('hi').toString('base64') }],
    });
    const sent = await done;
    expect(sent).toMatchObject({ state: 'sent', attempts: 1, recipients: [{ address: BOB, state: 'delivered', at: t.clock.t }] });
    expect(outbox.list()).toEqual([]);
    expect(t.ctx.tables.outbox.get(item.id)!.job).toMatchObject({ body: '', attachments: [] });
    expect(t.events.some((e) => e.event === 'mail.changed')).toBe(true);
  });

  it('retries with a doubling backoff, then gives up after maxAttempts and says so', async () => {
    const fail = () => {
      throw new SendError(`the beacon of ${BOB} did not answer`, true);
    };
    const { t, outbox, calls, scheduled } = setup([fail, fail, fail]);
    outbox.start();
    const item = outbox.queue(message());
    await outbox.drain();
    let now = outbox.item(item.id)!;
    expect(now).toMatchObject({
      state: 'queued',
      attempts: 1,
      nextAttemptAt: t.clock.t + BASE,
      error: `Will retry: the beacon of ${BOB} did not answer`,
    });
    expect(scheduled.at(-1)).toBe(BASE);
    // Not due yet: nothing happens.
    await outbox.drain();
    expect(calls).toHaveLength(1);
    t.clock.t += BASE;
    await outbox.drain();
    now = outbox.item(item.id)!;
    expect(now).toMatchObject({ state: 'queued', attempts: 2, nextAttemptAt: t.clock.t + 2 * BASE });
    t.clock.t += 2 * BASE;
    await outbox.drain();
    now = outbox.item(item.id)!;
    expect(now).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: `the beacon of ${BOB} did not answer`,
      recipients: [{ address: BOB, state: 'failed' }],
    });
    expect(calls).toHaveLength(3);
    expect(settledOf(t).at(-1)).toMatchObject({ id: item.id, state: 'failed' });
    expect(t.events.find((e) => e.event === 'notify')?.payload).toMatchObject({ level: 'error', title: 'Not sent: Tea at four' });
    // The error names a recipient: it is sealed in the row.
    const raw = t.ctx.db.prepare('SELECT error, error_sealed FROM mail_outbox').get() as { error: string | null; error_sealed: Buffer };
    expect(raw.error).toBeNull();
    expect(raw.error_sealed.includes(BOB)).toBe(false);
  });

  it('gives up at once on a failure that will not pass', async () => {
    const { outbox } = setup([
      () => {
        throw new SendError('0006.0.4242 is not in the directory', false);
      },
    ]);
    outbox.start();
    const item = outbox.queue(message({ to: ['0006.0.4242'] }));
    await outbox.drain();
    expect(outbox.item(item.id)).toMatchObject({ state: 'failed', attempts: 1, error: '0006.0.4242 is not in the directory' });
  });

  it('retry queues a failed message again now; cancel gives it back to Drafts whole', async () => {
    const { t, outbox, drafts } = setup([
      () => {
        throw new SendError('refused', false);
      },
    ]);
    outbox.start();
    const item = outbox.queue(message({ cc: [CAROL], level: 'L2', stripes: { k: 3, p: 1 }, allowFallback: true }), {
      from: 'L2',
      reason: 'no KME',
    });
    await outbox.drain();
    expect(outbox.item(item.id)!.state).toBe('failed');
    t.clock.t += 5;
    expect(outbox.retry(item.id)).toMatchObject({ state: 'queued', nextAttemptAt: t.clock.t });
    expect(outbox.item(item.id)!.error).toBeUndefined();
    const draftId = outbox.returnToDrafts(item.id);
    expect(draftId).toBe('draft-1');
    expect(drafts[0]).toEqual({
      to: [BOB],
      cc: [CAROL],
      subject: 'Tea at four',
      body: 'Bring the dormouse.',
      level: 'L2',
      stripes: { k: 3, p: 1 },
      attachments: [{ name: 'a.txt', data: Buffer.from('hi').toString('base64') }],
    });
    expect(outbox.item(item.id)).toBeUndefined();
    expect(() => outbox.retry(item.id)).toThrow(MailError);
    expect(() => outbox.cancel(item.id)).toThrow(/not waiting/);
  });

  it('refuses bad addresses and layouts before queueing anything', () => {
    const { outbox } = setup([]);
    expect(() => outbox.queue(message({ to: ['bob@example.com'] }))).toThrow(/not a QMail address/);
    expect(() => outbox.queue(message({ stripes: { k: 5, p: 1 } }))).toThrow(/5\+1 layout needs 6 servers/);
    expect(() => outbox.queue(message({ stripes: { k: 1, p: 0 } }))).toThrow(/between 2 and 32/);
    expect(outbox.list()).toEqual([]);
  });

  it('after a restart, a row left in sending is queued again and sent', async () => {
    const first = testContext();
    cleanups.push(first.close);
    const a = setup([], { t: first });
    const item = a.outbox.queue(message());
    // The process dies mid-attempt: the row stays in `sending`.
    first.ctx.tables.outbox.startAttempt(item.id);
    expect(a.outbox.item(item.id)!.state).toBe('sending');
    first.ctx.db.close();
    const again = testContext({ dir: first.dir, key: first.key });
    const b = setup([delivered], { t: again });
    cleanups.unshift(() => again.ctx.db.close());
    expect(b.outbox.item(item.id)).toMatchObject({ state: 'queued', attempts: 1 });
    b.outbox.start();
    await b.outbox.drain();
    expect(b.outbox.item(item.id)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(b.calls[0]!.job.subject).toBe('Tea at four');
  });

  it('a retry after a partial delivery tells only the recipients not reached yet', async () => {
    const { t, outbox, calls } = setup([
      () => {
        const e = new SendError(`the beacon of ${CAROL} refused the notice`, true);
        e.recipients = [
          { address: BOB, delivered: true },
          { address: CAROL, delivered: false, reason: 'beacon refused' },
        ];
        throw e;
      },
      delivered,
    ]);
    outbox.start();
    const item = outbox.queue(message({ cc: [CAROL] }));
    await outbox.drain();
    expect(outbox.item(item.id)!.recipients).toEqual([
      { address: BOB, state: 'delivered', at: t.clock.t },
      { address: CAROL, state: 'queued', reason: 'beacon refused' },
    ]);
    t.clock.t += BASE;
    await outbox.drain();
    expect(calls[1]!.reached.map((r) => r.address)).toEqual([BOB]);
    expect(calls[1]!.everyone).toEqual([BOB, CAROL]);
    const done = outbox.item(item.id)!;
    expect(done.state).toBe('sent');
    expect(t.ctx.tables.outbox.get(item.id)!.job.delivery!.map((d) => [d.address, d.state])).toEqual([
      [BOB, 'delivered'],
      [CAROL, 'delivered'],
    ]);
  });

  it('records upload progress on the row and announces it', async () => {
    let seen: OutboxItem | undefined;
    const { t, outbox } = setup([
      (req) => {
        req.onProgress(1, 3);
        seen = outbox.item(req.id);
        req.onProgress(3, 3);
        return delivered(req);
      },
    ]);
    outbox.start();
    const item = outbox.queue(message());
    await outbox.drain();
    expect(seen).toMatchObject({ state: 'sending', uploaded: 1, total: 3, recipients: [{ address: BOB, state: 'sending' }] });
    expect(outbox.item(item.id)).toMatchObject({ uploaded: 3, total: 3, state: 'sent' });
    const announced = t.events
      .filter((e) => e.event === 'outbox.changed')
      .map((e) => (e.payload as { items: OutboxItem[] }).items[0]?.uploaded);
    expect(announced).toContain(1);
  });

  it('sends up to eight at once and starts the next as soon as one ends; the listed queue stays what the table holds', async () => {
    const gates: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const slow = (req: AttemptRequest) =>
      new Promise<AttemptOutcome>((res) => {
        running++;
        most = Math.max(most, running);
        req.onProgress(1, 2);
        gates.push(() => {
          running--;
          res(delivered(req));
        });
      });
    const { t, outbox, calls } = setup(Array.from({ length: 12 }, () => slow));
    outbox.start();
    const items = Array.from({ length: 12 }, (_, i) => outbox.queue(message({ subject: `m${i}` })));
    const pass = outbox.drain();
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toHaveLength(8);
    gates.shift()!(); // one ends: the ninth starts without waiting for the other seven
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toHaveLength(9);
    // what the outbox lists (kept row by row) is what a fresh read of the table gives
    const fresh = () => t.ctx.tables.outbox.unsent().map((r) => ({ id: r.id, state: r.state, uploaded: r.uploaded }));
    expect(outbox.list().map((i) => ({ id: i.id, state: i.state, uploaded: i.uploaded }))).toEqual(fresh());
    while (calls.length < 12 || gates.length) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    await pass;
    expect(most).toBe(8);
    expect(items.map((i) => outbox.item(i.id)?.state)).toEqual(Array(12).fill('sent'));
    expect(outbox.list()).toEqual([]);
    expect(fresh()).toEqual([]);
  });

  it('attempts nothing before start, after stop, or while locked', async () => {
    const { t, outbox, calls } = setup([delivered]);
    outbox.queue(message());
    await outbox.drain();
    expect(calls).toHaveLength(0);
    outbox.start();
    await outbox.stop();
    await outbox.drain();
    expect(calls).toHaveLength(0);
    outbox.start();
    t.lock();
    await outbox.drain();
    expect(calls).toHaveLength(0);
  });
});
