// Key capsule: one per recipient, carrying what rebuilds a message from its stripes
// (stripe keys, permutation, length) sealed by the chosen security level, and always
// signed by the sender with ML-DSA-65 over the whole transcript.
//
// Binary layout (big-endian), version 1:
//   version u8 (1) ‖ level u8 (1..4) ‖ message id (16) ‖ timestamp ms u64 ‖
//   sender id (32) ‖ recipient id (32) ‖ k u8 ‖ p u8 ‖ level block ‖
//   sealed length u16 ‖ sealed ‖ ML-DSA-65 signature (3309)
// level block: L1/L2: count u8 (1..64), then count × (kme id: u8 length + UTF-8, key id: u8 length + UTF-8)
//              L3: X-Wing ciphertext (1120)      L4: ephemeral X25519 public key (32)
// sealed plaintext: length u64 ‖ permutation (k+p) ‖ stripe keys ((k+p) × 32)
// Everything before the sealed bytes is the AEAD associated data; the signature covers
// everything before it, with ML-DSA context "qmail-capsule-v1".
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { ByteReader, ByteWriter, TruncatedError, bytesEqual, concatBytes, constantTimeEqual, utf8 } from '../bytes/index.js';
import { CryptoError } from '../crypto/errors.js';
import { gcmOpen, gcmSeal, hkdfSha256, label, systemRng, type Rng } from '../crypto/primitives.js';
import { verifyMlDsa65 } from '../crypto/signature.js';
import {
  KEM_CIPHERTEXT_BYTES,
  SIGNATURE_BYTES,
  X25519_BYTES,
  identityId,
  type Identity,
  type PublicIdentity,
} from '../identity/identity.js';
import { checkLayout } from '../stripe/layout.js';
import { checkSecrets, MESSAGE_ID_BYTES, STRIPE_KEY_BYTES, type MessageSecrets } from '../stripe/message.js';
import type { QkdKey, QkdKeyRef, QkdKeySource } from './qkd.js';

export const CAPSULE_VERSION = 1;
export const MAX_CAPSULE_BYTES = 16384;
export type Level = 1 | 2 | 3 | 4;
export const LEVEL_NAMES: Record<Level, string> = {
  1: 'L1 quantum one-time pad',
  2: 'L2 QKD-aided AES-256-GCM',
  3: 'L3 post-quantum X-Wing',
  4: 'L4 classical X25519',
};
const SIG_CONTEXT = label('qmail-capsule-v1');
const ID_BYTES = 32;

export interface CapsuleHeader {
  version: number;
  level: Level;
  messageId: Uint8Array;
  timestamp: number;
  senderId: Uint8Array;
  recipientId: Uint8Array;
  k: number;
  p: number;
  keyRefs: QkdKeyRef[];
  kemCiphertext?: Uint8Array;
  ephemeralPublicKey?: Uint8Array;
}

export interface DecodedCapsule {
  header: CapsuleHeader;
  /** Bytes the AEAD binds (header up to and including the sealed length). */
  aad: Uint8Array;
  sealed: Uint8Array;
  /** Bytes the signature covers. */
  signed: Uint8Array;
  signature: Uint8Array;
}

function malformed(msg: string): never {
  throw new CryptoError('malformed-capsule', msg);
}

function encodeHeader(h: CapsuleHeader, sealedLength: number): Uint8Array {
  const w = new ByteWriter(1400)
    .u8(h.version)
    .u8(h.level)
    .bytes(h.messageId)
    .u64(BigInt(h.timestamp))
    .bytes(h.senderId)
    .bytes(h.recipientId)
    .u8(h.k)
    .u8(h.p);
  if (h.level === 1 || h.level === 2) {
    w.u8(h.keyRefs.length);
    for (const r of h.keyRefs) {
      const kme = utf8.encode(r.kmeId);
      const kid = utf8.encode(r.keyId);
      if (kme.length < 1 || kme.length > 64 || kid.length < 1 || kid.length > 64)
        throw new CryptoError('bad-input', 'QKD key and KME ids must be 1..64 bytes');
      w.u8(kme.length).bytes(kme).u8(kid.length).bytes(kid);
    }
  } else if (h.level === 3) w.bytes(h.kemCiphertext!);
  else w.bytes(h.ephemeralPublicKey!);
  return w.u16(sealedLength).finish();
}

export function decodeCapsule(bytes: Uint8Array): DecodedCapsule {
  if (!(bytes instanceof Uint8Array)) malformed('capsule must be bytes');
  if (bytes.length > MAX_CAPSULE_BYTES) malformed(`capsule larger than ${MAX_CAPSULE_BYTES} bytes`);
  try {
    const r = new ByteReader(bytes);
    const version = r.u8();
    if (version !== CAPSULE_VERSION) throw new CryptoError('unsupported-version', `capsule version ${version}`);
    const level = r.u8();
    if (level < 1 || level > 4) malformed(`unknown level ${level}`);
    const messageId = r.take(MESSAGE_ID_BYTES);
    const ts = r.u64();
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) malformed('timestamp out of range');
    const senderId = r.take(ID_BYTES);
    const recipientId = r.take(ID_BYTES);
    const k = r.u8();
    const p = r.u8();
    try {
      checkLayout({ k, p });
    } catch {
      malformed(`bad layout k=${k} p=${p}`);
    }
    const header: CapsuleHeader = {
      version,
      level: level as Level,
      messageId,
      timestamp: Number(ts),
      senderId,
      recipientId,
      k,
      p,
      keyRefs: [],
    };
    if (level === 1 || level === 2) {
      const count = r.u8();
      if (count < 1 || count > 64) malformed('QKD key count out of range');
      for (let i = 0; i < count; i++) {
        const ids: string[] = [];
        for (let f = 0; f < 2; f++) {
          const n = r.u8();
          if (n < 1 || n > 64) malformed('QKD id length out of range');
          try {
            ids.push(utf8.decode(r.bytes_(n)));
          } catch (e) {
            if (e instanceof TruncatedError) throw e;
            malformed('QKD id is not UTF-8');
          }
        }
        header.keyRefs.push({ kmeId: ids[0]!, keyId: ids[1]! });
      }
    } else if (level === 3) header.kemCiphertext = r.take(KEM_CIPHERTEXT_BYTES);
    else header.ephemeralPublicKey = r.take(X25519_BYTES);
    const sealedLength = r.u16();
    const aad = bytes.slice(0, r.offset);
    const expected = innerLength(k + p) + 16;
    if (sealedLength !== expected) malformed(`sealed part must be ${expected} bytes for this layout`);
    const sealed = r.take(sealedLength);
    const signed = bytes.slice(0, r.offset);
    const signature = r.take(SIGNATURE_BYTES);
    if (!r.done) malformed('trailing bytes after the signature');
    return { header, aad, sealed, signed, signature };
  } catch (e) {
    if (e instanceof TruncatedError) malformed('capsule truncated');
    throw e;
  }
}

const innerLength = (n: number) => 8 + n + n * STRIPE_KEY_BYTES;

function encodeInner(s: MessageSecrets): Uint8Array {
  const w = new ByteWriter(innerLength(s.perm.length)).u64(BigInt(s.length)).bytes(s.perm);
  for (const key of s.stripeKeys) w.bytes(key);
  return w.finish();
}

function decodeInner(inner: Uint8Array, h: CapsuleHeader): MessageSecrets {
  const n = h.k + h.p;
  const r = new ByteReader(inner);
  const length = r.u64();
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) malformed('message length out of range');
  const perm = r.take(n);
  const stripeKeys = Array.from({ length: n }, () => r.take(STRIPE_KEY_BYTES));
  try {
    return checkSecrets({ messageId: h.messageId, layout: { k: h.k, p: h.p }, length: Number(length), stripeKeys, perm });
  } catch {
    malformed('sealed secrets are inconsistent');
  }
}

/** Symmetric key and nonce for L2/L3/L4 from the level's shared secret, bound to the level and both parties. */
function aeadKey(level: Level, ikm: Uint8Array, h: CapsuleHeader, extra: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const info = concatBytes(label(`qmail/capsule/v1/L${level}`), h.senderId, h.recipientId, extra);
  const okm = hkdfSha256(ikm, h.messageId, info, 44);
  return { key: okm.slice(0, 32), nonce: okm.slice(32, 44) };
}

function concatKeys(keys: QkdKey[], refs: readonly QkdKeyRef[]): Uint8Array {
  if (keys.length !== refs.length || keys.some((k, i) => k.keyId !== refs[i]!.keyId))
    throw new CryptoError('qkd-keys-unavailable', 'key source returned different keys than named');
  return concatBytes(...keys.map((k) => k.key));
}

/**
 * L3's KEM, X-Wing (ML-KEM-768 + X25519): noble's `ml_kem768_x25519` unless a caller passes
 * another implementation giving the same bytes (the main process passes a faster one).
 */
export interface HybridKem {
  encapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/**
 * AES-256-GCM as L2–L4 seal the capsule's inner part (ciphertext ‖ 16-byte tag): noble's unless
 * a caller passes another giving the same bytes (the main process passes OpenSSL's). `open`
 * throws CryptoError('decrypt-failed') when the tag does not verify.
 */
export interface CapsuleAead {
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}
const nobleAead: CapsuleAead = { seal: gcmSeal, open: gcmOpen };

/** ML-DSA-65 signing with a context, wherever it runs (the main process runs it in worker threads). */
export type CapsuleSigner = (message: Uint8Array, secretKey: Uint8Array, context: Uint8Array) => Uint8Array | Promise<Uint8Array>;
/** ML-DSA-65 verification with a context: true only for a valid signature. */
export type CapsuleVerifier = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  context: Uint8Array,
) => boolean | Promise<boolean>;

export interface SealOptions {
  level: Level;
  sender: Identity;
  recipient: PublicIdentity;
  /** Required for L1 and L2: the sender's end of the QKD link to the recipient. */
  qkd?: QkdKeySource;
  /** Passed to the QKD source (e.g. the recipient's SAE id). */
  qkdPeer?: string;
  now?: () => number;
  rng?: Rng;
  /** L3's KEM (default noble's X-Wing). */
  kem?: HybridKem;
  /** The sender's signature (default noble's ML-DSA-65 in this thread). */
  sign?: CapsuleSigner;
  /** L2–L4's AES-256-GCM (default noble's). */
  aead?: CapsuleAead;
}

export async function sealCapsule(secrets: MessageSecrets, opts: SealOptions): Promise<Uint8Array> {
  checkSecrets(secrets);
  const { level } = opts;
  if (![1, 2, 3, 4].includes(level)) throw new CryptoError('bad-input', `unknown level ${String(level)}`);
  const rng = opts.rng ?? systemRng;
  const aead = opts.aead ?? nobleAead;
  const h: CapsuleHeader = {
    version: CAPSULE_VERSION,
    level,
    messageId: secrets.messageId,
    timestamp: Math.floor((opts.now ?? Date.now)()),
    senderId: identityId(opts.sender),
    recipientId: identityId(opts.recipient),
    k: secrets.layout.k,
    p: secrets.layout.p,
    keyRefs: [],
  };
  const inner = encodeInner(secrets);
  const sealedLength = inner.length + 16;
  let sealed: Uint8Array;
  let aad: Uint8Array;
  if (level === 1 || level === 2) {
    if (!opts.qkd) throw new CryptoError('qkd-keys-unavailable', `level ${level} needs a QKD key source`);
    const need = level === 1 ? inner.length + 32 : 32; // L1: pad + one-time Poly1305 key
    const keys = await opts.qkd.getEncKeys(need * 8, opts.qkdPeer);
    h.keyRefs = keys.map(({ keyId, kmeId }) => ({ keyId, kmeId }));
    const material = concatKeys(keys, h.keyRefs);
    if (material.length < need) throw new CryptoError('qkd-keys-unavailable', `QKD source gave ${material.length} bytes, need ${need}`);
    aad = encodeHeader(h, sealedLength);
    if (level === 1) {
      const ct = new Uint8Array(inner.length);
      for (let i = 0; i < inner.length; i++) ct[i] = inner[i]! ^ material[i]!;
      sealed = concatBytes(ct, poly1305(concatBytes(aad, ct), material.subarray(inner.length, inner.length + 32)));
    } else {
      const { key, nonce } = aeadKey(2, material, h, new Uint8Array(0));
      sealed = aead.seal(key, nonce, inner, aad);
    }
  } else if (level === 3) {
    const { cipherText, sharedSecret } = (opts.kem ?? ml_kem768_x25519).encapsulate(opts.recipient.kemPublicKey);
    h.kemCiphertext = cipherText;
    aad = encodeHeader(h, sealedLength);
    const { key, nonce } = aeadKey(3, sharedSecret, h, cipherText);
    sealed = aead.seal(key, nonce, inner, aad);
  } else {
    const eph = rng(32);
    h.ephemeralPublicKey = x25519.getPublicKey(eph);
    const ss = x25519.getSharedSecret(eph, opts.recipient.x25519PublicKey);
    aad = encodeHeader(h, sealedLength);
    const { key, nonce } = aeadKey(4, ss, h, concatBytes(h.ephemeralPublicKey, opts.recipient.x25519PublicKey));
    sealed = aead.seal(key, nonce, inner, aad);
  }
  const signed = concatBytes(aad, sealed);
  const signature = opts.sign
    ? await opts.sign(signed, opts.sender.signSecretKey, SIG_CONTEXT)
    : ml_dsa65.sign(signed, opts.sender.signSecretKey, { context: SIG_CONTEXT });
  return concatBytes(signed, signature);
}

export interface OpenOptions {
  recipient: Identity;
  /** The claimed sender's public identity (from the directory or the contact list). */
  sender: PublicIdentity;
  /** Refuse capsules of any other level (the level the recipient's policy expects). */
  expectLevel?: Level;
  /** Required for L1 and L2: the recipient's end of the QKD link. */
  qkd?: QkdKeySource;
  qkdPeer?: string;
  /** L3's KEM (default noble's X-Wing). */
  kem?: HybridKem;
  /** L2–L4's AES-256-GCM (default noble's). */
  aead?: CapsuleAead;
}

export interface OpenedCapsule {
  secrets: MessageSecrets;
  level: Level;
  timestamp: number;
  senderId: Uint8Array;
}

/**
 * Checks, in order: structure, sender, ML-DSA-65 signature, recipient, level, without
 * unsealing anything (no QKD key is spent). Returns the capsule, every header field now
 * vouched for by the sender's signature.
 */
export function verifyCapsule(bytes: Uint8Array, opts: VerifyOptions): DecodedCapsule {
  const d = decodeFrom(bytes, opts);
  // Remembered once verified: openCapsule checks again the capsule verifyCapsule just passed.
  return checkRest(d, verifyMlDsa65(d.signature, d.signed, opts.sender.signPublicKey, SIG_CONTEXT), opts);
}

/**
 * verifyCapsule with the signature checked by `verify` (the main process checks it in a
 * worker thread, then remembers the success so openCapsule does not check it again).
 */
export async function verifyCapsuleWith(bytes: Uint8Array, opts: VerifyOptions, verify: CapsuleVerifier): Promise<DecodedCapsule> {
  const d = decodeFrom(bytes, opts);
  return checkRest(d, await verify(d.signature, d.signed, opts.sender.signPublicKey, SIG_CONTEXT), opts);
}

type VerifyOptions = Pick<OpenOptions, 'sender' | 'expectLevel'> & { recipient: PublicIdentity };

function decodeFrom(bytes: Uint8Array, opts: VerifyOptions): DecodedCapsule {
  const d = decodeCapsule(bytes);
  if (!bytesEqual(d.header.senderId, identityId(opts.sender))) throw new CryptoError('wrong-sender', 'capsule names a different sender');
  return d;
}

function checkRest(d: DecodedCapsule, signatureOk: boolean, opts: VerifyOptions): DecodedCapsule {
  const h = d.header;
  if (!signatureOk) throw new CryptoError('bad-signature', 'sender signature does not verify');
  if (!bytesEqual(h.recipientId, identityId(opts.recipient)))
    throw new CryptoError('wrong-recipient', 'capsule was sealed for another recipient');
  if (opts.expectLevel !== undefined && h.level !== opts.expectLevel)
    throw new CryptoError('level-mismatch', `expected level ${opts.expectLevel}, capsule says ${h.level}`);
  return d;
}

/** verifyCapsule, and only then unseals. */
export async function openCapsule(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedCapsule> {
  const d = verifyCapsule(bytes, opts);
  const h = d.header;
  const aead = opts.aead ?? nobleAead;
  let inner: Uint8Array;
  if (h.level === 1 || h.level === 2) {
    if (!opts.qkd) throw new CryptoError('qkd-keys-unavailable', `level ${h.level} needs a QKD key source`);
    const material = concatKeys(await opts.qkd.getDecKeys(h.keyRefs, opts.qkdPeer), h.keyRefs);
    const n = d.sealed.length - 16;
    if (h.level === 1) {
      if (material.length < n + 32) throw new CryptoError('qkd-keys-unavailable', 'not enough QKD key material for this capsule');
      const ct = d.sealed.subarray(0, n);
      const tag = poly1305(concatBytes(d.aad, ct), material.subarray(n, n + 32));
      if (!constantTimeEqual(tag, d.sealed.subarray(n))) throw new CryptoError('decrypt-failed', 'one-time MAC does not verify');
      inner = new Uint8Array(n);
      for (let i = 0; i < n; i++) inner[i] = ct[i]! ^ material[i]!;
    } else {
      const { key, nonce } = aeadKey(2, material, h, new Uint8Array(0));
      inner = aead.open(key, nonce, d.sealed, d.aad);
    }
  } else if (h.level === 3) {
    const ss = (opts.kem ?? ml_kem768_x25519).decapsulate(h.kemCiphertext!, opts.recipient.kemSecretKey);
    const { key, nonce } = aeadKey(3, ss, h, h.kemCiphertext!);
    inner = aead.open(key, nonce, d.sealed, d.aad);
  } else {
    let ss: Uint8Array;
    try {
      ss = x25519.getSharedSecret(opts.recipient.x25519SecretKey, h.ephemeralPublicKey!);
    } catch {
      throw new CryptoError('decrypt-failed', 'invalid ephemeral key');
    }
    const { key, nonce } = aeadKey(4, ss, h, concatBytes(h.ephemeralPublicKey!, opts.recipient.x25519PublicKey));
    inner = aead.open(key, nonce, d.sealed, d.aad);
  }
  return { secrets: decodeInner(inner, h), level: h.level, timestamp: h.timestamp, senderId: h.senderId };
}
