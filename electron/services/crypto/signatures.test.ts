import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { openCapsule as openPlain } from '../../../shared/capsule/index.js';
import { generateIdentity, publicIdentity } from '../../../shared/identity/index.js';
import { newMessageSecrets } from '../../../shared/stripe/index.js';
import { signMlDsa65, signatureWorkers, verifyMlDsa65Off } from './signatures.js';
import { openCapsule, sealCapsule, verifyCapsule } from './capsule.js';

const context = new TextEncoder().encode('test-context');

describe('ML-DSA-65 in worker threads', () => {
  it('signs what noble verifies, leaves the caller its key, and checks signatures both ways', async () => {
    const { secretKey, publicKey } = ml_dsa65.keygen(new Uint8Array(randomBytes(32)));
    const key = secretKey.slice();
    const msg = new Uint8Array(randomBytes(1400));
    const sigs = await Promise.all([1, 2, 3].map(() => signMlDsa65(msg, secretKey, context)));
    expect(secretKey).toEqual(key);
    expect(signatureWorkers()).toBeGreaterThan(0);
    for (const sig of sigs) {
      expect(ml_dsa65.verify(sig, msg, publicKey, { context })).toBe(true);
      expect(await verifyMlDsa65Off(sig, msg, publicKey, context)).toBe(true);
    }
    const bad = sigs[0]!.slice();
    bad[10] = bad[10]! ^ 1;
    expect(await verifyMlDsa65Off(bad, msg, publicKey, context)).toBe(false);
    expect(await verifyMlDsa65Off(sigs[0]!, msg, publicKey, new Uint8Array(0))).toBe(false);
    expect(await verifyMlDsa65Off(new Uint8Array(5), msg, publicKey, context)).toBe(false);
  });

  it('seals capsules the shared implementation opens, and refuses one whose signature was changed', async () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const secrets = newMessageSecrets({ k: 6, p: 2 }, 100_000);
    for (const level of [3, 4] as const) {
      const c = await sealCapsule(secrets, { level, sender: alice, recipient: publicIdentity(bob) });
      expect((await openPlain(c, { recipient: bob, sender: publicIdentity(alice) })).secrets).toEqual(secrets);
      expect((await openCapsule(c, { recipient: bob, sender: publicIdentity(alice) })).level).toBe(level);
      const bad = c.slice();
      bad[bad.length - 100] = bad[bad.length - 100]! ^ 1;
      await expect(verifyCapsule(bad, { recipient: publicIdentity(bob), sender: publicIdentity(alice) })).rejects.toMatchObject({
        code: 'bad-signature',
      });
      await expect(openCapsule(bad, { recipient: bob, sender: publicIdentity(alice) })).rejects.toMatchObject({ code: 'bad-signature' });
    }
  });
});
