import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { SecretBox } from './secret-box.js';
import { tempDir } from '../../tests/support/tmp.js';
import { WalletStore, type StoredCoin } from './wallet.js';

const dir = tempDir('qmail-wallet-store-');
afterAll(() => dir.remove());

const coin = (serial: number): StoredCoin => ({ denomination: 0, serial, ans: ['00'], pown: 'p', test: true, state: 'bank' });

describe('wallet stores on one connection', () => {
  it('each sees what the other wrote (the Wallet screen and a hire payment share the profile database)', () => {
    const db = openDatabase(join(dir.path, 'profile.db'));
    const box = new SecretBox(new Uint8Array(randomBytes(32)));
    try {
      const a = new WalletStore(db, () => box);
      const b = new WalletStore(db, () => box);
      a.put('x', coin(1));
      expect(b.all().map((c) => c.coin.serial)).toEqual([1]);
      b.put('y', coin(2));
      b.remove('x');
      expect(a.all().map((c) => c.coin.serial)).toEqual([2]);
      // Our own writes keep our cache current.
      a.put('z', coin(3));
      expect(
        a
          .all()
          .map((c) => c.coin.serial)
          .sort(),
      ).toEqual([2, 3]);
      expect(
        b
          .all()
          .map((c) => c.coin.serial)
          .sort(),
      ).toEqual([2, 3]);
    } finally {
      db.close();
    }
  });
});
