// Pure symmetric primitives (portable: renderer, server, tests). The bulk path in
// electron/services/crypto implements the same `SymmetricBackend` over node:crypto.
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { CryptoError } from './errors.js';

/** Source of cryptographically strong random bytes; injectable for determinism in tests. */
export type Rng = (n: number) => Uint8Array;

export const systemRng: Rng = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues is limited to 65536 bytes per call.
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};

/** The bulk operations a stripe pipeline needs, implemented purely here and by node:crypto. */
export interface SymmetricBackend {
  readonly name: string;
  /** AES-256-CTR with a full 128-bit big-endian counter block starting at `iv`. */
  aes256Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
}

function checkLen(what: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new CryptoError('bad-input', `${what} must be ${n} bytes`);
}

export const pureBackend: SymmetricBackend = {
  name: 'pure',
  aes256Ctr(key, iv, data) {
    checkLen('AES-256 key', key, 32);
    checkLen('CTR IV', iv, 16);
    return ctr(key, iv).encrypt(data);
  },
  hmacSha256(key, ...parts) {
    const h = hmac.create(sha256, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
};

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32)
    throw new CryptoError('bad-input', `HKDF length out of range: ${length}`);
  return hkdf(sha256, ikm, salt, info, length);
}

export function sha256Of(...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha512Of(...parts: Uint8Array[]): Uint8Array {
  const h = sha512.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** AES-256-GCM; output is ciphertext ‖ 16-byte tag. */
export function gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  checkLen('AES-256 key', key, 32);
  checkLen('GCM nonce', nonce, 12);
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/** Throws CryptoError('decrypt-failed') when the tag does not verify. */
export function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkLen('AES-256 key', key, 32);
  checkLen('GCM nonce', nonce, 12);
  if (sealed.length < 16) throw new CryptoError('decrypt-failed', 'sealed data shorter than its tag');
  try {
    return gcm(key, nonce, aad).decrypt(sealed);
  } catch {
    throw new CryptoError('decrypt-failed', 'authentication tag does not verify');
  }
}

/** Domain-separation labels: ASCII, fixed, never reused across purposes. */
export const label = (s: string): Uint8Array => new TextEncoder().encode(s);
