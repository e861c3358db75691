import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { concatBytes } from '../bytes/index.js';
import { CryptoError } from '../crypto/errors.js';
import { label } from '../crypto/primitives.js';
import { generateIdentity, publicIdentity } from '../identity/identity.js';
import { decryptMessage, encryptMessage } from '../stripe/message.js';
import { decodeCapsule, openCapsule, sealCapsule, type Level } from './capsule.js';
import { MemoryQkdLink } from './qkd.js';

const alice = generateIdentity();
const bob = generateIdentity();
const carol = generateIdentity();
const LEVELS: Level[] = [1, 2, 3, 4];

async function sealFor(level: Level, link = new MemoryQkdLink()) {
  const msg = new TextEncoder().encode(`hello at level ${level}`);
  const enc = encryptMessage(msg, { k: 3, p: 2 });
  const capsule = await sealCapsule(enc.secrets, {
    level,
    sender: alice,
    recipient: publicIdentity(bob),
    qkd: link.sender,
    now: () => 1_700_000_000_000,
  });
  return { msg, enc, capsule, link };
}

describe('key capsule', () => {
  for (const level of LEVELS) {
    it(`L${level}: seals, opens and rebuilds the message`, async () => {
      const { msg, enc, capsule, link } = await sealFor(level);
      const opened = await openCapsule(capsule, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver, expectLevel: level });
      expect(opened.level).toBe(level);
      expect(opened.timestamp).toBe(1_700_000_000_000);
      expect(opened.secrets).toEqual(enc.secrets);
      expect(decryptMessage(enc.slots, opened.secrets).plaintext).toEqual(msg);
    });
    it(`L${level}: replayed to another recipient is refused`, async () => {
      const { capsule, link } = await sealFor(level);
      await expect(openCapsule(capsule, { recipient: carol, sender: publicIdentity(alice), qkd: link.receiver })).rejects.toMatchObject({
        code: 'wrong-recipient',
      });
    });
  }
  it('names the QKD keys it used, and L1 consumes enough pad for the whole capsule secret', async () => {
    const { capsule } = await sealFor(1);
    const d = decodeCapsule(capsule);
    expect(d.header.keyRefs.length * 32).toBeGreaterThanOrEqual(d.sealed.length - 16 + 32);
    expect(d.header.keyRefs[0]!.kmeId).toBe('kme-local');
    const l3 = decodeCapsule((await sealFor(3)).capsule);
    expect(l3.header.kemCiphertext).toHaveLength(1120);
    expect(l3.signature).toHaveLength(3309);
  });
  it('a changed level is refused: by the signature, and by the AEAD binding even if re-signed', async () => {
    const { capsule, link } = await sealFor(2);
    const changed = capsule.slice();
    changed[1] = 3;
    await expect(openCapsule(changed, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver })).rejects.toBeInstanceOf(
      CryptoError,
    );
    // L2 relabelled as L1 (same header layout) and re-signed with the real sender key: the KDF/MAC binding still refuses it
    const d = decodeCapsule(capsule);
    const signed = d.signed.slice();
    signed[1] = 1;
    const resigned = concatBytes(signed, ml_dsa65.sign(signed, alice.signSecretKey, { context: label('qmail-capsule-v1') }));
    await expect(openCapsule(resigned, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver })).rejects.toBeInstanceOf(
      CryptoError,
    );
    const { capsule: l3 } = await sealFor(3);
    await expect(openCapsule(l3, { recipient: bob, sender: publicIdentity(alice), expectLevel: 1 })).rejects.toMatchObject({
      code: 'level-mismatch',
    });
  });
  it('refuses a capsule from an unexpected sender', async () => {
    const { capsule } = await sealFor(4);
    await expect(openCapsule(capsule, { recipient: bob, sender: publicIdentity(carol) })).rejects.toMatchObject({ code: 'wrong-sender' });
  });
  it('flipping any bit of a capsule (header, sealed part or signature) is detected', async () => {
    const sealed = await Promise.all(([3, 4] as Level[]).map((l) => sealFor(l)));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.nat(), async (which, bitSeed) => {
        const capsule = sealed[which]!.capsule.slice();
        const bit = bitSeed % (capsule.length * 8);
        capsule[bit >> 3]! ^= 1 << (bit & 7);
        await expect(openCapsule(capsule, { recipient: bob, sender: publicIdentity(alice) })).rejects.toBeInstanceOf(CryptoError);
      }),
      { numRuns: 60 },
    );
  });
  it('strict decoder: truncation, trailing bytes, bad version, oversize', async () => {
    const { capsule } = await sealFor(4);
    expect(() => decodeCapsule(capsule.subarray(0, capsule.length - 1))).toThrow(expect.objectContaining({ code: 'malformed-capsule' }));
    expect(() => decodeCapsule(Uint8Array.of(...capsule, 0))).toThrow(expect.objectContaining({ code: 'malformed-capsule' }));
    expect(() => decodeCapsule(Uint8Array.of(2, ...capsule.subarray(1)))).toThrow(expect.objectContaining({ code: 'unsupported-version' }));
    expect(() => decodeCapsule(new Uint8Array(20000))).toThrow(expect.objectContaining({ code: 'malformed-capsule' }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), (junk) => {
        expect(() => decodeCapsule(junk)).toThrow(CryptoError);
      }),
    );
  });
  it('QKD keys are used once: a second open of an L1 capsule has no key material', async () => {
    const { capsule, link } = await sealFor(1);
    await openCapsule(capsule, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver });
    await expect(openCapsule(capsule, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver })).rejects.toMatchObject({
      code: 'qkd-keys-unavailable',
    });
  });
});
