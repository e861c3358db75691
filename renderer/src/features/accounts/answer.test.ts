// Answering an email read in the unified folders: the Email window opens on a reply or a
// forward through the account it came from; a qmail is not answered there.
import { describe, expect, it } from 'vitest';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import { forwardedText } from './LegacyMail.js';
import { createAccountsStore, emailAnswer } from './store.js';

const ACCOUNT = 'a'.repeat(32);
const email = fakeMessage('inbox', 1, {
  from: 'bob@b.localhost',
  fromName: 'Bob Builder',
  to: ['ada@a.localhost'],
  subject: 'Site plans',
  body: 'The new wing starts Monday.',
  date: Date.UTC(2026, 11, 3, 10, 0),
  level: 'plain',
  origin: { accountId: ACCOUNT, account: 'Lab' },
  legacy: { remoteImages: 0, imagesAllowed: false, cc: [] },
});

describe('answering email from the reader', () => {
  it('opens the Email window on a reply through the account, and on a forward', () => {
    const store = createAccountsStore(createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } }));
    store.getState().reply(email);
    expect(store.getState().mailOpen).toBe(true);
    expect(store.getState().answer).toMatchObject({ kind: 'reply', id: email.id, accountId: ACCOUNT, from: 'bob@b.localhost' });
    store.getState().closeMail();
    expect(store.getState().answer).toBeNull();
    store.getState().forward(email);
    expect(store.getState().answer?.kind).toBe('forward');
    // A qmail is answered in the composer, not here.
    store.getState().closeMail();
    store.getState().reply(fakeMessage('inbox', 2));
    expect(store.getState().mailOpen).toBe(false);
    expect(store.getState().answer).toBeNull();
  });

  it('a reply to an encrypted email is encrypted for its sender’s QMail address', () => {
    const secure = {
      ...email,
      legacy: { ...email.legacy!, secure: { level: 'L3' as const, sender: '0006.1.42', senderFingerprint: 'f', keyIds: [] } },
    };
    expect(emailAnswer('reply', secure)?.qmailSender).toBe('0006.1.42');
    expect(emailAnswer('reply', email)?.qmailSender).toBeUndefined();
  });

  it('a forward carries the email under a header naming its sender, date, subject and recipients', () => {
    const text = forwardedText(emailAnswer('forward', email)!);
    expect(text.split('\n')).toEqual([
      '',
      '',
      '---------- Forwarded message ----------',
      'From: Bob Builder <bob@b.localhost>',
      'Date: Thu, 03 Dec 2026 10:00:00 GMT',
      'Subject: Site plans',
      'To: ada@a.localhost',
      '',
      'The new wing starts Monday.',
    ]);
  });
});
