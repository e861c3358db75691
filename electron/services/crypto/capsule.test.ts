import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCapsule as openPlain, sealCapsule as sealPlain } from '../../../shared/capsule/index.js';
import { gcmOpen, gcmSeal } from '../../../shared/crypto/primitives.js';
import { generateIdentity, publicIdentity } from '../../../shared/identity/index.js';
import { newMessageSecrets } from '../../../shared/stripe/index.js';
import { openCapsule, opensslAead, sealCapsule } from './capsule.js';

const bytes = (n: number) => new Uint8Array(randomBytes(n));

describe("the capsule's AES-256-GCM in OpenSSL", () => {
  it('gives the same bytes as noble both ways', () => {
    for (const size of [0, 1, 15, 16, 17, 300, 4096]) {
      const [key, nonce, plain, aad] = [bytes(32), bytes(12), bytes(size), bytes(size % 50)];
      const ours = opensslAead.seal(key, nonce, plain, aad);
      expect(ours).toEqual(gcmSeal(key, nonce, plain, aad));
      expect(gcmOpen(key, nonce, ours, aad)).toEqual(plain);
      expect(opensslAead.open(key, nonce, gcmSeal(key, nonce, plain, aad), aad)).toEqual(plain);
    }
  });

  it('refuses a changed tag, ciphertext or AAD, and a short input, as decrypt-failed', () => {
    const [key, nonce, plain, aad] = [bytes(32), bytes(12), bytes(64), bytes(20)];
    const sealed = opensslAead.seal(key, nonce, plain, aad);
    const flip = (b: Uint8Array, i: number) => {
      const c = b.slice();
      c[i] = c[i]! ^ 1;
      return c;
    };
    const code = (f: () => unknown) => {
      try {
        f();
        return 'opened';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    expect(code(() => opensslAead.open(key, nonce, flip(sealed, sealed.length - 1), aad))).toBe('decrypt-failed');
    expect(code(() => opensslAead.open(key, nonce, flip(sealed, 3), aad))).toBe('decrypt-failed');
    expect(code(() => opensslAead.open(key, nonce, sealed, flip(aad, 0)))).toBe('decrypt-failed');
    expect(code(() => opensslAead.open(key, nonce, sealed.subarray(0, 15), aad))).toBe('decrypt-failed');
    expect(code(() => opensslAead.seal(bytes(16), nonce, plain, aad))).toBe('bad-input');
  });

  it("capsules sealed by the main process open with shared/capsule's defaults, and the other way", async () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    for (const level of [3, 4] as const) {
      const secrets = newMessageSecrets({ k: 4, p: 1 }, 4096);
      const ours = await sealCapsule(secrets, { level, sender: alice, recipient: publicIdentity(bob) });
      expect((await openPlain(ours, { recipient: bob, sender: publicIdentity(alice) })).secrets).toEqual(secrets);
      const theirs = await sealPlain(secrets, { level, sender: alice, recipient: publicIdentity(bob) });
      expect((await openCapsule(theirs, { recipient: bob, sender: publicIdentity(alice) })).secrets).toEqual(secrets);
    }
  });
});
