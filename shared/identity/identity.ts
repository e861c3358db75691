// A QMail identity: one 32-byte seed from which every key pair is derived (so a recovery
// phrase restores everything), plus the 7-byte mailbox address a directory assigns later.
//   ML-DSA-65 signing key   seed_dsa    = HKDF(seed, salt "qmail-identity-v1", info "ml-dsa-65", 32)
//   X-Wing encryption key   seed_xwing  = HKDF(seed, …, info "x-wing", 32)   (ML-KEM-768 + X25519)
//   X25519 key for L4       secret      = HKDF(seed, …, info "x25519", 32)
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { ByteReader, ByteWriter, TruncatedError, bytesEqual } from '../bytes/index.js';
import { CryptoError } from '../crypto/errors.js';
import { hkdfSha256, label, sha256Of, sha512Of, systemRng, type Rng } from '../crypto/primitives.js';

export const SIGN_PUBLIC_BYTES = 1952;
export const SIGN_SECRET_BYTES = 4032;
export const SIGNATURE_BYTES = 3309;
export const KEM_PUBLIC_BYTES = 1216;
export const KEM_CIPHERTEXT_BYTES = 1120;
export const X25519_BYTES = 32;
export const ADDRESS_BYTES = 7;
export const SEED_BYTES = 32;

export interface PublicIdentity {
  signPublicKey: Uint8Array;
  kemPublicKey: Uint8Array;
  x25519PublicKey: Uint8Array;
  /** 7-byte QMail mailbox address (coin type 00 06, denomination, serial), once registered. */
  address?: Uint8Array;
}

export interface Identity extends PublicIdentity {
  seed: Uint8Array;
  signSecretKey: Uint8Array;
  kemSecretKey: Uint8Array;
  x25519SecretKey: Uint8Array;
}

export function checkAddress(address: Uint8Array): Uint8Array {
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_BYTES || address[0] !== 0x00 || address[1] !== 0x06) {
    throw new CryptoError('bad-address', 'a QMail address is 7 bytes starting with coin type 00 06');
  }
  return address;
}

const SALT = label('qmail-identity-v1');

export function identityFromSeed(seed: Uint8Array, address?: Uint8Array): Identity {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new CryptoError('bad-input', 'identity seed must be 32 bytes');
  const sign = ml_dsa65.keygen(hkdfSha256(seed, SALT, label('ml-dsa-65'), 32));
  const kem = ml_kem768_x25519.keygen(hkdfSha256(seed, SALT, label('x-wing'), 32));
  const xs = hkdfSha256(seed, SALT, label('x25519'), 32);
  const id: Identity = {
    seed: seed.slice(),
    signPublicKey: sign.publicKey,
    signSecretKey: sign.secretKey,
    kemPublicKey: kem.publicKey,
    kemSecretKey: kem.secretKey,
    x25519PublicKey: x25519.getPublicKey(xs),
    x25519SecretKey: xs,
  };
  if (address) id.address = checkAddress(address).slice();
  return id;
}

export function generateIdentity(rng: Rng = systemRng): Identity {
  return identityFromSeed(rng(SEED_BYTES));
}

export function publicIdentity(id: PublicIdentity): PublicIdentity {
  const pub: PublicIdentity = { signPublicKey: id.signPublicKey, kemPublicKey: id.kemPublicKey, x25519PublicKey: id.x25519PublicKey };
  if (id.address) pub.address = id.address;
  return pub;
}

/** 32-byte identity id: SHA-256 over the three public keys (the address is bound separately by the directory). */
export function identityId(id: PublicIdentity): Uint8Array {
  return sha256Of(label('qmail-identity-id-v1'), id.signPublicKey, id.kemPublicKey, id.x25519PublicKey);
}

export function sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return bytesEqual(identityId(a), identityId(b));
}

const PUB_MAGIC = label('QMPI');
const PUB_VERSION = 1;

/** "QMPI" ‖ version ‖ flags (bit 0: address present) ‖ ML-DSA pk ‖ X-Wing pk ‖ X25519 pk ‖ [address]. */
export function encodePublicIdentity(id: PublicIdentity): Uint8Array {
  const w = new ByteWriter(3300)
    .bytes(PUB_MAGIC)
    .u8(PUB_VERSION)
    .u8(id.address ? 1 : 0);
  w.bytes(id.signPublicKey).bytes(id.kemPublicKey).bytes(id.x25519PublicKey);
  if (id.address) w.bytes(checkAddress(id.address));
  return w.finish();
}

export function decodePublicIdentity(bytes: Uint8Array): PublicIdentity {
  try {
    const r = new ByteReader(bytes);
    if (!bytesEqual(r.bytes_(4), PUB_MAGIC)) throw new CryptoError('malformed-identity', 'not a QMail public identity');
    const version = r.u8();
    if (version !== PUB_VERSION) throw new CryptoError('unsupported-version', `public identity version ${version}`);
    const flags = r.u8();
    if (flags & ~1) throw new CryptoError('malformed-identity', 'unknown flags');
    const id: PublicIdentity = {
      signPublicKey: r.take(SIGN_PUBLIC_BYTES),
      kemPublicKey: r.take(KEM_PUBLIC_BYTES),
      x25519PublicKey: r.take(X25519_BYTES),
    };
    if (flags & 1) id.address = checkAddress(r.take(ADDRESS_BYTES));
    if (!r.done) throw new CryptoError('malformed-identity', 'trailing bytes');
    return id;
  } catch (e) {
    if (e instanceof TruncatedError) throw new CryptoError('malformed-identity', 'public identity truncated');
    throw e;
  }
}

// Fingerprints people read aloud. One identity's fingerprint is 30 decimal digits in six
// groups of five: h = SHA-512 iterated 1024 times over ("qmail-fingerprint-v1" ‖ identity
// id), then each of the first six 5-byte chunks of h, as a 40-bit integer mod 100000. The
// iteration makes searching for a look-alike key ~1024× costlier. The safety number for a
// pair is the two fingerprints in ascending order (60 digits), so both sides see the same.
const FP_ITERATIONS = 1024;

/** Fingerprints already computed, by identity id: each costs 1,024 hashes and every message shows one. */
const fingerprints = new Map<string, string>();

export function fingerprint(id: PublicIdentity): string {
  const iid = identityId(id);
  const memo = String.fromCharCode(...iid);
  const known = fingerprints.get(memo);
  if (known !== undefined) return known;
  let h = sha512Of(label('qmail-fingerprint-v1'), iid);
  for (let i = 1; i < FP_ITERATIONS; i++) h = sha512Of(h, iid);
  const groups: string[] = [];
  for (let g = 0; g < 6; g++) {
    let v = 0;
    for (let b = 0; b < 5; b++) v = v * 256 + h[g * 5 + b]!;
    groups.push(String(v % 100000).padStart(5, '0'));
  }
  if (fingerprints.size >= 256) fingerprints.delete(fingerprints.keys().next().value!);
  fingerprints.set(memo, groups.join(' '));
  return groups.join(' ');
}

export function safetyNumber(a: PublicIdentity, b: PublicIdentity): string {
  const fa = fingerprint(a);
  const fb = fingerprint(b);
  return fa <= fb ? `${fa} ${fb}` : `${fb} ${fa}`;
}
