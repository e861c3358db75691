// The outbox table keeps small jobs opened between reads; what it hands back must still follow
// the row (a job rewritten, a row sent or removed) and the vault (locked, or a new key).
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { OutboxTable } from './outbox.js';
import { SecretBox } from './secret-box.js';
import { tempDir } from '../../tests/support/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('OutboxTable', () => {
  it('reads each job as last written, and nothing once the vault is locked', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir.path, 'qmail.db'));
    cleanups.push(() => db.close(), dir.remove);
    let box: SecretBox | undefined = new SecretBox(randomBytes(32));
    const table = new OutboxTable<{ subject: string }>(db, () => {
      if (!box) throw new Error('locked');
      return box;
    });
    table.insert('a', { subject: 'first' }, 1);
    table.insert('b', { subject: 'other' }, 2);
    expect(table.unsent().map((r) => r.job.subject)).toEqual(['first', 'other']);
    table.setJob('a', { subject: 'second' });
    expect(table.get('a')?.job.subject).toBe('second');
    expect(table.unsent().map((r) => r.job.subject)).toEqual(['second', 'other']);
    table.sent('a', { subject: 'stub' });
    expect(table.get('a')?.job.subject).toBe('stub');
    expect(table.unsent().map((r) => r.id)).toEqual(['b']);
    table.remove('b');
    expect(table.get('b')).toBeUndefined();
    table.insert('b', { subject: 'again' }, 3);
    expect(table.get('b')?.job.subject).toBe('again');
    box = undefined;
    expect(() => table.unsent()).toThrow('locked');
    // A different key cannot read rows sealed under the old one, whatever was opened before.
    box = new SecretBox(randomBytes(32));
    expect(() => table.get('b')).toThrow();
  });
});
