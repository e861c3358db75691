// Stored mail without servers: filing, Trash and restore, erasing, conversations, drafts,
// the reader's view and search over the in-memory index.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drafts } from './drafts.js';
import { Mailbox } from './mailbox.js';
import { Views } from './views.js';
import { testContexts } from './testing/context.js';

const testContext = testContexts();

function setup() {
  const t = testContext();
  const mailbox = new Mailbox(t.ctx);
  return { t, mailbox, views: new Views(t.ctx, mailbox), drafts: new Drafts(t.ctx, mailbox) };
}

const BOB = '0006.0.2002';

describe('mailbox, views and drafts', () => {
  it('files a received message, trashes it, restores it where it was, and erases it from Trash', async () => {
    const { mailbox, views, t } = setup();
    mailbox.file(
      'm1',
      'inbox',
      1000,
      true,
      { from: BOB, fromName: 'Bob Dylan', to: [t.me.address], subject: 'Hello', body: 'First words', level: 'L3' },
      { attachments: [{ name: 'n.txt', data: Buffer.from('abc').toString('base64') }] },
    );
    mailbox.build();
    expect(views.view('m1')).toMatchObject({
      subject: 'Hello',
      fromName: 'Bob Dylan',
      attachments: [{ index: 0, name: 'n.txt', size: 3 }],
    });
    expect((await views.attachment('m1', 0)).data).toBe(Buffer.from('abc').toString('base64'));
    expect(await views.attachmentPart('m1', 0, 0)).toEqual({
      name: 'n.txt',
      size: 3,
      data: Buffer.from('abc').toString('base64'),
      last: true,
    });
    await expect(views.attachment('m1', 1)).rejects.toThrow(/not here/);
    expect(mailbox.moveTo('m1', 'archive')).toBe('inbox');
    expect(mailbox.delete('m1', false)).toEqual(['archive', 'trash']);
    expect(views.view('m1')).toMatchObject({ folder: 'trash', restoreTo: 'archive' });
    expect(mailbox.restore('m1')).toBe('archive');
    expect(() => mailbox.restore('m1')).toThrow(/Only messages in Trash/);
    mailbox.delete('m1', false);
    expect(mailbox.delete('m1', false)).toEqual(['trash']);
    expect(views.view('m1')).toBeUndefined();
    expect(t.ctx.tables.extras.get('m1')).toBeUndefined();
    expect(views.search('hello', undefined, 10).total).toBe(0);
  });

  it('reads an attachment kept in the sealed store streamed, saves it to a file, and erasing the message removes its file', async () => {
    const { mailbox, views, t } = setup();
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const ref = await t.ctx.tables.attachments.put(bytes);
    mailbox.file(
      'm2',
      'inbox',
      1000,
      true,
      { from: BOB, to: [t.me.address], subject: 'Big', body: 'see attached', level: 'L3' },
      { attachments: [{ name: 'big.bin', ref, size: bytes.length }] },
    );
    expect(views.view('m2')!.attachments).toEqual([{ index: 0, name: 'big.bin', size: bytes.length }]);
    expect(Buffer.from((await views.attachment('m2', 0)).data, 'base64').equals(bytes)).toBe(true);
    const out = join(t.dir, 'saved.bin');
    await views.saveAttachment('m2', 0, out);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    // Part by part (1 MiB each, the last one marked): the same bytes; past the end is refused.
    const parts = await Promise.all([0, 1, 2, 3].map((part) => views.attachmentPart('m2', 0, part)));
    expect(parts.map((p) => p.last)).toEqual([false, false, false, true]);
    expect(Buffer.concat(parts.map((p) => Buffer.from(p.data, 'base64'))).equals(bytes)).toBe(true);
    await expect(views.attachmentPart('m2', 0, 4)).rejects.toThrow(/does not exist/);
    const file = join(t.ctx.tables.attachments.dir, ref);
    expect(existsSync(file)).toBe(true);
    mailbox.delete('m2', true);
    // Removed after the row, without holding up the call.
    for (let i = 0; i < 100 && existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(file)).toBe(false);
  });

  it('links a reply to what it answers, in order even when the clocks disagree', () => {
    const { mailbox, views } = setup();
    mailbox.file(
      'a',
      'sent',
      5000,
      false,
      { from: 'me', to: [BOB], subject: 'Question', body: 'Why?', level: 'L3' },
      { attachments: [], letterId: 'aa' },
    );
    // The answer's date (the sender's clock) is earlier than the question's.
    mailbox.file(
      'b',
      'inbox',
      4000,
      true,
      { from: BOB, to: ['me'], subject: 'Re: Question', body: 'Because.', level: 'L3' },
      { attachments: [], letterId: 'bb', inReplyTo: 'aa', threadRoot: 'aa' },
    );
    mailbox.build();
    expect(mailbox.thread('b').map((m) => m.id)).toEqual(['a', 'b']);
    expect(views.view('b')!.thread).toEqual({ inReplyTo: 'a', size: 2 });
    expect(mailbox.threadRef('b')).toEqual({ inReplyTo: 'bb', root: 'aa' });
    expect(() => mailbox.thread('zz')).toThrow(/no longer here/);
  });

  it('saves drafts, keeps earlier settings when left out, and refuses to edit what is not a draft', () => {
    const { drafts, views, mailbox } = setup();
    const id = drafts.save(undefined, {
      to: [BOB],
      subject: 'Plan',
      body: 'v1',
      cc: ['0006.0.3003'],
      level: 'L2',
      stripes: { k: 3, p: 2 },
    });
    expect(drafts.save(id, { to: [BOB], subject: 'Plan', body: 'v2' })).toBe(id);
    expect(views.view(id)).toMatchObject({
      folder: 'drafts',
      body: 'v2',
      fromName: 'Alice Liddell',
      draft: { cc: ['0006.0.3003'], level: 'L2', stripes: { k: 3, p: 2 } },
    });
    expect(() => drafts.save(undefined, { to: [], subject: '', body: '', stripes: { k: 40, p: 0 } })).toThrow(/between 2 and 32/);
    mailbox.file('r', 'inbox', 1, false, { from: BOB, to: [], subject: 's', body: 'b', level: 'L3' });
    expect(() => drafts.save('r', { to: [], subject: '', body: '' })).toThrow(/Only drafts/);
    // A trashed draft goes back to Drafts.
    mailbox.delete(id, false);
    expect(mailbox.restore(id)).toBe('drafts');
  });

  it('searches names, text and attachment names, with ranges and an excerpt', () => {
    const { mailbox, views, t } = setup();
    t.ctx.names.learn(BOB, 'Bob Dylan');
    const filler = 'Lorem ipsum dolor sit amet. '.repeat(12);
    mailbox.file(
      'm',
      'inbox',
      1,
      false,
      {
        from: BOB,
        fromName: 'Bob Dylan',
        to: [t.me.address],
        subject: 'Figures',
        body: `${filler}The password is Périwinkle.`,
        level: 'L3',
      },
      { attachments: [{ name: 'budget.xlsx', data: '' }] },
    );
    const hit = views.search('periwinkle', undefined, 10);
    expect(hit.total).toBe(1);
    expect(hit.items[0]!.matchedIn).toEqual(['body']);
    expect(hit.items[0]!.preview).toContain('Périwinkle');
    expect(views.search('dylan', 'inbox', 10).items[0]!.matchedIn).toEqual(['from']);
    expect(views.search('budget', undefined, 10).items[0]!.preview).toBe('Attachment: budget.xlsx');
    expect(views.search('dylan', 'sent', 10).total).toBe(0);
    mailbox.forget();
    expect(mailbox.built).toBe(false);
  });
});
