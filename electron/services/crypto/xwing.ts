// X-Wing (ML-KEM-768 + X25519, the capsule's L3 KEM) giving the same bytes as
// @noble/post-quantum's `ml_kem768_x25519`, at less cost on the main process:
//  - X25519 and the SHAKE-256 / SHA3-256 around it run in node:crypto (OpenSSL), not in
//    pure JS (each X25519 multiplication there costs about a millisecond);
//  - a recipient's decapsulation key (the 32-byte X-Wing seed) is expanded once — SHAKE-256,
//    ML-KEM-768 key generation, an X25519 base-point multiplication — and the result kept
//    until `forgetExpandedKeys()` (on lock), instead of on every message.
// Randomness comes from node:crypto. The ML-KEM-768 half stays noble's.
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { HybridKem } from '../../../shared/capsule/index.js';

/** X-Wing's domain separator, the six bytes `\.//^\`. */
const XWING_LABEL = Buffer.from('5c2e2f2f5e5c', 'hex');
const MLKEM_PUBLIC = 1184;
const MLKEM_CIPHERTEXT = 1088;
const X25519_BYTES = 32;
const SEED_BYTES = 32;

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
// Raw X25519 keys go in and out as JWK where they can: importing PKCS#8 / SPKI DER measured
// about eight times slower. The long-term decapsulation key goes in as DER once per unlock,
// in a buffer zeroed after (a JWK's base64 string could not be).
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** A one-message X25519 key (the encapsulation's ephemeral one). */
function ephemeralSecret(raw: Uint8Array): KeyObject {
  // `x` is required by the JWK import and not used for a private key: the public half is derived.
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(raw), x: '' }, format: 'jwk' });
}

function longTermSecret(raw: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_X25519, raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(raw) }, format: 'jwk' });
}

function publicBytes(secret: KeyObject): Buffer {
  return Buffer.from(secret.export({ format: 'jwk' }).x!, 'base64url');
}

/** X25519; throws for a low-order public key (all-zero result), as noble does. */
function x25519(secret: KeyObject, pub: Uint8Array): Buffer {
  return diffieHellman({ privateKey: secret, publicKey: x25519Public(pub) });
}

function combine(ssKem: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  const h = createHash('sha3-256').update(ssKem).update(ssX).update(ctX).update(pkX).update(XWING_LABEL);
  return new Uint8Array(h.digest());
}

interface Expanded {
  /** A copy of the seed it was expanded from (compared in constant time). */
  seed: Uint8Array;
  /** ML-KEM-768 decapsulation key (2400 bytes). */
  kemSecret: Uint8Array;
  x25519: KeyObject;
  x25519Public: Uint8Array;
}

/** Decapsulation keys expanded since the last lock (one per identity in use; a few at most). */
let expanded: Expanded[] = [];
const MAX_EXPANDED = 4;

function expand(seed: Uint8Array): Expanded {
  if (seed.length !== SEED_BYTES) throw new Error(`an X-Wing secret key is ${SEED_BYTES} bytes`);
  for (const e of expanded) if (timingSafeEqual(e.seed, seed)) return e;
  const wide = createHash('shake256', { outputLength: 96 }).update(seed).digest();
  try {
    const kemSeed = wide.subarray(0, 64);
    const { secretKey } = ml_kem768.keygen(kemSeed);
    const x = longTermSecret(wide.subarray(64, 96));
    const e: Expanded = { seed: seed.slice(), kemSecret: secretKey, x25519: x, x25519Public: publicBytes(x) };
    if (expanded.length >= MAX_EXPANDED) wipe(expanded.shift()!);
    expanded.push(e);
    return e;
  } finally {
    wide.fill(0);
  }
}

function wipe(e: Expanded): void {
  e.seed.fill(0);
  e.kemSecret.fill(0);
}

/** On lock: every expanded decapsulation key is zeroed and dropped. */
export function forgetExpandedKeys(): void {
  for (const e of expanded) wipe(e);
  expanded = [];
}

/** How many expanded keys are kept now (tests). */
export function expandedKeyCount(): number {
  return expanded.length;
}

export const xwing: HybridKem = {
  encapsulate(publicKey: Uint8Array) {
    if (publicKey.length !== MLKEM_PUBLIC + X25519_BYTES) throw new Error('an X-Wing public key is 1216 bytes');
    const pkX = publicKey.subarray(MLKEM_PUBLIC);
    const coins = randomBytes(32);
    const kem = ml_kem768.encapsulate(publicKey.subarray(0, MLKEM_PUBLIC), coins);
    coins.fill(0);
    const eph = randomBytes(X25519_BYTES);
    const ephKey = ephemeralSecret(eph);
    eph.fill(0);
    const ctX = publicBytes(ephKey);
    const ssX = x25519(ephKey, pkX);
    const sharedSecret = combine(kem.sharedSecret, ssX, ctX, pkX);
    kem.sharedSecret.fill(0);
    ssX.fill(0);
    const cipherText = new Uint8Array(MLKEM_CIPHERTEXT + X25519_BYTES);
    cipherText.set(kem.cipherText, 0);
    cipherText.set(ctX, MLKEM_CIPHERTEXT);
    return { cipherText, sharedSecret };
  },
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array) {
    if (cipherText.length !== MLKEM_CIPHERTEXT + X25519_BYTES) throw new Error('an X-Wing ciphertext is 1120 bytes');
    const e = expand(secretKey);
    const ctX = cipherText.subarray(MLKEM_CIPHERTEXT);
    const ssKem = ml_kem768.decapsulate(cipherText.subarray(0, MLKEM_CIPHERTEXT), e.kemSecret);
    const ssX = x25519(e.x25519, ctX);
    const ss = combine(ssKem, ssX, ctX, e.x25519Public);
    ssKem.fill(0);
    ssX.fill(0);
    return ss;
  },
};
