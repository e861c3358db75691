// Legacy IMAP accounts against a real Dovecot (Debian's, from a temp config on loopback):
// test connection by stage, a 10,000-message initial sync newest first, flags/move/delete
// round trips both ways, a UIDVALIDITY change, and a connection cut mid-sync that resumes
// with no loss and no duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { freePort, plainImapClient, startCutProxy, startDovecot, testMessage, type Dovecot } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const ALICE = { user: 'alice@a.localhost', password: 'alice-pw' };
const BIG = { user: 'big@a.localhost', password: 'big-pw' };
const CUT = { user: 'cut@a.localhost', password: 'cut-pw' };
const N = 10_000;

let dovecot: Dovecot;
let closed: number;
let dir: { path: string; remove: () => void };
let db: Db;
let box: SecretBox;
const services: LegacyService[] = [];

function service(o: ConstructorParameters<typeof LegacyService>[2] = {}): LegacyService {
  const s = new LegacyService(db, () => box, { retry: { attempts: 5, baseMs: 20, maxMs: 200 }, ...o });
  services.push(s);
  return s;
}

function account(name: string, u: { user: string; password: string }, over: Partial<LegacyAccountInput> = {}): LegacyAccountInput {
  return {
    name,
    preset: 'generic',
    email: u.user,
    user: u.user,
    incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem },
    smtp: { host: '127.0.0.1', port: closed, tls: 'implicit', ca: dovecot.tls.caPem },
    auth: { kind: 'password', password: u.password },
    ...over,
  };
}

const serverClient = (u: { user: string; password: string }): Promise<ImapFlow> => plainImapClient(dovecot, u);

beforeAll(async () => {
  dovecot = await startDovecot({ users: [ALICE, BIG, CUT] });
  closed = await freePort();
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  box = new SecretBox(randomBytes(32));
  const base = Date.UTC(2024, 0, 1);
  // Dates rise with the file order, so "newest first" is checkable.
  dovecot.fillMaildir(
    BIG.user,
    Array.from({ length: N }, (_, i) => testMessage({ subject: `bulk ${i}`, date: new Date(base + i * 60_000), body: `message ${i}` })),
  );
  dovecot.fillMaildir(
    CUT.user,
    Array.from({ length: 3000 }, (_, i) => testMessage({ subject: `cut ${i}`, date: new Date(base + i * 60_000) })),
  );
  for (let i = 0; i < 5; i++)
    await dovecot.deliver(
      ALICE.user,
      testMessage({ from: 'Carol Q <carol@c.localhost>', to: ALICE.user, subject: `hello ${i}`, date: new Date(base + i * 1000) }),
    );
});

afterAll(async () => {
  for (const s of services) await s.close();
  db?.close();
  await dovecot?.stop();
  dir?.remove();
});

describe('legacy IMAP against Dovecot', () => {
  it('test connection names the stage that failed: DNS, TCP, TLS certificate, auth', async () => {
    const failingLookup = (h: string) => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' }));
    const s = service({ lookup: failingLookup });
    const ok = service();
    const good = await ok.testConnection(account('t', ALICE));
    // No SMTP server listens here (legacy-smtp tests the whole path): the incoming side passes and SMTP is what fails.
    expect(good).toMatchObject({ ok: false, stage: 'tcp', server: 'smtp' });
    expect(
      await s.testConnection(
        account('t', ALICE, { incoming: { kind: 'imap', host: 'mail.nowhere.localhost', port: 993, tls: 'implicit' } }),
      ),
    ).toMatchObject({ ok: false, stage: 'dns', server: 'incoming' });
    expect(
      await ok.testConnection(account('t', ALICE, { incoming: { kind: 'imap', host: '127.0.0.1', port: closed, tls: 'implicit' } })),
    ).toMatchObject({ ok: false, stage: 'tcp' });
    const noCa = await ok.testConnection(
      account('t', ALICE, { incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit' } }),
    );
    expect(noCa).toMatchObject({ ok: false, stage: 'tls_certificate', server: 'incoming' });
    const starttlsNoCa = await ok.testConnection(
      account('t', ALICE, { incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, tls: 'starttls' } }),
    );
    expect(starttlsNoCa).toMatchObject({ ok: false, stage: 'tls_certificate', server: 'incoming' });
    const wrong = await ok.testConnection(account('t', { ...ALICE, password: 'nope' }));
    expect(wrong).toMatchObject({ ok: false, stage: 'auth', server: 'incoming' });
    expect(JSON.stringify(wrong)).not.toContain('nope');
  });

  it('accounts: add, list without secrets, edit, refuse a duplicate name and hostile input', async () => {
    const s = service();
    const a = await s.addAccount(account('acct-crud', ALICE));
    expect(s.listAccounts().map((x) => x.name)).toContain('acct-crud');
    const v = s.account('acct-crud')!;
    expect(JSON.stringify(v)).not.toContain(ALICE.password);
    expect(JSON.stringify(v)).not.toContain('BEGIN CERTIFICATE');
    expect(v.incoming.hasCa).toBe(true);
    await expect(s.addAccount(account('acct-crud', ALICE))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      s.addAccount({ ...account('x', ALICE), incoming: { kind: 'imap', host: 'a b\r\nc', port: 0, tls: 'implicit' } }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    const e = await s.editAccount(a.id, { displayName: 'Alice A' });
    expect(e.displayName).toBe('Alice A');
    // The sealed rows do not hold the password, the address or the host in the clear.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(dir.path, 'qmail.db'));
    for (const secret of [ALICE.password, ALICE.user, 'Alice A']) expect(file.includes(Buffer.from(secret))).toBe(false);
    await s.removeAccount('acct-crud');
    expect(s.account('acct-crud')).toBeUndefined();
  });

  it(`initial sync of ${N} messages, newest first, with state saved per chunk; then a no-op delta`, async () => {
    const s = service({ chunk: 2000 });
    await s.addAccount(account('big', BIG));
    const firstChunkNewest: number[] = [];
    const t0 = performance.now();
    const r = await s.sync('big', {
      onChunk: (path, stored) => {
        if (path === 'INBOX' && firstChunkNewest.length === 0) firstChunkNewest.push(stored);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const inbox = r.folders.find((f) => f.path === 'INBOX')!;
    // The chunks came over the bulk connection (imap/bulk.ts), not imapflow.
    expect(inbox).toMatchObject({ total: N, added: N, mode: 'initial', fetchedBy: 'bulk' });
    // A small first chunk: the newest screenful is stored before the rest is asked for.
    expect(firstChunkNewest[0]).toBe(200);
    const page = s.list({ accountId: 'big', folder: 'inbox', offset: 0, limit: 3 });
    expect(page.total).toBe(N);
    expect(page.items.map((m) => m.subject)).toEqual([`bulk ${N - 1}`, `bulk ${N - 2}`, `bulk ${N - 3}`]);
    expect(page.items[0]!.unread).toBe(true);
    expect(seconds).toBeLessThan(45);
    const again = await s.sync('big');
    expect(again.folders.find((f) => f.path === 'INBOX')).toMatchObject({ total: N, added: 0, changed: 0, removed: 0, mode: 'qresync' });
  });

  it('flags, move, delete: ours reach the server, the server’s reach us (CONDSTORE and UID-diff)', async () => {
    const s = service();
    await s.addAccount(account('alice', ALICE));
    await s.sync('alice');
    const inbox = () => s.list({ accountId: 'alice', folder: 'inbox', offset: 0, limit: 50 }).items;
    expect(inbox()).toHaveLength(5);
    const [m0, m1, m2] = inbox();
    await s.setFlags(m0!.id, { seen: true, flagged: true });
    const other = await serverClient(ALICE);
    try {
      const lock = await other.getMailboxLock('INBOX');
      try {
        const f = await other.fetchOne(String(m0!.uid), { flags: true }, { uid: true });
        expect(f && [...f.flags!].sort()).toEqual(['\\Flagged', '\\Seen']);
        // The server side changes a flag and expunges a message.
        await other.messageFlagsAdd(String(m1!.uid), ['\\Answered'], { uid: true });
        await other.messageDelete(String(m2!.uid), { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await other.logout();
    }
    const r = await s.sync('alice');
    expect(r.folders.find((f) => f.path === 'INBOX')).toMatchObject({ mode: 'qresync', changed: 1, removed: 1, total: 4 });
    expect(s.message(m1!.id)!.answered).toBe(true);
    expect(s.message(m2!.id)).toBeUndefined();

    await s.move(m0!.id, 'archive');
    const archived = s.list({ accountId: 'alice', folder: 'archive', offset: 0, limit: 10 }).items;
    expect(archived.map((m) => m.subject)).toEqual([m0!.subject]);
    expect(archived[0]!.flagged).toBe(true);
    await s.remove(m1!.id);
    const trash = s.list({ accountId: 'alice', folder: 'trash', offset: 0, limit: 10 }).items;
    expect(trash.map((m) => m.subject)).toEqual([m1!.subject]);
    await s.remove(trash[0]!.id);
    expect(s.list({ accountId: 'alice', folder: 'trash', offset: 0, limit: 10 }).total).toBe(0);
    const after = await s.sync('alice');
    expect(after.folders.find((f) => f.path === 'INBOX')!.total).toBe(2);
    expect(after.folders.find((f) => f.path === 'Archive')!.total).toBe(1);
    expect(after.folders.find((f) => f.path === 'Trash')!.total).toBe(0);

    // A draft by APPEND lands in Drafts with \Draft.
    await s.saveDraft('alice', Buffer.from(testMessage({ subject: 'draft one', from: ALICE.user })));
    const drafts = s.list({ accountId: 'alice', folder: 'drafts', offset: 0, limit: 10 }).items;
    expect(drafts.map((d) => [d.subject, d.draft])).toEqual([['draft one', true]]);
  });

  it('the UID-diff path (a server without CONDSTORE) sees flag changes and removals too', async () => {
    const plain = await startDovecot({ users: [ALICE], noCondstore: true });
    try {
      for (let i = 0; i < 3; i++) await plain.deliver(ALICE.user, testMessage({ subject: `p ${i}` }));
      const s = service();
      await s.addAccount({
        ...account('plain', ALICE),
        incoming: { kind: 'imap', host: '127.0.0.1', port: plain.ports.imap, tls: 'starttls', ca: plain.tls.caPem },
      });
      await s.sync('plain');
      const items = s.list({ accountId: 'plain', folder: 'inbox', offset: 0, limit: 10 }).items;
      const c = await plainImapClient(plain, ALICE, { disableAutoEnable: true });
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd(String(items[0]!.uid), ['\\Seen'], { uid: true });
      await c.messageDelete(String(items[1]!.uid), { uid: true });
      await c.logout();
      const r = await s.sync('plain');
      expect(r.folders.find((f) => f.path === 'INBOX')).toMatchObject({ mode: 'uiddiff', changed: 1, removed: 1, total: 2 });
      expect(s.message(items[0]!.id)!.unread).toBe(false);
      await s.close();
    } finally {
      await plain.stop();
    }
  });

  it('a UIDVALIDITY change resyncs the folder with no duplicates', async () => {
    const s = service();
    await s.addAccount(account('uv', CUT));
    await s.sync('uv');
    expect(s.list({ accountId: 'uv', folder: 'inbox', offset: 0, limit: 1 }).total).toBe(3000);
    await s.close();
    dovecot.doveadm(['mailbox', 'update', '-u', CUT.user, '--uid-validity', '12345', 'INBOX']);
    const r = await s.sync('uv');
    const inbox = r.folders.find((f) => f.path === 'INBOX')!;
    expect(inbox).toMatchObject({ total: 3000, mode: 'initial' });
    const subjects = s.list({ accountId: 'uv', folder: 'inbox', offset: 0, limit: 5000 }).items.map((m) => m.subject);
    expect(new Set(subjects).size).toBe(3000);
    await s.removeAccount('uv');
  });

  it('a connection cut mid-sync resumes where it stopped: no loss, no duplicate', async () => {
    const proxy = await startCutProxy(dovecot.ports.imap);
    try {
      const s = service({ chunk: 500 });
      await s.addAccount({ ...account('cut', CUT), incoming: { kind: 'imap', host: '127.0.0.1', port: proxy.port, tls: 'none' } });
      let cuts = 0;
      let chunks = 0;
      const r = await s.sync('cut', {
        onChunk: (path) => {
          if (path !== 'INBOX') return;
          chunks++;
          // Cut twice: once right after a chunk is stored, once in the middle of the next FETCH answer.
          if (chunks === 2 && cuts === 0) {
            cuts++;
            proxy.cutAll();
          } else if (chunks === 4 && cuts === 1) {
            cuts++;
            proxy.cutAfter(20_000);
          }
        },
      });
      expect(cuts).toBe(2);
      const inbox = r.folders.find((f) => f.path === 'INBOX')!;
      expect(inbox.total).toBe(3000);
      const all = s.list({ accountId: 'cut', folder: 'inbox', offset: 0, limit: 5000 }).items;
      expect(all).toHaveLength(3000);
      expect(new Set(all.map((m) => m.uid)).size).toBe(3000);
      expect(new Set(all.map((m) => m.subject)).size).toBe(3000);
    } finally {
      await proxy.stop();
    }
  });
  it('IDLE comes back after its connection is cut (fresh client after a backoff) and catches what arrived meanwhile', async () => {
    const proxy = await startCutProxy(dovecot.ports.imap);
    const s = service({ retry: { attempts: 20, baseMs: 50, maxMs: 400 } });
    try {
      await s.addAccount({ ...account('idle-cut', ALICE), incoming: { kind: 'imap', host: '127.0.0.1', port: proxy.port, tls: 'none' } });
      await s.sync('idle-cut');
      let changes = 0;
      const stop = await s.watch('idle-cut', () => changes++);
      try {
        proxy.cutAll();
        await dovecot.deliver(ALICE.user, testMessage({ subject: 'while cut' }));
        const end = Date.now() + 10_000;
        // The watch's callback runs once its sync is done: wait for both.
        while (
          !changes ||
          !s.list({ accountId: 'idle-cut', folder: 'inbox', offset: 0, limit: 50 }).items.some((m) => m.subject === 'while cut')
        ) {
          if (Date.now() > end) throw new Error('the watch did not come back');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await stop();
      }
    } finally {
      await proxy.stop();
    }
  });
  it('a server without IDLE is polled with NOOP: new mail still arrives', async () => {
    const noIdle = await startDovecot({ users: [ALICE], noIdle: true });
    const s = service();
    try {
      await s.addAccount({
        ...account('no-idle', ALICE),
        incoming: { kind: 'imap', host: '127.0.0.1', port: noIdle.ports.imap, tls: 'none' },
      });
      await s.sync('no-idle');
      let got = false;
      const stop = await s.watch(
        'no-idle',
        () => (got = s.list({ accountId: 'no-idle', folder: 'inbox', offset: 0, limit: 5 }).items.some((m) => m.subject === 'polled')),
        { maxIdleMs: 300 },
      );
      try {
        await noIdle.deliver(ALICE.user, testMessage({ subject: 'polled' }));
        const end = Date.now() + 10_000;
        while (!got) {
          if (Date.now() > end) throw new Error('NOOP polling did not see the message');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await stop();
      }
      await s.removeAccount('no-idle');
    } finally {
      await noIdle.stop();
    }
  });
});
