// The identity facade without servers: who we are, the directory to ask, and the errors
// the app turns into contract errors.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '../../store/database.js';
import { SecretBox } from '../../store/secret-box.js';
import { MailError } from '../errors.js';
import { ConnectionPool } from '../net/transport.js';
import { Account } from './account.js';
import { IdentityStore } from './store.js';
import { tempDir } from '../../../tests/support/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(directoryUrl?: string) {
  const tmp = tempDir('qmail-account-');
  const db = openDatabase(join(tmp.path, 'qmail.db'));
  const box = new SecretBox(randomBytes(32));
  let unlocked = true;
  const events: string[] = [];
  const store = new IdentityStore(db, () => box);
  const pool = new ConnectionPool(1);
  const account = new Account({
    store,
    pool,
    unlocked: () => unlocked,
    emit: (e) => events.push(e),
    now: () => 0,
    ...(directoryUrl ? { directoryUrl } : {}),
  });
  cleanups.push(() => {
    pool.closeAll();
    db.close();
    tmp.remove();
  });
  return { account, store, events, lock: () => (unlocked = false) };
}

describe('identity account', () => {
  it('without an identity: none, and no_identity where one is needed', () => {
    const { account } = setup('http://127.0.0.1:9/');
    expect(account.exists()).toBe(false);
    expect(account.state()).toEqual({ state: 'none' });
    expect(account.current()).toBeUndefined();
    expect(() => account.me()).toThrow(MailError);
    expect(() => account.me()).toThrow(expect.objectContaining({ code: 'no_identity' }));
    expect(account.directory().url).toBe('http://127.0.0.1:9/');
  });

  it('without any directory it says so', () => {
    const { account } = setup();
    expect(() => account.directory()).toThrow(expect.objectContaining({ code: 'unavailable' }));
  });

  it('with an identity: asks the directory the identity names while unlocked, the configured one while locked', () => {
    const { account, store, lock } = setup('http://127.0.0.1:9/');
    store.save({
      seed: randomBytes(32).toString('hex'),
      address: '0006.0.1001',
      name: 'Ada',
      directory: 'http://127.0.0.1:7/',
      beacon: 'b',
      servers: [],
      createdAt: 0,
    });
    expect(account.me()).toMatchObject({ address: '0006.0.1001', name: 'Ada' });
    expect(account.state()).toMatchObject({ state: 'ready', address: '0006.0.1001', name: 'Ada', phraseConfirmed: true });
    expect(account.directory().url).toBe('http://127.0.0.1:7/');
    lock();
    expect(account.current()).toBeUndefined();
    expect(account.directory().url).toBe('http://127.0.0.1:9/');
  });

  it('a second identity is refused as invalid input, before any network call', async () => {
    const { account, store } = setup('http://127.0.0.1:9/');
    store.save({
      seed: randomBytes(32).toString('hex'),
      address: '0006.0.1001',
      name: 'Ada',
      directory: 'http://127.0.0.1:7/',
      beacon: 'b',
      servers: [],
      createdAt: 0,
    });
    await expect(account.create('Bob')).rejects.toMatchObject({ code: 'invalid_input', message: 'This profile already has an identity.' });
  });
});
