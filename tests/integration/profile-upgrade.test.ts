// A profile written by schema 1 (tests/fixtures/profile-v1, see its README) opens with
// today's code: the migrations upgrade it in place, every table is then a migration's,
// its mail reads as before, and the outbox error that named an address in the clear is
// sealed at the first unlock.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { migrations } from '../../electron/store/database.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'fixture passphrase one';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'profile-v1');
const tmp = tempDir('qmail-upgrade-');
const opened: AppServices[] = [];
afterAll(async () => {
  for (const app of opened) {
    await app.mail.stop();
    app.close();
  }
  tmp.remove();
});

function profile(name: 'alice' | 'bob', folder: string = name): string {
  const dir = join(tmp.path, folder);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIXTURES, `${name}.db`), join(dir, 'qmail.db'));
  return dir;
}

async function open(name: 'alice' | 'bob'): Promise<AppServices> {
  const app = createAppServices({ profileDir: profile(name), host: 'web', version: 'test', autoStart: false });
  opened.push(app);
  await app.vault.unlock(PASSPHRASE);
  return app;
}

describe('a schema 1 profile upgrades in place', () => {
  it('starts at schema 1 with tables no migration made', () => {
    // A copy: opening a WAL database, even read-only, leaves -shm and -wal files beside it.
    const db = new Database(join(profile('alice', 'alice-as-made'), 'qmail.db'), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const failed = db.prepare("SELECT error FROM mail_outbox WHERE state = 'failed'").get() as { error: string };
      expect(failed.error).toContain('0006.0.4242');
    } finally {
      db.close();
    }
  });

  it('reads Bob’s mail after the upgrade: the qmail with its attachment, his answer, his draft', async () => {
    const bob = await open('bob');
    expect(bob.db.pragma('user_version', { simple: true })).toBe(Math.max(...migrations.map((m) => m.version)));
    expect(bob.mail.identityState()).toMatchObject({ state: 'ready', name: 'Bob Dylan' });
    const inbox = bob.messages.list('inbox', 0, 10).items;
    expect(inbox.map((m) => m.subject)).toEqual(['Fixture hello']);
    const hello = bob.mail.view(inbox[0]!.id)!;
    expect(hello).toMatchObject({ fromName: 'Alice Liddell', body: 'The tea party is at four.', level: 'L3', stripes: { k: 2, p: 1 } });
    expect(hello.certificate).toMatchObject({ direction: 'received', signatureVerified: true });
    const att = await bob.mail.attachment(hello.id, 0);
    expect(att.name).toBe('notes.txt');
    expect(Buffer.from(att.data, 'base64').toString()).toBe('bring the dormouse');
    const sent = bob.messages.list('sent', 0, 10).items;
    expect(sent.map((m) => m.subject)).toEqual(['Re: Fixture hello']);
    expect(bob.mail.thread(sent[0]!.id).map((m) => m.subject)).toEqual(['Fixture hello', 'Re: Fixture hello']);
    const drafts = bob.messages.list('drafts', 0, 10).items;
    expect(drafts.map((m) => m.subject)).toEqual(['Bob draft']);
    expect(bob.mail.search('tea party', undefined, 10).items.map((m) => m.subject)).toEqual(['Fixture hello']);
  });

  it('reads Alice’s mail and keeps her failed send, its error sealed once unlocked', async () => {
    const alice = await open('alice');
    const inbox = alice.messages.list('inbox', 0, 10).items;
    expect(inbox.map((m) => m.subject)).toEqual(['Re: Fixture hello']);
    expect(alice.mail.view(inbox[0]!.id)).toMatchObject({ body: 'I will be there.', level: 'L4', fromName: 'Bob Dylan' });
    expect(alice.mail.thread(inbox[0]!.id).map((m) => m.subject)).toEqual(['Fixture hello', 'Re: Fixture hello']);
    expect(alice.messages.list('sent', 0, 10).items.map((m) => m.subject)).toEqual(['Fixture hello']);
    alice.mail.start({ receive: false });
    const outbox = alice.mail.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ subject: 'To nobody', state: 'failed', to: ['0006.0.4242'] });
    expect(outbox[0]!.error).toContain('0006.0.4242');
    const rows = alice.db.prepare('SELECT error, error_sealed FROM mail_outbox').all() as {
      error: string | null;
      error_sealed: Buffer | null;
    }[];
    expect(rows.every((r) => r.error === null)).toBe(true);
    expect(rows.filter((r) => r.error_sealed).length).toBe(1);
    expect(rows.some((r) => r.error_sealed?.includes('0006.0.4242'))).toBe(false);
    // Edit gives it back to Drafts whole.
    const draftId = alice.mail.returnToDrafts(outbox[0]!.id);
    expect(alice.mail.view(draftId)).toMatchObject({ subject: 'To nobody', to: ['0006.0.4242'], folder: 'drafts' });
  });

  it('leaves no table to be made on first use: an upgraded profile has exactly a fresh profile’s tables', async () => {
    const tablesOf = (app: AppServices) =>
      (app.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name).sort();
    const fresh = createAppServices({ profileDir: join(tmp.path, 'fresh'), host: 'web', version: 'test', autoStart: false });
    opened.push(fresh);
    expect(tablesOf(fresh)).toEqual(
      expect.arrayContaining([
        'mail_extras',
        'mail_identity',
        'mail_outbox',
        'mail_pending',
        'mail_seen',
        'messages',
        'qkd_cache_keys',
        'qkd_cache_used',
        'qkd_origin',
        'qkd_settings',
        'vault',
      ]),
    );
    const upgraded = await open('bob');
    expect(tablesOf(upgraded)).toEqual(tablesOf(fresh));
  });
});
