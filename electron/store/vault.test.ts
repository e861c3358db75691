import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, migrate, MigrationError, migrations } from './database.js';
import { DEFAULT_KDF, Vault, VaultError, type Keychain } from './vault.js';
import { MessageStore } from './messages.js';
import { tempDir, TEST_KDF } from '../../tests/support/tmp.js';

const dirs: Array<() => void> = [];
afterEach(() => dirs.splice(0).forEach((rm) => rm()));
function profile() {
  const d = tempDir();
  dirs.push(d.remove);
  return d.path;
}

describe('vault', () => {
  it('creates with the default Argon2id costs and unlocks with the same passphrase', async () => {
    const db = openDatabase(join(profile(), 'q.db'));
    const vault = new Vault(db);
    await vault.create('correct horse battery');
    const row = db.prepare('SELECT kdf FROM vault').get() as { kdf: string };
    expect(JSON.parse(row.kdf)).toEqual(DEFAULT_KDF);
    vault.lock();
    expect(vault.unlocked).toBe(false);
    await vault.unlock('correct horse battery');
    expect(vault.unlocked).toBe(true);
    db.close();
  });

  it('a wrong passphrase gets a clear error and changes nothing', async () => {
    const db = openDatabase(join(profile(), 'q.db'));
    const vault = new Vault(db, null, TEST_KDF);
    await vault.create('first passphrase');
    const store = new MessageStore(db, () => vault.box());
    store.put('0'.repeat(32), 'inbox', 1, true, { from: 'a', to: ['b'], subject: 's', body: 'hello', level: 'local' });
    const before = db.prepare('SELECT * FROM vault').get();
    vault.lock();
    const err = await vault.unlock('not the passphrase').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).code).toBe('wrong_passphrase');
    expect(vault.unlocked).toBe(false);
    expect(db.prepare('SELECT * FROM vault').get()).toEqual(before);
    await vault.unlock('first passphrase');
    expect(store.get('0'.repeat(32))?.body).toBe('hello');
    db.close();
  });

  it('stores no plaintext of a message on disk', async () => {
    const dir = profile();
    const db = openDatabase(join(dir, 'q.db'));
    const vault = new Vault(db, null, TEST_KDF);
    await vault.create('a passphrase');
    const store = new MessageStore(db, () => vault.box());
    const secret = 'Meet at the lighthouse, bring the quantum keys';
    store.put('1'.repeat(32), 'inbox', 1, true, { from: 'alice', to: ['bob'], subject: 'lighthouse plan', body: secret, level: 'L3' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const raw = readFileSync(join(dir, 'q.db'));
    expect(raw.includes(Buffer.from('lighthouse'))).toBe(false);
    expect(raw.includes(Buffer.from('alice'))).toBe(false);
  });

  it('a sealed row moved onto another id does not open', async () => {
    const db = openDatabase(join(profile(), 'q.db'));
    const vault = new Vault(db, null, TEST_KDF);
    await vault.create('a passphrase');
    const store = new MessageStore(db, () => vault.box());
    store.put('a'.repeat(32), 'inbox', 1, true, { from: 'x', to: [], subject: 's', body: 'b', level: 'local' });
    db.prepare('UPDATE messages SET id = ? WHERE id = ?').run('b'.repeat(32), 'a'.repeat(32));
    expect(() => store.get('b'.repeat(32))).toThrow(/does not open/);
    db.close();
  });

  it('uses the keychain copy when the OS offers one', async () => {
    const dir = profile();
    // A stand-in for Electron's safeStorage: XOR with a fixed pad, enough to show the wiring.
    const keychain: Keychain = { encrypt: (p) => p.map((b) => b ^ 0x5a), decrypt: (w) => w.map((b) => b ^ 0x5a) };
    const db = openDatabase(join(dir, 'q.db'));
    await new Vault(db, keychain, TEST_KDF).create('a passphrase');
    const again = new Vault(db, keychain, TEST_KDF);
    expect(again.hasKeychain).toBe(true);
    expect(again.unlockWithKeychain()).toBe(true);
    expect(new Vault(db, null, TEST_KDF).unlockWithKeychain()).toBe(false);
    db.close();
  });

  it('refuses a profile written by a newer schema', () => {
    const db = openDatabase(join(profile(), 'q.db'));
    db.pragma('user_version = 99');
    expect(() => migrate(db, migrations)).toThrow(MigrationError);
    db.close();
  });
});
