import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../../../shared/ipc/contract.js';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import { createComposerStore, levelState, qmailAddress, quote, splitAddresses } from './store.js';

const unlocked = () => createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });

describe('composer sending', () => {
  it('reads addresses out of "Name <address>" and flags the rest', () => {
    expect(qmailAddress('QMail Correspondent <0006.1.7>')).toBe('0006.1.7');
    expect(qmailAddress('0006.-1.42')).toBe('0006.-1.42');
    expect(qmailAddress('ada@example.org')).toBeNull();
    expect(splitAddresses('A <0006.1.7>, 0006.1.7; ada@example.org')).toEqual({ ok: ['0006.1.7'], bad: ['ada@example.org'] });
  });

  it('sends with attachments, level and stripes, and hands the outbox item on', async () => {
    const rt = unlocked();
    const sent: OutboxItem[] = [];
    const store = createComposerStore(rt, { onSent: (i) => sent.push(i) });
    store.getState().openNew();
    store.getState().setField('to', 'QMail Correspondent <0006.1.7>, ');
    store.getState().setField('subject', 'Hi');
    store.getState().setField('body', 'Words');
    store.getState().addAttachment({ name: 'a.txt', size: 3, data: 'YWJj' });
    store.getState().addAttachment({ name: 'b.txt', size: 1, data: 'eA==' });
    store.getState().removeAttachment(store.getState().attachments[1]!.key);
    store.getState().setLevel('L4');
    store.getState().setStripes({ k: 2, p: 2 });
    const item = await store.getState().send();
    expect(item?.state).toBe('queued');
    expect(rt.calls.find((c) => c.channel === 'mail.send')?.input).toMatchObject({
      to: ['0006.1.7'],
      cc: [],
      subject: 'Hi',
      attachments: [{ name: 'a.txt', data: 'YWJj' }],
      level: 'L4',
      stripes: { k: 2, p: 2 },
    });
    expect(sent).toEqual([item]);
    expect(store.getState().open).toBe(false);
  });

  it('refuses what cannot be sent, keeping the words', async () => {
    const rt = unlocked();
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('body', 'Keep me');
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().recipientError).toEqual({ field: 'to', message: 'Add at least one recipient in To.' });
    store.getState().setField('to', 'ada@example.org');
    expect(store.getState().recipientError).toBeNull();
    await store.getState().send();
    expect(store.getState().recipientError).toEqual({
      field: 'to',
      message: '“ada@example.org” is an email address; QMail sends to QMail addresses (they look like 0006.1.42).',
    });
    store.getState().setField('to', '0006.1.7');
    store.getState().setStripes({ k: 30, p: 5 });
    await store.getState().send();
    expect(store.getState().error).toBe('Data plus parity stripes is between 2 and 32.');
    expect(rt.calls.some((c) => c.channel === 'mail.send')).toBe(false);
    expect(store.getState()).toMatchObject({ open: true, body: 'Keep me' });
  });

  it('says why quantum levels are unavailable and refuses to send at one', async () => {
    const rt = unlocked();
    const store = createComposerStore(rt);
    store.getState().openNew();
    expect(levelState('L1', null, null, false)).toEqual({ available: false, reason: 'add a QMail recipient to check the quantum keys' });
    store.getState().setField('to', '0006.1.7');
    await store.getState().checkLevels();
    expect(levelState('L2', store.getState().levels, null, true)).toEqual({ available: false, reason: 'no KME configured' });
    expect(levelState('L3', store.getState().levels, null, true)).toEqual({ available: true });
    store.getState().setLevel('L2');
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toBe('Level 2 cannot be used: no KME configured. Choose another level.');
    rt.quantum = { available: true };
    await store.getState().checkLevels();
    expect(await store.getState().send()).not.toBeNull();
  });

  it('sends to a name typed in full but not picked, and keeps the composer open, saying why, for one it cannot find', async () => {
    const rt = unlocked();
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('subject', 'Hello');
    store.getState().setField('to', 'qmail correspondent');
    store.getState().setField('cc', 'Nobody Here');
    expect(await store.getState().send()).toBeNull();
    // To resolved to the directory's entry; Cc could not be, and says so at its field.
    expect(store.getState()).toMatchObject({
      open: true,
      to: 'QMail Correspondent <0006.1.7>',
      recipientError: { field: 'cc', message: expect.stringMatching(/^No one in the directory is called “Nobody Here”/) },
    });
    store.getState().setField('cc', 'Correspondent');
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().recipientError?.message).toBe(
      'No one in the directory is called exactly “Correspondent”. Did you mean QMail Correspondent? Pick a name from the suggestions.',
    );
    // Nothing was saved or sent on the way.
    expect(rt.calls.some((c) => c.channel === 'mail.send' || c.channel === 'drafts.save')).toBe(false);
    store.getState().setField('cc', '');
    expect(await store.getState().send()).not.toBeNull();
    expect(rt.calls.find((c) => c.channel === 'mail.send')?.input).toMatchObject({ to: ['0006.1.7'], cc: [] });
  });

  it('opens addressed when asked to, with the subject to fill in next', () => {
    const store = createComposerStore(unlocked());
    store.getState().openNew('QMail Correspondent <0006.1.7>');
    expect(store.getState()).toMatchObject({
      open: true,
      to: 'QMail Correspondent <0006.1.7>',
      focus: 'subject',
      replyTitle: null,
      dirty: false,
    });
    store.getState().openNew();
    expect(store.getState()).toMatchObject({ to: '', focus: 'to' });
  });

  it('a reply is titled by its subject, quotes the sender by name and starts in the text', () => {
    const store = createComposerStore(unlocked());
    const original = fakeMessage('inbox', 1, {
      from: '0006.1.7',
      fromName: 'QMail Correspondent',
      subject: 'Stripes',
      body: 'line',
      level: 'L2',
      date: Date.UTC(2026, 0, 2, 3, 4),
    });
    store.getState().openReply(original);
    expect(store.getState()).toMatchObject({ replyTitle: 'Re: Stripes', focus: 'body', to: 'QMail Correspondent <0006.1.7>' });
    expect(store.getState().body).toBe(quote(original));
    expect(quote(original, 'en-GB')).toMatch(/^\n\nQMail Correspondent wrote on 2 Jan 2026, \d\d:\d\d:\n> line$/);
    expect(quote({ ...original, fromName: undefined }, 'en-GB')).toMatch(/^\n\n0006\.1\.7 wrote on /);
  });

  it('a reply is addressed to the sender (or, from Sent, to the recipients again)', () => {
    const store = createComposerStore(unlocked());
    store.getState().openReply(fakeMessage('inbox', 1, { from: '0006.1.7', subject: 'Stripes', body: 'line', level: 'L2' }));
    expect(store.getState()).toMatchObject({ to: '0006.1.7', subject: 'Re: Stripes', level: 'L2' });
    expect(store.getState().body).toContain('> line');
    store.getState().openReply(fakeMessage('sent', 2, { to: ['0006.1.8'], subject: 'Re: x' }));
    expect(store.getState()).toMatchObject({ to: '0006.1.8', subject: 'Re: x' });
  });
});
