// The search index built in slices after unlock: the first screen does not wait for it, and
// what happens meanwhile (mail filed, moved, erased; a search; a lock) leaves it right.
import { afterEach, describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox.js';
import { testContext } from './testing/context.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const BOB = '0006.0.2002';
const id = (i: number) => i.toString(16).padStart(32, '0');

function setup(count: number) {
  const t = testContext();
  cleanups.push(t.close);
  const filer = new Mailbox(t.ctx);
  for (let i = 0; i < count; i++)
    filer.file(
      id(i),
      'inbox',
      i,
      true,
      { from: BOB, to: [t.me.address], subject: `note ${i}`, body: i % 2 ? 'odd words' : 'even words', level: 'L3' },
      { attachments: [], letterId: id(1000 + i) },
    );
  return { t, mailbox: new Mailbox(t.ctx) };
}

describe('index built in slices', () => {
  it('ends with every stored message indexed, counting what was filed, moved and erased meanwhile', async () => {
    const { t, mailbox } = setup(25);
    const done = mailbox.buildInBackground(10);
    expect(mailbox.built).toBe(false);
    mailbox.file(id(500), 'inbox', 500, true, { from: BOB, to: [t.me.address], subject: 'late', body: 'odd late words', level: 'L3' });
    mailbox.moveTo(id(24), 'archive');
    mailbox.delete(id(23), true);
    await done;
    expect(mailbox.built).toBe(true);
    expect(mailbox.index.size).toBe(25);
    expect(mailbox.index.query('odd')).toHaveLength(12 - 1 + 1);
    expect(mailbox.index.query('note', 'archive')).toEqual([id(24)]);
    expect(mailbox.letterFrom(id(1005), BOB)).toBe(id(5));
  });

  it('is finished at once by whatever needs all of it, and stops on lock', async () => {
    const { mailbox } = setup(30);
    const done = mailbox.buildInBackground(7);
    mailbox.ensureBuilt();
    expect(mailbox.built).toBe(true);
    expect(mailbox.index.query('even')).toHaveLength(15);
    await done;
    const again = mailbox.buildInBackground(7);
    mailbox.forget();
    await again;
    expect(mailbox.built).toBe(false);
    expect(mailbox.index.size).toBe(0);
  });
});
