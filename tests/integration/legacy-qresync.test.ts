// QRESYNC deltas against a real Dovecot (Debian's, from a temp config, its rawlog on): messages
// another client expunged while we were away come back as VANISHED (EARLIER) in the answer to
// our SELECT and leave our store, flag changes come with them, and no full UID list (UID
// SEARCH ALL, FETCH 1:* FLAGS) is asked for. A server with CONDSTORE but no QRESYNC, and one
// with neither, still sync removals and flags by the fallbacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { freePort, plainImapClient, startDovecot, testMessage, type Dovecot } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const USER = { user: 'q@a.localhost', password: 'q-pw' };
const COUNT = 40;

let closed: number;
let dir: { path: string; remove: () => void };
let db: Db;
let box: SecretBox;

function account(name: string, d: Dovecot): LegacyAccountInput {
  return {
    name,
    preset: 'generic',
    email: USER.user,
    user: USER.user,
    incoming: { kind: 'imap', host: '127.0.0.1', port: d.ports.imap, tls: 'starttls', ca: d.tls.caPem },
    smtp: { host: '127.0.0.1', port: closed, tls: 'implicit', ca: d.tls.caPem },
    auth: { kind: 'password', password: USER.password },
  };
}

function service(): LegacyService {
  return new LegacyService(db, () => box, { retry: { attempts: 3, baseMs: 20, maxMs: 100 } });
}

/** Another mail client: expunges `gone` and flags `flag` (UIDs), then logs out. */
async function elsewhere(d: Dovecot, gone: number[], flag: number[]): Promise<void> {
  const c = await plainImapClient(d, USER);
  await c.mailboxOpen('INBOX');
  if (flag.length) await c.messageFlagsAdd(flag.join(','), ['\\Flagged'], { uid: true });
  if (gone.length) await c.messageDelete(gone.join(','), { uid: true });
  await c.logout();
}

async function withDovecot<T>(o: Parameters<typeof startDovecot>[0], fn: (d: Dovecot) => Promise<T>): Promise<T> {
  const d = await startDovecot(o);
  try {
    d.fillMaildir(
      USER.user,
      Array.from({ length: COUNT }, (_, i) => testMessage({ subject: `m ${i}`, date: new Date(Date.UTC(2024, 0, 1) + i * 60_000) })),
    );
    return await fn(d);
  } finally {
    await d.stop();
  }
}

/**
 * The sessions that began since `before` (session names), once each has logged out: Dovecot
 * writes its rawlog as the session goes, so a session still closing may not be all there yet.
 */
async function since(d: Dovecot, before: Set<string>): Promise<{ sent: string; said: string }> {
  const end = Date.now() + 10_000;
  for (;;) {
    const out = d.rawlog(USER.user, 'out').filter((x) => !before.has(x.session));
    const done = out.length > 0 && out.every((x) => /^\S+ OK Logout completed/m.test(x.text.replace(/^[\d.]+ /gm, '')));
    if (done || Date.now() > end) {
      const sessions = new Set(out.map((x) => x.session));
      const sent = d
        .rawlog(USER.user, 'in')
        .filter((x) => sessions.has(x.session))
        .map((x) => x.text)
        .join('');
      return { sent, said: out.map((x) => x.text).join('') };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const uidsOf = (s: LegacyService, name: string) =>
  s
    .list({ accountId: name, folder: 'inbox', offset: 0, limit: 1000 })
    .items.map((m) => m.uid)
    .sort((a, b) => a - b);

beforeAll(() => {
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  box = new SecretBox(randomBytes(32));
});

beforeAll(async () => {
  closed = await freePort();
});

afterAll(() => {
  db?.close();
  dir?.remove();
});

describe('legacy IMAP deltas by QRESYNC', () => {
  it('expunges made by another client while we were away arrive as VANISHED (EARLIER) and leave the store; no full UID list is fetched', async () => {
    await withDovecot({ users: [USER], rawlog: true }, async (d) => {
      const name = 'qresync';
      let s = service();
      await s.addAccount(account(name, d));
      const first = await s.sync(name, { only: ['INBOX'] });
      expect(first.folders[0]).toMatchObject({ mode: 'initial', added: COUNT, total: COUNT });
      const quiet = await s.sync(name, { only: ['INBOX'] });
      expect(quiet.folders[0]).toMatchObject({ mode: 'qresync', added: 0, changed: 0, removed: 0, total: COUNT });
      await s.close();

      // Away: another client expunges three messages and flags one; one new message arrives.
      const all = uidsOf(s, name);
      const gone = [all[2]!, all[17]!, all[COUNT - 1]!];
      const flagged = all[5]!;
      await elsewhere(d, gone, [flagged]);
      await d.deliver(USER.user, testMessage({ subject: 'new while away' }));

      // Back (a fresh service on the same profile, as after a restart).
      const before = new Set(d.rawlog(USER.user).map((x) => x.session));
      s = service();
      const back = await s.sync(name, { only: ['INBOX'] });
      await s.close();
      expect(back.folders[0]).toMatchObject({ mode: 'qresync', added: 1, changed: 1, removed: 3, total: COUNT - 3 + 1 });
      const now = uidsOf(s, name);
      for (const u of gone) expect(now).not.toContain(u);
      expect(now.filter((u) => all.includes(u))).toEqual(all.filter((u) => !gone.includes(u)));
      const row = s.list({ accountId: name, folder: 'inbox', offset: 0, limit: 1000 }).items.find((m) => m.uid === flagged)!;
      expect(row.flagged).toBe(true);
      expect(s.list({ accountId: name, folder: 'inbox', offset: 0, limit: 1 }).items[0]!.subject).toBe('new while away');

      // What the server saw and said in that session.
      const { sent, said } = await since(d, before);
      expect(sent).toMatch(/ENABLE[^\r\n]*QRESYNC/i);
      expect(sent).toMatch(/SELECT "?INBOX"? \(QRESYNC \(\d+ \d+\)\)/i);
      expect(said).toMatch(/\* VANISHED \(EARLIER\) [\d:,]+/);
      const vanished = [...said.matchAll(/\* VANISHED \(EARLIER\) ([\d:,]+)/g)].flatMap((m) =>
        m[1]!.split(',').flatMap((r) => {
          const [a, b] = r.split(':').map(Number);
          return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
        }),
      );
      expect(vanished.sort((a, b) => a - b)).toEqual([...gone].sort((a, b) => a - b));
      expect(sent).not.toMatch(/SEARCH/i);
      expect(sent).not.toMatch(/FETCH 1:\*/i);
      expect(sent).not.toMatch(/CHANGEDSINCE/i);
    });
  });

  it('an unchanged folder costs one SELECT: no FETCH, no SEARCH', async () => {
    await withDovecot({ users: [USER], rawlog: true }, async (d) => {
      const name = 'qresync-quiet';
      let s = service();
      await s.addAccount(account(name, d));
      await s.sync(name, { only: ['INBOX'] });
      await s.close();
      const before = new Set(d.rawlog(USER.user).map((x) => x.session));
      s = service();
      const r = await s.sync(name, { only: ['INBOX'] });
      await s.close();
      expect(r.folders[0]).toMatchObject({ mode: 'qresync', added: 0, changed: 0, removed: 0, total: COUNT });
      const { sent } = await since(d, before);
      expect(sent).toMatch(/SELECT "?INBOX"? \(QRESYNC/i);
      expect(sent).not.toMatch(/FETCH|SEARCH/i);
    });
  });

  // What each fallback asks for instead (the same patterns the QRESYNC test finds absent).
  for (const [label, o, mode, asks] of [
    [
      'CONDSTORE but no QRESYNC',
      { noQresync: true },
      'condstore',
      [/UID FETCH 1:\* \(UID FLAGS[^)]*\) \(CHANGEDSINCE \d+\)/i, /UID SEARCH ALL/i],
    ],
    ['neither CONDSTORE nor QRESYNC', { noCondstore: true }, 'uiddiff', [/UID FETCH 1:\* \(UID FLAGS\)\r\n/i]],
  ] as const) {
    it(`a server with ${label} still syncs removals and flags (${mode})`, async () => {
      await withDovecot({ users: [USER], rawlog: true, ...o }, async (d) => {
        const name = `fallback-${mode}`;
        let s = service();
        await s.addAccount(account(name, d));
        await s.sync(name, { only: ['INBOX'] });
        await s.close();
        const all = uidsOf(s, name);
        const gone = [all[1]!, all[30]!];
        await elsewhere(d, gone, [all[4]!]);
        const before = new Set(d.rawlog(USER.user).map((x) => x.session));
        s = service();
        const r = await s.sync(name, { only: ['INBOX'] });
        await s.close();
        expect(r.folders[0]).toMatchObject({ mode, changed: 1, removed: 2, total: COUNT - 2 });
        expect(uidsOf(s, name)).toEqual(all.filter((u) => !gone.includes(u)));
        const { sent } = await since(d, before);
        expect(sent).not.toMatch(/QRESYNC/i);
        for (const a of asks) expect(sent).toMatch(a);
      });
    });
  }
});
