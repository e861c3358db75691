// The legacy store: sealed rows bound to their place (a body cut short or reordered, or an
// envelope copied onto another row, does not open), no duplicate UIDs, UIDVALIDITY reset.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, type Db } from './database.js';
import { LegacyStore } from './legacy.js';
import { SecretBox } from './secret-box.js';
import { tempDir } from '../../tests/support/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function fresh(): { db: Db; store: LegacyStore; folder: string } {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'qmail.db'));
  cleanups.push(() => {
    db.close();
    dir.remove();
  });
  const box = new SecretBox(randomBytes(32));
  const store = new LegacyStore(db, () => box);
  store.putAccount('a1', { name: 'x' }, { kind: 'password', password: 'pw' }, 1);
  const folder = store.addFolder('a1', 'INBOX', 'inbox').id;
  return { db, store, folder };
}

const env = (subject: string) => ({ from: 'x@y.z', to: ['a@b.c'], cc: [], subject, hasAttachments: false });

describe('legacy store', () => {
  it('a UID is stored once; the initial-sync state moves in the same transaction', () => {
    const { store, folder } = fresh();
    expect(store.addMessages(folder, [{ uid: 7, date: 1, flags: 0, size: 10, envelope: env('a') }], { lowUid: 7 })).toBe(1);
    expect(
      store.addMessages(
        folder,
        [
          { uid: 7, date: 1, flags: 0, size: 10, envelope: env('again') },
          { uid: 6, date: 1, flags: 0, size: 10, envelope: env('b') },
        ],
        { lowUid: 6 },
      ),
    ).toBe(1);
    expect(store.count(folder)).toBe(2);
    expect(store.messageByUid(folder, 7)!.envelope.subject).toBe('a');
    expect(store.folder(folder)!.lowUid).toBe(6);
    store.resetFolder(folder, 99);
    expect(store.count(folder)).toBe(0);
    expect(store.folder(folder)).toMatchObject({ uidvalidity: 99, lowUid: null, topUid: null });
  });

  it('a cached body reads back whole; cut short, reordered or copied rows do not open', () => {
    const { db, store, folder } = fresh();
    store.addMessages(folder, [
      { uid: 1, date: 1, flags: 0, size: 3, envelope: env('a') },
      { uid: 2, date: 1, flags: 0, size: 3, envelope: env('b') },
    ]);
    const id = store.messageByUid(folder, 1)!.id;
    const other = store.messageByUid(folder, 2)!.id;
    const w = store.bodyWriter(id);
    for (const [i, part] of ['one ', 'two ', 'three'].entries()) w.write(Buffer.from(part), i === 2);
    expect(Buffer.concat([...store.body(id)]).toString()).toBe('one two three');

    // Cut short: the count says 2, the second chunk was sealed as "more", not "last".
    db.prepare('UPDATE legacy_messages SET body_chunks = 2 WHERE id = ?').run(id);
    expect(() => [...store.body(id)]).toThrow(/does not open/);
    db.prepare('UPDATE legacy_messages SET body_chunks = 3 WHERE id = ?').run(id);
    // Reordered.
    const rows = db.prepare('SELECT seq, sealed FROM legacy_bodies WHERE message_id = ? ORDER BY seq').all(id) as {
      seq: number;
      sealed: Buffer;
    }[];
    db.prepare('UPDATE legacy_bodies SET sealed = ? WHERE message_id = ? AND seq = ?').run(rows[1]!.sealed, id, 0);
    expect(() => [...store.body(id)]).toThrow(/does not open/);
    // An envelope copied onto another row.
    const sealed = (db.prepare('SELECT sealed FROM legacy_messages WHERE id = ?').get(id) as { sealed: Buffer }).sealed;
    db.prepare('UPDATE legacy_messages SET sealed = ? WHERE id = ?').run(sealed, other);
    expect(() => store.message(other)).toThrow(/does not open/);
  });

  it('removing an account removes its folders, messages and bodies', () => {
    const { db, store, folder } = fresh();
    store.addMessages(folder, [{ uid: 1, date: 1, flags: 0, size: 3, envelope: env('a') }]);
    store.bodyWriter(store.messageByUid(folder, 1)!.id).write(Buffer.from('x'), true);
    store.removeAccount('a1');
    for (const t of ['legacy_accounts', 'legacy_folders', 'legacy_messages', 'legacy_bodies'])
      expect((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(0);
  });
});
