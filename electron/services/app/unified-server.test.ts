// Search on the accounts' servers, over a real profile database: the UIDs a server answers
// mapped to our rows, what the local index found left out, the hits marked `onServer`; which
// accounts are asked (IMAP, not POP3, not one waiting to sign in again, the source filter); a
// newer search superseding an older; and a server that never answers ends as 'timeout'.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LegacyMessageView } from '../../../shared/ipc/index.js';
import { openDatabase, type Db } from '../../store/database.js';
import { MessageStore } from '../../store/messages.js';
import { SecretBox } from '../../store/secret-box.js';
import { tempDir } from '../../../tests/support/tmp.js';
import type { FolderMatch } from '../legacy/imap/search.js';
import { LegacyService } from '../legacy/service.js';
import type { MailEngine } from '../mail/engine.js';
import type { legacyReader } from './legacy-reader.js';
import { UnifiedMail } from './unified.js';
import { serverOnly } from './unified-server.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const server = (host: string, port = 993) => ({ host, port, tls: 'implicit' as const });

async function world() {
  const dir = tempDir();
  const db: Db = openDatabase(join(dir.path, 'qmail.db'));
  cleanups.push(() => {
    db.close();
    dir.remove();
  });
  const box = new SecretBox(randomBytes(32));
  const legacy = new LegacyService(db, () => box);
  const add = (name: string, kind: 'imap' | 'pop3' = 'imap', host = 'imap.example.org', port = 993) =>
    legacy.addAccount({
      name,
      preset: 'generic',
      email: `${name}@example.org`,
      user: name,
      incoming: { kind, ...server(host, port) },
      smtp: server('smtp.example.org', 465),
      auth: { kind: 'password', password: 'pw' },
    });
  const mail = { search: () => ({ total: 0, items: [] }) } as unknown as MailEngine;
  const reader = {
    forget: () => undefined,
    view: async (id: string): Promise<LegacyMessageView> => {
      throw new Error(`not opened in these tests: ${id}`);
    },
  } as unknown as ReturnType<typeof legacyReader>;
  const unified = new UnifiedMail({ db, messages: new MessageStore(db, () => box), mail, legacy, reader, changed: () => undefined });
  let uid = 1;
  const email = (folderId: string, date: number, subject: string) => {
    const u = uid++;
    legacy.store.addMessages(folderId, [
      {
        uid: u,
        date,
        flags: 0,
        size: 100,
        envelope: { from: 'ann@example.net', to: ['me@example.org'], cc: [], subject, hasAttachments: false },
      },
    ]);
    return { uid: u, id: legacy.store.messageByUid(folderId, u)!.id };
  };
  const folder = (accountId: string, path: string, role: 'inbox' | 'sent' | 'archive') => {
    const f = legacy.store.addFolder(accountId, path, role);
    legacy.store.saveState(f.id, { uidvalidity: 5 });
    return f.id;
  };
  return { db, legacy, unified, add, email, folder };
}

describe('serverOnly', () => {
  it('drops what the local search found and duplicates, newest first (ties by id), at most limit', () => {
    const rows = [
      { id: 'b', date: 5 },
      { id: 'a', date: 5 },
      { id: 'l', date: 9 },
      { id: 'c', date: 7 },
      { id: 'a', date: 5 },
      { id: 'd', date: 1 },
    ];
    expect(serverOnly(rows, new Set(['l']), 3)).toEqual(['c', 'a', 'b']);
    expect(serverOnly(rows, new Set(), 0)).toEqual([]);
  });
});

describe('UnifiedMail.searchServer', () => {
  it('maps the UIDs the server found to our rows and adds those the local index did not find, marked onServer', async () => {
    const w = await world();
    const work = await w.add('work');
    const inbox = w.folder(work.id, 'INBOX', 'inbox');
    const sent = w.folder(work.id, 'Sent', 'sent');
    const byEnvelope = w.email(inbox, 30, 'Quarterly pelican report');
    const bodyOnly = w.email(inbox, 20, 'Numbers');
    const older = w.email(inbox, 10, 'Other');
    const inSent = w.email(sent, 40, 'Sent one');
    const asked: { roles: readonly string[]; terms: readonly string[] }[] = [];
    w.legacy.searchServer = async (_id, roles, terms) => {
      asked.push({ roles, terms });
      const matches: FolderMatch[] = roles.includes('inbox')
        ? [{ folderId: inbox, uids: [byEnvelope.uid, bodyOnly.uid, older.uid, 999] }]
        : [{ folderId: sent, uids: [inSent.uid] }];
      return { outcome: 'searched', matches };
    };
    expect(w.unified.search('pelican', 'inbox', undefined, 50).items.map((h) => h.id)).toEqual([byEnvelope.id]);
    const r = await w.unified.searchServer('pelican', 'inbox', undefined, 50);
    expect(asked).toEqual([{ roles: ['inbox'], terms: ['pelican'] }]);
    // The row the index found is not repeated; a UID we do not hold (999) is passed over.
    expect(r.items.map((h) => h.id)).toEqual([bodyOnly.id, older.id]);
    expect(r.items.every((h) => h.onServer === true && h.folder === 'inbox' && h.origin?.account === 'work')).toBe(true);
    expect(r.servers).toEqual([{ accountId: work.id, account: 'work', outcome: 'searched' }]);
    expect((await w.unified.searchServer('pelican', 'inbox', undefined, 1)).items.map((h) => h.id)).toEqual([bodyOnly.id]);

    // Over every folder: the five roles in order, the rows of each.
    asked.length = 0;
    const all = await w.unified.searchServer('pelican', undefined, undefined, 50);
    expect(asked[0]!.roles).toEqual(['inbox', 'archive', 'sent', 'drafts', 'trash']);
    expect(all.items).toHaveLength(2);
  });

  it('asks only IMAP accounts in the source that are not waiting to sign in again', async () => {
    const w = await world();
    const a = await w.add('a');
    const b = await w.add('b');
    const pop = await w.add('pop', 'pop3');
    const revoked = await w.add('revoked');
    w.legacy.store.putAccount(
      revoked.id,
      { ...(w.legacy.store.accounts().find((x) => x.id === revoked.id)!.settings as object), lastError: { code: 'auth', message: 'no' } },
      undefined,
      1,
    );
    const asked: string[] = [];
    w.legacy.searchServer = async (id) => (asked.push(id), { outcome: 'searched', matches: [] });
    await w.unified.searchServer('word', 'inbox', undefined, 50);
    expect(asked.sort()).toEqual([a.id, b.id].sort());
    asked.length = 0;
    await w.unified.searchServer('word', 'inbox', b.id, 50);
    expect(asked).toEqual([b.id]);
    asked.length = 0;
    expect(await w.unified.searchServer('word', 'inbox', 'qmail', 50)).toEqual({ items: [], servers: [] });
    expect(await w.unified.searchServer('word', 'inbox', pop.id, 50)).toEqual({ items: [], servers: [] });
    // Nothing to send (only control characters): no server is asked.
    expect(await w.unified.searchServer('\u0001\u0002', 'inbox', undefined, 50)).toEqual({ items: [], servers: [] });
    expect(asked).toEqual([]);
  });

  it('a newer search supersedes one still waiting for its servers', async () => {
    const w = await world();
    const work = await w.add('work');
    const inbox = w.folder(work.id, 'INBOX', 'inbox');
    const m = w.email(inbox, 1, 'x');
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    let calls = 0;
    w.legacy.searchServer = async (_id, _roles, _terms, o) => {
      if (++calls === 1) {
        await first;
        expect(o.signal?.aborted).toBe(true);
      }
      return { outcome: 'searched', matches: [{ folderId: inbox, uids: [m.uid] }] };
    };
    const older = w.unified.searchServer('alpha', 'inbox', undefined, 50);
    const newer = await w.unified.searchServer('alphabet', 'inbox', undefined, 50);
    release();
    expect((await older).items).toEqual([]);
    expect(newer.items.map((h) => h.id)).toEqual([m.id]);
  });

  it('a server that never answers ends as timeout, within the bound, and nothing is added', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s); // accepts, then says nothing (no greeting)
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const w = await world();
    const port = (silent.address() as { port: number }).port;
    const quiet = await w.add('quiet', 'imap', '127.0.0.1', port);
    cleanups.push(() => w.legacy.close());
    const inbox = w.folder(quiet.id, 'INBOX', 'inbox');
    w.email(inbox, 1, 'x');
    const r = await w.legacy.searchServer(quiet.id, ['inbox'], ['x'], { timeoutMs: 150, maxFolders: 5 });
    expect(r).toEqual({ outcome: 'timeout', matches: [] });
  });
});
