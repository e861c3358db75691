// The unified folders over a real profile database: qmail rows (MessageStore) and a legacy
// account's rows (LegacyService's store) paged as one list newest first, counted together,
// searched together with highlights, and a reply by In-Reply-To in the same conversation as
// the message it answers. The IMAP side is not needed: the rows are written as a sync would.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LegacyMessageView, SearchHit } from '../../../shared/ipc/index.js';
import { openDatabase, type Db } from '../../store/database.js';
import { MessageStore, newMessageId } from '../../store/messages.js';
import { SecretBox } from '../../store/secret-box.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { LegacyService } from '../legacy/service.js';
import type { MailEngine } from '../mail/engine.js';
import type { legacyReader } from './legacy-reader.js';
import { UnifiedMail, bareMessageId } from './unified.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

type Reader = ReturnType<typeof legacyReader>;

async function world(opts: { qmailHits?: SearchHit[]; bodies?: Record<string, string> } = {}) {
  const dir = tempDir();
  const db: Db = openDatabase(join(dir.path, 'qmail.db'));
  cleanups.push(() => {
    db.close();
    dir.remove();
  });
  const box = new SecretBox(randomBytes(32));
  const messages = new MessageStore(db, () => box);
  const legacy = new LegacyService(db, () => box);
  const account = await legacy.addAccount({
    name: 'Work',
    preset: 'generic',
    email: 'me@example.org',
    user: 'me',
    incoming: { kind: 'imap', host: 'imap.example.org', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.example.org', port: 465, tls: 'implicit' },
    auth: { kind: 'password', password: 'pw' },
  });
  const inbox = legacy.store.addFolder(account.id, 'INBOX', 'inbox').id;
  const sent = legacy.store.addFolder(account.id, 'Sent', 'sent').id;
  const junk = legacy.store.addFolder(account.id, 'Junk', 'junk').id;
  const changed: string[][] = [];
  const searches: unknown[][] = [];
  const mail = {
    search: (...a: unknown[]) => {
      searches.push(a);
      const hits = opts.qmailHits ?? [];
      return { total: hits.length, items: hits };
    },
  } as unknown as MailEngine;
  const reader = {
    forget: () => undefined,
    view: async (id: string): Promise<LegacyMessageView> => {
      const m = legacy.message(id)!;
      return {
        id,
        accountId: m.accountId,
        account: 'Work',
        folder: m.folder,
        date: m.date,
        unread: m.unread,
        from: m.from,
        to: m.to,
        subject: m.subject,
        hasAttachments: false,
        cc: m.cc,
        body: opts.bodies?.[id] ?? '',
        remoteImages: 1,
        imagesAllowed: false,
        attachments: [],
        ...(m.messageId ? { messageId: m.messageId } : {}),
      };
    },
  } as unknown as Reader;
  const unified = new UnifiedMail({ db, messages, mail, legacy, reader, changed: (f) => changed.push(f) });
  const qmail = (date: number, subject: string, unread = false) => {
    const id = newMessageId();
    messages.put(id, 'inbox', date, unread, { from: '0006.1.7', to: ['0006.1.8'], subject, body: `${subject} text`, level: 'L3' });
    return id;
  };
  let uid = 1;
  const email = (
    folder: string,
    date: number,
    subject: string,
    extra: { from?: string; fromName?: string; messageId?: string; inReplyTo?: string; seen?: boolean } = {},
  ) => {
    const u = uid++;
    legacy.store.addMessages(folder, [
      {
        uid: u,
        date,
        flags: extra.seen ? 1 : 0,
        size: 100,
        envelope: {
          from: extra.from ?? 'ann@example.net',
          ...(extra.fromName ? { fromName: extra.fromName } : {}),
          to: ['me@example.org'],
          cc: [],
          subject,
          ...(extra.messageId ? { messageId: extra.messageId } : {}),
          ...(extra.inReplyTo ? { inReplyTo: extra.inReplyTo } : {}),
          hasAttachments: false,
        },
      },
    ]);
    return legacy.store.messageByUid(folder, u)!.id;
  };
  return { unified, messages, legacy, account, inbox, sent, junk, qmail, email, changed, searches };
}

describe('unified folders', () => {
  it('pages qmail and legacy mail as one list, newest first, each legacy row naming its account', async () => {
    const w = await world();
    const q = [w.qmail(10, 'q10'), w.qmail(30, 'q30', true), w.qmail(50, 'q50')];
    const l = [w.email(w.inbox, 20, 'l20'), w.email(w.inbox, 40, 'l40', { seen: true }), w.email(w.inbox, 60, 'l60')];
    w.email(w.sent, 70, 'sent mail');
    w.email(w.junk, 80, 'junk');
    const all = w.unified.list('inbox', undefined, 0, 100);
    expect(all.total).toBe(6);
    expect(all.items.map((m) => m.subject)).toEqual(['l60', 'q50', 'l40', 'q30', 'l20', 'q10']);
    expect(all.items.filter((m) => m.origin).map((m) => m.id)).toEqual([l[2], l[1], l[0]]);
    expect(all.items.find((m) => m.id === l[0])!.origin).toEqual({ accountId: w.account.id, account: 'Work' });
    expect(all.items.find((m) => m.id === q[1])!.origin).toBeUndefined();
    expect(all.items.map((m) => m.unread)).toEqual([true, false, false, true, true, false]);
    // Pages of 4 and 2 give the same order.
    const pages = [...w.unified.list('inbox', undefined, 0, 4).items, ...w.unified.list('inbox', undefined, 4, 4).items];
    expect(pages.map((m) => m.id)).toEqual(all.items.map((m) => m.id));
    // Narrowed to qmail, or to the account.
    expect(w.unified.list('inbox', 'qmail', 0, 100).items.map((m) => m.subject)).toEqual(['q50', 'q30', 'q10']);
    expect(w.unified.list('inbox', w.account.id, 0, 100).items.map((m) => m.subject)).toEqual(['l60', 'l40', 'l20']);
    expect(w.unified.list('sent', undefined, 0, 100).items.map((m) => m.subject)).toEqual(['sent mail']);
    expect(w.unified.list('inbox', 'f'.repeat(32), 0, 100)).toEqual({ total: 0, items: [] });
  });

  it('a folder without legacy mail is the message store’s own page', async () => {
    const w = await world();
    w.qmail(1, 'a');
    w.qmail(2, 'b');
    w.email(w.sent, 3, 'elsewhere');
    expect(w.unified.list('inbox', undefined, 0, 10)).toEqual(w.messages.list('inbox', 0, 10));
  });

  it('counts each folder’s qmail and legacy mail together (unread = no \\Seen)', async () => {
    const w = await world();
    w.email(w.inbox, 1, 'a');
    w.email(w.inbox, 2, 'b', { seen: true });
    w.email(w.sent, 3, 'c', { seen: true });
    w.email(w.junk, 4, 'junk');
    const c = w.unified.counts(new Map([['inbox', { total: 5, unread: 2 }]]));
    expect(c.get('inbox')).toEqual({ total: 7, unread: 3 });
    expect(c.get('sent')).toEqual({ total: 1, unread: 0 });
    expect(c.has('trash')).toBe(false);
  });

  it('search finds legacy mail by subject, names and addresses, and by text once opened, merged with qmail hits newest first', async () => {
    const qhit = (date: number): SearchHit => ({
      id: newMessageId(),
      folder: 'inbox',
      from: '0006.1.7',
      to: [],
      subject: 'Budget',
      preview: '',
      date,
      unread: false,
      level: 'L3',
      highlights: { subject: [[0, 6]], preview: [], from: [], fromName: [], to: {} },
      matchedIn: ['subject'],
    });
    const w0 = await world({ qmailHits: [qhit(50), qhit(10)] });
    const a = w0.email(w0.inbox, 30, 'Budget for May', { fromName: 'Ann Lee' });
    const b = w0.email(w0.inbox, 60, 'Lunch', { from: 'budget-office@example.net' });
    w0.email(w0.inbox, 70, 'Unrelated');
    const r = w0.unified.search('budget', 'inbox', undefined, 50);
    expect(r.total).toBe(4);
    expect(r.items.map((h) => h.date)).toEqual([60, 50, 30, 10]);
    const hitA = r.items.find((h) => h.id === a)!;
    expect(hitA.origin?.account).toBe('Work');
    expect(hitA.highlights.subject).toEqual([[0, 6]]);
    expect(hitA.matchedIn).toEqual(['subject']);
    const hitB = r.items.find((h) => h.id === b)!;
    expect(hitB.highlights.from).toEqual([[0, 6]]);
    expect(hitB.matchedIn).toEqual(['from']);
    expect(w0.unified.search('ann lee', undefined, w0.account.id, 50).items.map((h) => h.id)).toEqual([a]);
    // qmail only, or one account: the other side is not asked or not merged.
    expect(w0.unified.search('budget', 'inbox', 'qmail', 50).total).toBe(2);
    expect(w0.unified.search('budget', 'inbox', w0.account.id, 50).items.map((h) => h.id)).toEqual([b, a]);
    // The limit applies to the merged list.
    expect(w0.unified.search('budget', 'inbox', undefined, 2).items.map((h) => h.date)).toEqual([60, 50]);

    // Its text is searchable once the message was opened.
    const w2 = await world();
    const d = w2.email(w2.inbox, 5, 'Hello');
    const w3 = w2.unified as unknown as { d: { reader: Reader } };
    const view = w3.d.reader.view.bind(w3.d.reader);
    w3.d.reader.view = async (id: string, ...rest: [boolean, boolean?]) => ({
      ...(await view(id, ...rest)),
      body: 'The quarterly numbers are in.',
    });
    expect(w2.unified.search('quarterly', undefined, undefined, 50).total).toBe(0);
    const v = await w2.unified.get(d);
    expect(v.body).toBe('The quarterly numbers are in.');
    expect(v.legacy?.remoteImages).toBe(1);
    const hit = w2.unified.search('quarterly', undefined, undefined, 50);
    expect(hit.items.map((h) => h.id)).toEqual([d]);
    expect(hit.items[0]!.matchedIn).toEqual(['body']);
    expect(hit.items[0]!.highlights.preview).toEqual([[4, 13]]);
  });

  it('the text of bodies already cached joins the search in the background, without opening them', async () => {
    const w = await world();
    const cached = w.email(w.inbox, 1, 'Notes');
    const bare = w.email(w.inbox, 2, 'More notes');
    const writer = w.legacy.store.bodyWriter(cached);
    writer.write(Buffer.from('Subject: Notes\r\n\r\nThe harbour crane arrives.\r\n'), true);
    const texts: string[] = [];
    const reader = (w.unified as unknown as { d: { reader: Reader } }).d.reader;
    reader.text = async (id: string) => {
      texts.push(id);
      return id === cached ? 'The harbour crane arrives.' : 'never';
    };
    expect(w.unified.search('notes', undefined, undefined, 10).total).toBe(2);
    await expect.poll(() => w.unified.search('harbour', undefined, undefined, 10).items.map((h) => h.id)).toEqual([cached]);
    // Only the cached body was read; the other is not fetched for search.
    expect(texts).toEqual([cached]);
    expect(bare).not.toBe(cached);
    // Lock drops it all.
    w.unified.clear();
    reader.text = async () => undefined;
    expect(w.unified.search('harbour', undefined, undefined, 10).total).toBe(0);
  });

  it('an encrypted email once opened shows its real subject in the list and search, kept sealed', async () => {
    const w = await world();
    const id = w.email(w.inbox, 7, 'Encrypted message (QMail)');
    const reader = (w.unified as unknown as { d: { reader: Reader } }).d.reader;
    const view = reader.view.bind(reader);
    reader.view = async (i: string, ...rest: [boolean, boolean?]) => ({
      ...(await view(i, ...rest)),
      subject: 'Launch codes',
      body: 'The launch is at dawn.',
      secure: { level: 'L3', sender: '0006.1.9', senderFingerprint: '1', keyIds: [] },
    });
    expect(w.unified.list('inbox', undefined, 0, 10).items.find((m) => m.id === id)!.subject).toBe('Encrypted message (QMail)');
    expect((await w.unified.get(id)).subject).toBe('Launch codes');
    expect(w.unified.list('inbox', undefined, 0, 10).items.find((m) => m.id === id)!.subject).toBe('Launch codes');
    expect(w.unified.search('launch', 'inbox', undefined, 10).items.map((h) => h.id)).toEqual([id]);
    expect(w.legacy.store.message(id)!.envelope.subject).toBe('Launch codes');
  });

  it('a removed message leaves the search', async () => {
    const w = await world();
    const a = w.email(w.inbox, 1, 'Invoice 12');
    expect(w.unified.search('invoice', undefined, undefined, 10).total).toBe(1);
    w.legacy.store.removeMessage(a);
    expect(w.unified.search('invoice', undefined, undefined, 10).total).toBe(0);
    w.email(w.inbox, 2, 'Invoice 13');
    expect(w.unified.search('invoice', undefined, undefined, 10).items.map((h) => h.subject)).toEqual(['Invoice 13']);
  });

  it('a reply (In-Reply-To = the Message-ID we sent through the gateway) is in the same conversation as what it answers', async () => {
    const w = await world();
    const out = w.email(w.sent, 10, 'Plans', { from: 'me@example.org', messageId: '<abc123@example.org>', seen: true });
    const reply = w.email(w.inbox, 20, 'Re: Plans', { messageId: '<r1@example.net>', inReplyTo: '<abc123@example.org>' });
    const again = w.email(w.inbox, 30, 'Re: Re: Plans', { messageId: '<r2@example.net>', inReplyTo: '<r1@example.net>' });
    const other = w.email(w.inbox, 25, 'Other', { messageId: '<x@example.net>', inReplyTo: '<nothing@example.net>' });
    expect(w.unified.thread(reply).map((m) => m.id)).toEqual([out, reply, again]);
    expect(w.unified.thread(out).map((m) => m.folder)).toEqual(['sent', 'inbox', 'inbox']);
    expect(w.unified.thread(other).map((m) => m.id)).toEqual([other]);
    const v = await w.unified.get(reply);
    expect(v.thread).toEqual({ inReplyTo: out, size: 3 });
    expect(v.origin?.account).toBe('Work');
    expect((await w.unified.get(other)).thread).toBeUndefined();
  });

  it('a POP3 account’s mail is marked read here (its server keeps no flags)', async () => {
    const w = await world();
    const pop = await w.legacy.addAccount({
      name: 'Home',
      preset: 'generic',
      email: 'me@home.example',
      user: 'me',
      incoming: { kind: 'pop3', host: 'pop.home.example', port: 995, tls: 'implicit' },
      smtp: { host: 'smtp.home.example', port: 465, tls: 'implicit' },
      auth: { kind: 'password', password: 'pw' },
    });
    const inbox = w.legacy.store.addFolder(pop.id, 'INBOX', 'inbox').id;
    const id = w.email(inbox, 5, 'Downloaded');
    expect(w.unified.list('inbox', pop.id, 0, 10).items.map((m) => [m.subject, m.unread])).toEqual([['Downloaded', true]]);
    await w.unified.markRead(id, false);
    expect(w.unified.list('inbox', pop.id, 0, 10).items.map((m) => m.unread)).toEqual([false]);
    expect(w.unified.counts(new Map()).get('inbox')).toEqual({ total: 1, unread: 0 });
    expect(w.changed).toEqual([['inbox']]);
    await w.unified.markRead(id, true);
    expect(w.unified.list('inbox', pop.id, 0, 10).items.map((m) => m.unread)).toEqual([true]);
  });

  it('reads Message-IDs with or without angle brackets', () => {
    expect(bareMessageId(' <a@b> ')).toBe('a@b');
    expect(bareMessageId('a@b')).toBe('a@b');
    expect(bareMessageId('<>')).toBeUndefined();
    expect(bareMessageId(undefined)).toBeUndefined();
  });

  it('an unknown id is not_found', async () => {
    const w = await world();
    await expect(w.unified.get('0'.repeat(32))).rejects.toMatchObject({ code: 'not_found' });
  });
});
