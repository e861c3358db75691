// Search on the server against a real Dovecot (Debian's, from a temp config on loopback, its
// rawlog on): an account synced as the app syncs it (envelopes only, no body fetched), then
// words that appear only in bodies are found through mail.searchServer's path (UnifiedMail →
// LegacyService → UID SEARCH TEXT), each hit mapped to its stored row and marked onServer,
// while the local search finds none of them; several words are all required; a non-ASCII
// word goes as a literal with CHARSET UTF-8; quotes, parentheses, backslashes and CR LF in a
// query are only text to find (the rawlog shows what was sent), and the bodies stay unfetched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UnifiedMail } from '../../electron/services/app/unified.js';
import type { legacyReader } from '../../electron/services/app/legacy-reader.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { MailEngine } from '../../electron/services/mail/engine.js';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { MessageStore } from '../../electron/store/messages.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { startDovecot, testMessage, type Dovecot } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const ALICE = { user: 'alice@a.localhost', password: 'alice-pw' };

let dovecot: Dovecot;
let dir: { path: string; remove: () => void };
let db: Db;
let s: LegacyService;
let unified: UnifiedMail;
let accountId: string;
const bySubject = new Map<string, string>();

beforeAll(async () => {
  dovecot = await startDovecot({ users: [ALICE], rawlog: true });
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  const box = new SecretBox(randomBytes(32));
  s = new LegacyService(db, () => box, { retry: { attempts: 3, baseMs: 20, maxMs: 200 } });
  const base = Date.UTC(2025, 5, 1);
  const mails = [
    { subject: 'Quarterly numbers', body: 'The zanzibar wombat count went up.' },
    { subject: 'Travel', body: 'Viele Grüße aus Köln.' },
    { subject: 'Odd characters', body: 'He wrote "quoted" (paren) back\\slash here.' },
    { subject: 'Another zanzibar note', body: 'Nothing about that animal.' },
  ];
  for (const [i, m] of mails.entries())
    await dovecot.deliver(
      ALICE.user,
      // As UTF-8 bytes (a string would go as latin1), as its Content-Type says.
      Buffer.from(testMessage({ to: ALICE.user, subject: m.subject, body: m.body, date: new Date(base + i * 60_000) }), 'utf8'),
    );
  dovecot.fillMaildir(
    ALICE.user,
    [testMessage({ subject: 'Filed away', body: 'An archived zanzibar wombat.', date: new Date(base - 60_000) })],
    'Archive',
    true,
  );
  const v = await s.addAccount({
    name: 'alice',
    preset: 'generic',
    email: ALICE.user,
    user: ALICE.user,
    incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem },
    smtp: { host: '127.0.0.1', port: 1, tls: 'implicit', ca: dovecot.tls.caPem },
    auth: { kind: 'password', password: ALICE.password },
  });
  accountId = v.id;
  await s.sync('alice');
  for (const f of ['inbox', 'archive'] as const)
    for (const m of s.list({ accountId, folder: f, offset: 0, limit: 50 }).items) bySubject.set(m.subject, m.id);
  const reader = { forget: () => undefined, text: async () => undefined } as unknown as ReturnType<typeof legacyReader>;
  const mail = { search: () => ({ total: 0, items: [] }) } as unknown as MailEngine;
  unified = new UnifiedMail({ db, messages: new MessageStore(db, () => box), mail, legacy: s, reader, changed: () => undefined });
});

afterAll(async () => {
  await s?.close();
  db?.close();
  await dovecot?.stop();
  dir?.remove();
});

const subjects = (items: { id: string }[]) => items.map((h) => [...bySubject].find(([, id]) => id === h.id)?.[0] ?? h.id).sort();

describe('search on the server against Dovecot', () => {
  it('finds a word only in a body never fetched, maps it to the stored row and marks it', async () => {
    expect(bySubject.size).toBe(5);
    expect([...bySubject.values()].some((id) => s.store.hasBody(id))).toBe(false);
    expect(unified.search('wombat', 'inbox', undefined, 50).items).toEqual([]);

    const r = await unified.searchServer('wombat', 'inbox', undefined, 50);
    expect(r.servers).toEqual([{ accountId, account: 'alice', outcome: 'searched' }]);
    expect(subjects(r.items)).toEqual(['Quarterly numbers']);
    expect(r.items[0]!.onServer).toBe(true);
    expect(r.items[0]!.origin).toEqual({ accountId, account: 'alice' });
    // Searching fetched no body.
    expect(s.store.hasBody(r.items[0]!.id)).toBe(false);
  });

  it('leaves out what the local index found, requires every word, and covers every folder when none is given', async () => {
    // "zanzibar" is in a subject (found here) and in a body (found there).
    expect(subjects(unified.search('zanzibar', 'inbox', undefined, 50).items)).toEqual(['Another zanzibar note']);
    expect(subjects((await unified.searchServer('zanzibar', 'inbox', undefined, 50)).items)).toEqual(['Quarterly numbers']);
    expect(subjects((await unified.searchServer('ZANZIBAR wombat', 'inbox', undefined, 50)).items)).toEqual(['Quarterly numbers']);
    expect((await unified.searchServer('zanzibar platypus', 'inbox', undefined, 50)).items).toEqual([]);
    expect(subjects((await unified.searchServer('wombat', undefined, undefined, 50)).items)).toEqual(['Filed away', 'Quarterly numbers']);
    expect(subjects((await unified.searchServer('wombat', undefined, accountId, 50)).items)).toEqual(['Filed away', 'Quarterly numbers']);
    expect((await unified.searchServer('wombat', undefined, 'qmail', 50)).items).toEqual([]);
  });

  it('sends a non-ASCII word as a literal with CHARSET UTF-8', async () => {
    expect(subjects((await unified.searchServer('Köln', 'inbox', undefined, 50)).items)).toEqual(['Travel']);
    const sent = dovecot
      .rawlog(ALICE.user, 'in')
      .map((x) => x.text)
      .join('\n');
    // The rawlog shows bytes as latin1: the 4 characters are 5 UTF-8 bytes.
    expect(sent).toMatch(/UID SEARCH CHARSET UTF-8 TEXT \{5\+?\}\r\n[\d.]+ KÃ¶ln/);
  });

  it('quotes, parentheses, backslashes and CR LF in a query are text to find, not IMAP', async () => {
    const r = await unified.searchServer('"quoted" (paren) back\\slash', 'inbox', undefined, 50);
    expect(subjects(r.items)).toEqual(['Odd characters']);
    const sent = dovecot
      .rawlog(ALICE.user, 'in')
      .map((x) => x.text)
      .join('\n');
    expect(sent).toContain('TEXT "\\"quoted\\"" NOT NOT (TEXT "(paren)" NOT NOT TEXT "back\\\\slash")');

    // An attempt to end the command and start another: the line breaks are dropped, the rest are words.
    const hostile = await unified.searchServer('wombat\r\nA1 LOGOUT\r\n', 'inbox', undefined, 50);
    expect(hostile.items).toEqual([]);
    expect(hostile.servers[0]!.outcome).toBe('searched');
    const after = dovecot
      .rawlog(ALICE.user, 'in')
      .map((x) => x.text)
      .join('\n');
    expect(after).not.toMatch(/^A1 LOGOUT/m);
    // The connection is still the same working one.
    expect(subjects((await unified.searchServer('wombat', 'inbox', undefined, 50)).items)).toEqual(['Quarterly numbers']);
    expect([...bySubject.values()].some((id) => s.store.hasBody(id))).toBe(false);
  });
});
