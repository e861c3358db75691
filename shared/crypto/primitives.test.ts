import { describe, expect, it } from 'vitest';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { fromHex, toHex } from '../bytes/index.js';
import { CryptoError, gcmOpen, gcmSeal, hkdfSha256, pureBackend } from './index.js';
import { AES256_CTR_SP800_38A_F55 as F55, HKDF_SHA256_RFC5869, HMAC_SHA256_RFC4231 } from './vectors.js';

describe('symmetric primitives (pure)', () => {
  it('AES-256-CTR matches NIST SP 800-38A F.5.5, whole and block by block', () => {
    const key = fromHex(F55.key);
    expect(toHex(pureBackend.aes256Ctr(key, fromHex(F55.iv), fromHex(F55.plaintext)))).toBe(F55.ciphertext);
    // decryption is the same operation
    expect(toHex(pureBackend.aes256Ctr(key, fromHex(F55.iv), fromHex(F55.ciphertext)))).toBe(F55.plaintext);
  });
  it('HMAC-SHA-256 matches RFC 4231, also when fed in parts', () => {
    for (const v of HMAC_SHA256_RFC4231) {
      const data = fromHex(v.data);
      expect(toHex(pureBackend.hmacSha256(fromHex(v.key), data))).toBe(v.mac);
      expect(toHex(pureBackend.hmacSha256(fromHex(v.key), data.subarray(0, 3), data.subarray(3)))).toBe(v.mac);
    }
  });
  it('HKDF-SHA-256 matches RFC 5869', () => {
    for (const v of HKDF_SHA256_RFC5869) {
      expect(toHex(hkdfSha256(fromHex(v.ikm), v.salt ? fromHex(v.salt) : undefined, fromHex(v.info), v.length))).toBe(v.okm);
    }
  });
  it('rejects wrong key and IV sizes with a typed error', () => {
    expect(() => pureBackend.aes256Ctr(new Uint8Array(16), new Uint8Array(16), new Uint8Array(1))).toThrow(CryptoError);
    expect(() => pureBackend.aes256Ctr(new Uint8Array(32), new Uint8Array(12), new Uint8Array(1))).toThrow(CryptoError);
    expect(() => hkdfSha256(new Uint8Array(1), undefined, new Uint8Array(0), 255 * 32 + 1)).toThrow(CryptoError);
  });
  it('GCM refuses a modified ciphertext or associated data', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = gcmSeal(key, nonce, new Uint8Array([1, 2, 3]), new Uint8Array([9]));
    expect(gcmOpen(key, nonce, sealed, new Uint8Array([9]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => gcmOpen(key, nonce, sealed, new Uint8Array([8]))).toThrow(expect.objectContaining({ code: 'decrypt-failed' }));
    sealed[0]! ^= 1;
    expect(() => gcmOpen(key, nonce, sealed, new Uint8Array([9]))).toThrow(expect.objectContaining({ code: 'decrypt-failed' }));
  });
});

describe('post-quantum round trips with FIPS 203/204 sizes', () => {
  it('ML-KEM-768: ek 1184, dk 2400, ct 1088, ss 32', () => {
    const { publicKey, secretKey } = ml_kem768.keygen();
    expect([publicKey.length, secretKey.length]).toEqual([1184, 2400]);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
    expect([cipherText.length, sharedSecret.length]).toEqual([1088, 32]);
    expect(ml_kem768.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
    const bad = cipherText.slice();
    bad[0]! ^= 1;
    expect(ml_kem768.decapsulate(bad, secretKey)).not.toEqual(sharedSecret); // implicit rejection
  });
  it('X-Wing (ML-KEM-768 + X25519): pk 1216, ct 1120, ss 32', () => {
    const { publicKey, secretKey } = ml_kem768_x25519.keygen();
    expect(publicKey.length).toBe(1216);
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey);
    expect([cipherText.length, sharedSecret.length]).toEqual([1120, 32]);
    expect(ml_kem768_x25519.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
  });
  it('ML-DSA-65: pk 1952, sk 4032, signature 3309; a changed message fails', () => {
    const { publicKey, secretKey } = ml_dsa65.keygen();
    expect([publicKey.length, secretKey.length]).toEqual([1952, 4032]);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = ml_dsa65.sign(msg, secretKey);
    expect(sig.length).toBe(3309);
    expect(ml_dsa65.verify(sig, msg, publicKey)).toBe(true);
    expect(ml_dsa65.verify(sig, new Uint8Array([1, 2, 4]), publicKey)).toBe(false);
  });
});
