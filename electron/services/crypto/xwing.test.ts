import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { openCapsule as openPlain, sealCapsule as sealPlain } from '../../../shared/capsule/index.js';
import { generateIdentity, publicIdentity } from '../../../shared/identity/index.js';
import { newMessageSecrets } from '../../../shared/stripe/index.js';
import { expandedKeyCount, forgetExpandedKeys, xwing } from './xwing.js';
import { openCapsule, sealCapsule } from './capsule.js';

describe('X-Wing through node:crypto', () => {
  it('agrees with noble both ways', () => {
    for (let i = 0; i < 4; i++) {
      const { publicKey, secretKey } = ml_kem768_x25519.keygen(new Uint8Array(randomBytes(32)));
      const ours = xwing.encapsulate(publicKey);
      expect(ours.cipherText.length).toBe(1120);
      expect(ml_kem768_x25519.decapsulate(ours.cipherText, secretKey)).toEqual(ours.sharedSecret);
      const theirs = ml_kem768_x25519.encapsulate(publicKey);
      expect(xwing.decapsulate(theirs.cipherText, secretKey)).toEqual(theirs.sharedSecret);
    }
  });

  it('rejects a changed ciphertext the same way (implicit rejection, same pseudo-random secret)', () => {
    const { publicKey, secretKey } = ml_kem768_x25519.keygen(new Uint8Array(randomBytes(32)));
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey);
    const bad = cipherText.slice();
    bad[100] = bad[100]! ^ 1;
    const ours = xwing.decapsulate(bad, secretKey);
    expect(ours).toEqual(ml_kem768_x25519.decapsulate(bad, secretKey));
    expect(ours).not.toEqual(sharedSecret);
  });

  it('refuses a low-order X25519 share as noble does', () => {
    const { publicKey, secretKey } = ml_kem768_x25519.keygen(new Uint8Array(randomBytes(32)));
    const ct = ml_kem768_x25519.encapsulate(publicKey).cipherText;
    ct.fill(0, 1088); // u = 0
    expect(() => ml_kem768_x25519.decapsulate(ct, secretKey)).toThrow();
    expect(() => xwing.decapsulate(ct, secretKey)).toThrow();
  });

  it('keeps one expanded key per secret key until forgotten, and zeroes it then', () => {
    forgetExpandedKeys();
    const a = ml_kem768_x25519.keygen(new Uint8Array(randomBytes(32)));
    const b = ml_kem768_x25519.keygen(new Uint8Array(randomBytes(32)));
    for (const k of [a, b, a, b]) {
      const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(k.publicKey);
      expect(xwing.decapsulate(cipherText, k.secretKey)).toEqual(sharedSecret);
    }
    expect(expandedKeyCount()).toBe(2);
    forgetExpandedKeys();
    expect(expandedKeyCount()).toBe(0);
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(a.publicKey);
    expect(xwing.decapsulate(cipherText, a.secretKey)).toEqual(sharedSecret);
  });

  it('seals and opens capsules that the plain shared implementation opens and seals', async () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const secrets = newMessageSecrets({ k: 4, p: 1 }, 4096);
    const fast = await sealCapsule(secrets, { level: 3, sender: alice, recipient: publicIdentity(bob) });
    expect((await openPlain(fast, { recipient: bob, sender: publicIdentity(alice) })).secrets).toEqual(secrets);
    const plain = await sealPlain(secrets, { level: 3, sender: alice, recipient: publicIdentity(bob) });
    expect((await openCapsule(plain, { recipient: bob, sender: publicIdentity(alice) })).secrets).toEqual(secrets);
  });
});
