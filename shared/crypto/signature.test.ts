import { describe, expect, it } from 'vitest';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { verifyMlDsa65 } from './signature.js';

describe('verifyMlDsa65', () => {
  const keys = ml_dsa65.keygen(new Uint8Array(32).fill(7));
  const other = ml_dsa65.keygen(new Uint8Array(32).fill(8));
  const msg = new TextEncoder().encode('signed bytes');
  const ctx = new TextEncoder().encode('ctx');
  const sig = ml_dsa65.sign(msg, keys.secretKey, { context: ctx });

  it('accepts a good signature, again from memory, and still refuses every variation of it', () => {
    expect(verifyMlDsa65(sig, msg, keys.publicKey, ctx)).toBe(true);
    expect(verifyMlDsa65(sig, msg, keys.publicKey, ctx)).toBe(true);
    const flipped = msg.slice();
    flipped[0]! ^= 1;
    expect(verifyMlDsa65(sig, flipped, keys.publicKey, ctx)).toBe(false);
    const badSig = sig.slice();
    badSig[100]! ^= 1;
    expect(verifyMlDsa65(badSig, msg, keys.publicKey, ctx)).toBe(false);
    expect(verifyMlDsa65(sig, msg, other.publicKey, ctx)).toBe(false);
    expect(verifyMlDsa65(sig, msg, keys.publicKey)).toBe(false);
    expect(verifyMlDsa65(sig, msg, keys.publicKey, new TextEncoder().encode('ctx2'))).toBe(false);
  });

  it('answers false for malformed input instead of throwing', () => {
    expect(verifyMlDsa65(sig.subarray(0, 10), msg, keys.publicKey)).toBe(false);
    expect(verifyMlDsa65(sig, msg, keys.publicKey.subarray(1))).toBe(false);
  });

  it('keys on the parts, not their concatenation (moving a byte between message and signature is another input)', () => {
    const sig2 = ml_dsa65.sign(msg, keys.secretKey);
    expect(verifyMlDsa65(sig2, msg, keys.publicKey)).toBe(true);
    const shiftedMsg = new Uint8Array([...msg, sig2[0]!]);
    expect(verifyMlDsa65(sig2.subarray(1), shiftedMsg, keys.publicKey)).toBe(false);
  });
});
