// Sending and receiving between two legacy accounts through real servers: Postfix (STARTTLS,
// SASL through Dovecot) delivers by LMTP to Dovecot, each account reads by IMAP. Covers
// test connection passing end to end, a reply's threading headers, the Sent copy, IDLE
// latency after Postfix accepted a message, and a 25 MB attachment out and back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { startDovecot, startPostfix, type Dovecot, type Postfix } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';
import { until, bytesOf } from '../support/wait.js';

const ALICE = { user: 'alice@a.localhost', password: 'alice-pw' };
const BOB = { user: 'bob@b.localhost', password: 'bob-pw' };

let dovecot: Dovecot;
let postfix: Postfix;
let dir: { path: string; remove: () => void };
let db: Db;
let s: LegacyService;

const account = (name: string, u: { user: string; password: string }): LegacyAccountInput => ({
  name,
  preset: 'generic',
  email: u.user,
  displayName: name,
  user: u.user,
  incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem },
  smtp: { host: '127.0.0.1', port: postfix.port, tls: 'starttls', ca: dovecot.tls.caPem },
  auth: { kind: 'password', password: u.password },
});

beforeAll(async () => {
  dovecot = await startDovecot({ users: [ALICE, BOB] });
  postfix = await startPostfix(dovecot, ['a.localhost', 'b.localhost']);
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  const box = new SecretBox(randomBytes(32));
  s = new LegacyService(db, () => box, { retry: { attempts: 3, baseMs: 20, maxMs: 200 } });
  await s.addAccount(account('alice', ALICE));
  await s.addAccount(account('bob', BOB));
});

afterAll(async () => {
  await s?.close();
  db?.close();
  await postfix?.stop();
  await dovecot?.stop();
  dir?.remove();
});

describe('legacy send and receive through Postfix and Dovecot', () => {
  it('test connection passes for both servers; a wrong password is named as auth', async () => {
    expect(await s.testConnection('alice')).toEqual({ ok: true });
    const wrong = await s.testConnection({ ...account('x', ALICE), auth: { kind: 'password', password: 'nope' } });
    expect(wrong).toMatchObject({ ok: false, stage: 'auth', server: 'incoming' });
  });

  it('alice sends, bob receives and replies with In-Reply-To/References; Sent holds the copies', async () => {
    await s.sync('alice');
    await s.sync('bob');
    const sent = await s.send('alice', { to: [BOB.user], subject: 'Lunch?', text: 'Noon at the usual place.' });
    expect(sent.accepted).toEqual([BOB.user]);
    const got = await until('bob receives', async () => {
      await s.sync('bob');
      return s.list({ accountId: 'bob', folder: 'inbox', offset: 0, limit: 10 }).items.find((m) => m.subject === 'Lunch?');
    });
    expect(got).toMatchObject({ from: ALICE.user, fromName: 'alice', to: [BOB.user], messageId: sent.messageId, unread: true });
    const parsed = await simpleParser(await bytesOf(await s.rawMessage(got.id)));
    expect(parsed.text?.trim()).toBe('Noon at the usual place.');

    const reply = await s.send('bob', {
      to: [got.from],
      subject: `Re: ${got.subject}`,
      text: 'Yes.',
      inReplyTo: got.messageId!,
      references: [got.messageId!],
    });
    const back = await until('alice receives the reply', async () => {
      await s.sync('alice');
      return s.list({ accountId: 'alice', folder: 'inbox', offset: 0, limit: 10 }).items.find((m) => m.messageId === reply.messageId);
    });
    expect(back.inReplyTo).toBe(sent.messageId);
    const raw = (await bytesOf(await s.rawMessage(back.id))).toString('latin1');
    expect(raw).toMatch(new RegExp(`^References: ${sent.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));

    const aliceSent = s.list({ accountId: 'alice', folder: 'sent', offset: 0, limit: 10 }).items;
    expect(aliceSent.map((m) => m.messageId)).toContain(sent.messageId);
    expect(aliceSent.find((m) => m.messageId === sent.messageId)!.unread).toBe(false);
  });

  it('the Gmail preset files no Sent copy itself (the provider does); others do', async () => {
    await s.addAccount({ ...account('alice-gmail', ALICE), preset: 'gmail' });
    await s.sync('alice-gmail');
    const sentBefore = s.list({ accountId: 'alice-gmail', folder: 'sent', offset: 0, limit: 100 }).total;
    const r = await s.send('alice-gmail', { to: [BOB.user], subject: 'no copy', text: 'x' });
    await s.sync('alice-gmail');
    const sent = s.list({ accountId: 'alice-gmail', folder: 'sent', offset: 0, limit: 100 }).items;
    expect(sent).toHaveLength(sentBefore);
    expect(sent.some((m) => m.messageId === r.messageId)).toBe(false);
    await s.removeAccount('alice-gmail');
  });

  it('IDLE: a message reaches bob’s list < 2 s after Postfix accepted it', async () => {
    await s.sync('bob');
    const seen: number[] = [];
    const subject = `idle ${randomBytes(4).toString('hex')}`;
    let arrived = 0;
    const stop = await s.watch('bob', () => {
      if (!arrived && s.list({ accountId: 'bob', folder: 'inbox', offset: 0, limit: 5 }).items.some((m) => m.subject === subject))
        arrived = performance.now();
    });
    try {
      // Sent with a plain SMTP client so "accepted" is the moment Postfix answered 250 to DATA.
      const t = nodemailer.createTransport({
        host: '127.0.0.1',
        port: postfix.port,
        requireTLS: true,
        tls: { ca: dovecot.tls.caPem },
        auth: { user: ALICE.user, pass: ALICE.password },
      });
      await t.sendMail({ from: ALICE.user, to: BOB.user, subject, text: 'now' });
      const accepted = performance.now();
      t.close();
      await until('IDLE delivers', () => (arrived ? true : undefined), 5000);
      seen.push(arrived - accepted);
      expect(seen[0]).toBeLessThan(2000);
    } finally {
      await stop();
    }
  });

  it('a 25 MB attachment goes out and comes back intact', async () => {
    const blob = randomBytes(25 * 1024 * 1024);
    const digest = createHash('sha256').update(blob).digest('hex');
    const sent = await s.send('alice', {
      to: [BOB.user],
      subject: 'big file',
      text: 'attached',
      attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: blob }],
    });
    const got = await until(
      'bob receives the big one',
      async () => {
        await s.sync('bob', { only: ['INBOX'] });
        return s.list({ accountId: 'bob', folder: 'inbox', offset: 0, limit: 10 }).items.find((m) => m.messageId === sent.messageId);
      },
      60_000,
    );
    expect(got.hasAttachments).toBe(true);
    expect(got.size).toBeGreaterThan(25 * 1024 * 1024);
    const parsed = await simpleParser(await bytesOf(await s.rawMessage(got.id)));
    const att = parsed.attachments.find((a) => a.filename === 'big.bin')!;
    expect(createHash('sha256').update(att.content).digest('hex')).toBe(digest);

    // Forwarded back: bob's upload, alice's download.
    const fwd = await s.send('bob', {
      to: [ALICE.user],
      subject: 'Fwd: big file',
      text: 'back to you',
      attachments: [{ filename: 'big.bin', content: att.content }],
    });
    const back = await until(
      'alice receives it back',
      async () => {
        await s.sync('alice', { only: ['INBOX'] });
        return s.list({ accountId: 'alice', folder: 'inbox', offset: 0, limit: 10 }).items.find((m) => m.messageId === fwd.messageId);
      },
      60_000,
    );
    const again = await simpleParser(await bytesOf(await s.rawMessage(back.id)));
    expect(createHash('sha256').update(again.attachments[0]!.content).digest('hex')).toBe(digest);
  }, 120_000);
});
