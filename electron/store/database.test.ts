// Finding 9 (the app side): the profile folder holds the sealed mail database and the
// user's keys; it and its database files are the user's alone, whatever the umask.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { tempDir } from '../../tests/support/tmp.js';

const modeOf = (p: string): number => statSync(p).mode & 0o777;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe.runIf(process.platform !== 'win32')('profile database files', () => {
  it('finding 9 — the profile folder is 0700 and qmail.db with its WAL and SHM 0600, also when an older version left them open', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const fresh = join(dir.path, 'fresh', 'profile');
    const old = join(dir.path, 'old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    writeFileSync(join(old, 'qmail.db'), '');
    chmodSync(join(old, 'qmail.db'), 0o644);
    for (const profile of [fresh, old]) {
      const db = openDatabase(join(profile, 'qmail.db'));
      try {
        db.prepare("INSERT INTO messages (id, folder, date, sealed) VALUES ('m', 'inbox', 0, x'00')").run();
        expect(modeOf(profile), profile).toBe(0o700);
        for (const f of ['qmail.db', 'qmail.db-wal', 'qmail.db-shm']) {
          expect(existsSync(join(profile, f)), f).toBe(true);
          expect(modeOf(join(profile, f)), `${profile}/${f}`).toBe(0o600);
        }
      } finally {
        db.close();
      }
    }
  });
});
