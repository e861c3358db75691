import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { SecretBox } from './secret-box.js';
import { tempDir } from '../../tests/support/tmp.js';
import { ImageSenders } from './image-senders.js';

const tmp = tempDir('qmail-image-senders-');
afterAll(() => tmp.remove());

describe('senders allowed to show remote images', () => {
  it('are remembered across a reopen, case-insensitively, and stored sealed', () => {
    const file = join(tmp.path, 'qmail.db');
    const box = new SecretBox(randomBytes(32));
    let db = openDatabase(file);
    const s = new ImageSenders(db, () => box);
    expect(s.has('news@example.com')).toBe(false);
    s.allow('News@Example.com');
    s.allow('news@example.com');
    expect(s.has('news@example.com')).toBe(true);
    expect(s.has('other@example.com')).toBe(false);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(readFileSync(file).includes(Buffer.from('example.com'))).toBe(false);
    db = openDatabase(file);
    expect(new ImageSenders(db, () => box).has('NEWS@example.com')).toBe(true);
    // Another vault key cannot read the list.
    expect(() => new ImageSenders(db, () => new SecretBox(randomBytes(32))).has('news@example.com')).toThrow(/does not open/);
    db.close();
  });
});
