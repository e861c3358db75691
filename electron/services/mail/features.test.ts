// Mail features over real qmail-server processes (five nodes, as the embedded network has):
// search with highlights, archive and restore, threaded replies, per-recipient delivery,
// layouts bounded by the servers available, and the outbox giving messages back to Drafts.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requests, type EventName, type RequestName } from '../../../shared/ipc/contract.js';
import { ContractError } from '../../../shared/ipc/errors.js';
import type { AppServices } from '../app/services.js';
import { useTestNetwork } from '../app/testing/network.js';
import { StripeLayoutError } from './engine.js';

const NODES = 5;
const world = useTestNetwork('qmail-features-', NODES, { pingMaxWaitMs: 1000 });
const users: Record<string, AppServices> = {};
const address: Record<string, string> = {};

async function user(key: string, name: string, beacon = 0): Promise<AppServices> {
  const made = await world.user(key, name, { storage: [0, 1, 2], beacon, mail: { retryBaseMs: 200, maxAttempts: 2 } });
  address[key] = made.address;
  return made.app;
}

async function arrived(app: AppServices, subject: string) {
  for (let i = 0; i < 40; i++) {
    await app.mail.refresh();
    const hit = app.messages.list('inbox', 0, 100).items.find((m) => m.subject === subject);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${subject} did not arrive`);
}

/** A contract call as the dispatcher makes it: input parsed (defaults filled) first. */
const call = async <T>(app: AppServices, channel: RequestName, input: unknown): Promise<T> =>
  (app.handlers as unknown as Record<string, (i: unknown) => Promise<T>>)[channel]!(requests[channel].input.parse(input));

beforeAll(async () => {
  users.alice = await user('alice', 'Alice Liddell');
  users.bob = await user('bob', 'Bob Dylan');
  // Carol's beacon is the fifth node, which the last test stops.
  users.carol = await user('carol', 'Carol King', 4);
  users.alice.mail.start({ receive: false });
  users.bob.mail.start({ receive: false });
}, 120_000);

describe('mail features over real servers', () => {
  it('refuses a layout wider than the network at once, with the limit in the error and in the contract', async () => {
    const alice = users.alice!;
    expect(await call(alice, 'mail.stripeLimit', {})).toEqual({ maxServers: NODES });
    const wide = {
      to: [address.bob!],
      cc: [],
      subject: 'Too wide',
      body: 'x',
      attachments: [],
      level: 'L3' as const,
      stripes: { k: 10, p: 2 },
    };
    const err = await alice.mail.send(wide).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeLayoutError);
    expect((err as StripeLayoutError).maxServers).toBe(NODES);
    expect((err as Error).message).toMatch(/10\+2 layout needs 12 servers.*only 5/);
    expect(alice.mail.outbox()).toEqual([]);
    const viaContract = await call(alice, 'mail.send', {
      to: [address.bob!],
      subject: 'Too wide',
      body: 'x',
      stripes: { k: 10, p: 2 },
    }).catch((e: unknown) => e);
    expect(viaContract).toBeInstanceOf(ContractError);
    expect((viaContract as ContractError).code).toBe('too_few_servers');
  });

  it('finds mail by text, names and attachment names, with ranges to highlight', async () => {
    const alice = users.alice!;
    const bob = users.bob!;
    const filler = 'Lorem ipsum dolor sit amet. '.repeat(12);
    const item = await alice.mail.send({
      to: [address.bob!],
      cc: [],
      subject: 'Quarterly figures',
      body: `${filler}The password is Périwinkle today.`,
      attachments: [{ name: 'budget-forecast.xlsx', data: new Uint8Array([1, 2, 3]) }],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect((await alice.mail.waitFor(item.id)).state).toBe('sent');
    const got = await arrived(bob, 'Quarterly figures');

    const body = bob.mail.search('periwinkle', 'inbox', 10);
    expect(body.items.map((m) => m.id)).toEqual([got.id]);
    const hit = body.items[0]!;
    expect(hit.matchedIn).toEqual(['body']);
    // The match lies beyond the stored preview: the preview becomes an excerpt around it.
    const [a, b] = hit.highlights.preview[0]!;
    expect(hit.preview.slice(a, b)).toBe('Périwinkle');
    expect(hit.preview.startsWith('…')).toBe(true);

    const byName = bob.mail.search('liddell', 'inbox', 10).items[0]!;
    expect(byName.matchedIn).toContain('from');
    expect(byName.fromName).toBe('Alice Liddell');
    const [s, e] = byName.highlights.fromName[0]!;
    expect(byName.fromName!.slice(s, e)).toBe('Liddell');

    const byAttachment = bob.mail.search('forecast', undefined, 10).items[0]!;
    expect(byAttachment.matchedIn).toEqual(['attachment']);
    expect(byAttachment.preview).toBe('Attachment: budget-forecast.xlsx');
    expect(byAttachment.highlights.preview).toEqual([[19, 27]]);

    // Alice's sent copy is found by the recipient's directory name.
    const sent = alice.mail.search('dylan', 'sent', 10).items[0]!;
    expect(sent.matchedIn).toContain('to');
    expect(sent.highlights.to[address.bob!]).toEqual([[4, 9]]);

    // Nothing plaintext reached the database file.
    const dbFile = join(world.dir, 'bob', 'qmail.db');
    const { readFileSync, existsSync } = await import('node:fs');
    for (const f of [dbFile, `${dbFile}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from('Périwinkle'))).toBe(false);
  }, 60_000);

  it('archives, deletes and restores a message to the folder it came from; from Trash it is erased', async () => {
    const bob = users.bob!;
    const m = bob.messages.list('inbox', 0, 100).items.find((x) => x.subject === 'Quarterly figures')!;
    await call(bob, 'mail.move', { id: m.id, folder: 'archive' });
    expect(bob.messages.get(m.id)!.folder).toBe('archive');
    await call(bob, 'mail.delete', { id: m.id });
    expect(bob.mail.view(m.id)).toMatchObject({ folder: 'trash', restoreTo: 'archive' });
    expect(await call(bob, 'mail.restore', { id: m.id })).toEqual({ folder: 'archive' });
    expect(bob.mail.view(m.id)!.folder).toBe('archive');
    expect(bob.mail.view(m.id)!.restoreTo).toBeUndefined();
    // Search follows it; restore refuses what is not in Trash.
    expect(bob.mail.search('periwinkle', 'archive', 10).items.map((x) => x.id)).toEqual([m.id]);
    await expect(call(bob, 'mail.restore', { id: m.id })).rejects.toMatchObject({ code: 'invalid_input' });
    await call(bob, 'mail.delete', { id: m.id });
    await call(bob, 'mail.delete', { id: m.id, permanent: true });
    expect(bob.messages.get(m.id)).toBeUndefined();
  });

  it('a reply carries the thread reference inside the sealed letter; both sides see one conversation', async () => {
    const alice = users.alice!;
    const bob = users.bob!;
    const first = await alice.mail.send({
      to: [address.bob!],
      cc: [],
      subject: 'Lunch?',
      body: 'Friday at noon?',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    await alice.mail.waitFor(first.id);
    const atBob = await arrived(bob, 'Lunch?');
    const reply = await bob.mail.send({
      to: [address.alice!],
      cc: [],
      subject: 'Re: Lunch?',
      body: 'Yes!',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
      inReplyTo: atBob.id,
    });
    expect((await bob.mail.waitFor(reply.id)).state).toBe('sent');
    expect(bob.mail.view(reply.id)!.thread).toEqual({ inReplyTo: atBob.id, size: 2 });

    const atAlice = await arrived(alice, 'Re: Lunch?');
    expect(alice.mail.view(atAlice.id)!.thread).toEqual({ inReplyTo: first.id, size: 2 });
    expect(alice.mail.thread(atAlice.id).map((m) => m.subject)).toEqual(['Lunch?', 'Re: Lunch?']);
    // A third message answering the reply stays in the same conversation.
    const again = await alice.mail.send({
      to: [address.bob!],
      cc: [],
      subject: 'Re: Lunch?',
      body: 'See you.',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
      inReplyTo: atAlice.id,
    });
    await alice.mail.waitFor(again.id);
    expect(alice.mail.thread(first.id).map((m) => m.id)).toEqual([first.id, atAlice.id, again.id]);
    // A reply whose original was erased meanwhile still goes, unthreaded.
    const orphan = await alice.mail.send({
      to: [address.bob!],
      cc: [],
      subject: 'Re: gone',
      body: 'x',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
      inReplyTo: 'f'.repeat(32),
    });
    expect((await alice.mail.waitFor(orphan.id)).state).toBe('sent');
    expect(alice.mail.view(orphan.id)!.thread).toBeUndefined();
    // A message with no reply has no conversation to show.
    expect(
      alice.mail.view(alice.messages.list('sent', 0, 100).items.find((m) => m.subject === 'Quarterly figures')!.id)!.thread,
    ).toBeUndefined();
  }, 60_000);

  it('reports per-recipient delivery on the outbox and on Sent, and says which send just settled', async () => {
    const alice = users.alice!;
    const events: { event: EventName; payload: unknown }[] = [];
    const off = alice.subscribe((event, payload) => events.push({ event, payload }));
    const item = await alice.mail.send({
      to: [address.bob!],
      cc: [],
      subject: 'Delivery',
      body: 'd',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect(item.recipients).toEqual([{ address: address.bob, name: 'Bob Dylan', state: 'queued' }]);
    await alice.mail.waitFor(item.id);
    off();
    const settled = events.map((e) => (e.payload as { settled?: { id: string; state: string } }).settled).find((x) => x?.id === item.id);
    expect(settled).toMatchObject({ state: 'sent', recipients: [{ address: address.bob, state: 'delivered' }] });
    const sent = alice.mail.view(item.id)!;
    expect(sent.delivery).toEqual([{ address: address.bob, name: 'Bob Dylan', state: 'delivered', at: expect.any(Number) }]);
  }, 60_000);

  it('Cancel gives a failed message back to Drafts whole instead of discarding it', async () => {
    const alice = users.alice!;
    // 0006.0.999999 is in no directory: the send fails for good, for that recipient.
    const item = await alice.mail.send({
      to: ['0006.0.999999'],
      cc: [],
      subject: 'Nobody',
      body: 'Keep me',
      attachments: [{ name: 'a.txt', data: new Uint8Array([65]) }],
      level: 'L3',
      stripes: { k: 3, p: 1 },
    });
    const done = await alice.mail.waitFor(item.id);
    expect(done.state).toBe('failed');
    expect(done.recipients).toEqual([{ address: '0006.0.999999', state: 'failed', reason: expect.stringMatching(/not in the directory/) }]);
    const { draftId } = await call<{ draftId: string }>(alice, 'outbox.cancel', { id: item.id });
    expect(alice.mail.outbox().find((i) => i.id === item.id)).toBeUndefined();
    const draft = alice.mail.view(draftId)!;
    expect(draft).toMatchObject({
      folder: 'drafts',
      to: ['0006.0.999999'],
      subject: 'Nobody',
      body: 'Keep me',
      draft: { level: 'L3', stripes: { k: 3, p: 1 } },
    });
    expect(draft.attachments).toEqual([{ index: 0, name: 'a.txt', size: 1 }]);
  }, 60_000);

  it('a retry after a partial delivery tells only the recipients not reached yet', async () => {
    const alice = users.alice!;
    const bob = users.bob!;
    // Alice registers with Carol's beacon on a first message, then that beacon goes down.
    const first = await alice.mail.send({
      to: [address.carol!],
      cc: [],
      subject: 'Hi Carol',
      body: 'c',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect((await alice.mail.waitFor(first.id)).state).toBe('sent');
    await world.net.kill(4);
    const item = await alice.mail.send({
      to: [address.bob!],
      cc: [address.carol!],
      subject: 'Half way',
      body: 'h',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    const done = await alice.mail.waitFor(item.id);
    expect(done.state).toBe('failed');
    expect(done.attempts).toBe(2);
    expect(done.recipients).toEqual([
      { address: address.bob, name: 'Bob Dylan', state: 'delivered', at: expect.any(Number) },
      { address: address.carol, name: 'Carol King', state: 'failed', reason: expect.stringMatching(/beacon did not take the notice/) },
    ]);
    // Bob got it once: the second attempt told only Carol's beacon.
    await arrived(bob, 'Half way');
    await bob.mail.refresh();
    expect(bob.messages.list('inbox', 0, 100).items.filter((m) => m.subject === 'Half way')).toHaveLength(1);
  }, 90_000);
});
