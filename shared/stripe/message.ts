// A whole message in memory, the pure reference path: stripe → parity → per-stripe
// AES-256-CTR → HMAC-SHA-256 (encrypt-then-MAC) → CRC32, stripes shuffled into slots.
// electron/services/crypto streams the very same format through node:crypto.
//
// Stored stripe object (what a server holds, one per slot):
//   ciphertext (stripeLength bytes) ‖ tag (32, HMAC-SHA-256) ‖ crc32 (4, big-endian, over ciphertext ‖ tag)
// No header: nothing on a server says which logical stripe it holds, or for whom.
import { ByteWriter, concatBytes, constantTimeEqual, crc32 } from '../bytes/index.js';
import { CryptoError } from '../crypto/errors.js';
import { hkdfSha256, label, pureBackend, systemRng, type Rng, type SymmetricBackend } from '../crypto/primitives.js';
import { stripeInto, unstripeInto } from './interleave.js';
import { checkLayout, stripeLength, type Layout } from './layout.js';
import { computeParity, recoverData } from './parity.js';

export const TAG_BYTES = 32;
export const TRAILER_BYTES = TAG_BYTES + 4;
export const STRIPE_KEY_BYTES = 32;
export const MESSAGE_ID_BYTES = 16;
/** Largest message the format describes (a u64 in the capsule; JS numbers stay exact below 2^53). */
export const MAX_MESSAGE_BYTES = Number.MAX_SAFE_INTEGER;

/** Everything a recipient needs to rebuild a message from its stripes; travels only inside the capsule. */
export interface MessageSecrets {
  messageId: Uint8Array;
  layout: Layout;
  /** Plaintext length in bytes. */
  length: number;
  /** One fresh 256-bit key per logical stripe (k data then p parity). */
  stripeKeys: Uint8Array[];
  /** perm[slot] = logical stripe index stored in that slot. */
  perm: Uint8Array;
}

export interface StripeSubkeys {
  encKey: Uint8Array;
  macKey: Uint8Array;
  iv: Uint8Array;
}

/** Uniform integer in [0, n) from an Rng, by rejection. */
function uniform(rng: Rng, n: number): number {
  const limit = 256 - (256 % n);
  for (;;) {
    const b = rng(1)[0]!;
    if (b < limit) return b % n;
  }
}

export function randomPermutation(n: number, rng: Rng = systemRng): Uint8Array {
  const perm = Uint8Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = uniform(rng, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

export function checkSecrets(s: MessageSecrets): MessageSecrets {
  const { k, p } = checkLayout(s.layout);
  const n = k + p;
  if (!(s.messageId instanceof Uint8Array) || s.messageId.length !== MESSAGE_ID_BYTES)
    throw new CryptoError('bad-input', 'message id must be 16 bytes');
  if (!Number.isSafeInteger(s.length) || s.length < 0) throw new CryptoError('bad-input', 'message length out of range');
  if (s.stripeKeys.length !== n || s.stripeKeys.some((key) => !(key instanceof Uint8Array) || key.length !== STRIPE_KEY_BYTES)) {
    throw new CryptoError('bad-input', `need ${n} stripe keys of 32 bytes`);
  }
  if (s.perm.length !== n) throw new CryptoError('bad-input', 'permutation length does not match the layout');
  const seen = new Uint8Array(n);
  for (const x of s.perm) {
    if (x >= n || seen[x]) throw new CryptoError('bad-input', 'not a permutation');
    seen[x] = 1;
  }
  return s;
}

export function newMessageSecrets(layout: Layout, length: number, rng: Rng = systemRng): MessageSecrets {
  const { k, p } = checkLayout(layout);
  if (!Number.isSafeInteger(length) || length < 0) throw new CryptoError('bad-input', 'message length out of range');
  return {
    messageId: rng(MESSAGE_ID_BYTES),
    layout: { k, p },
    length,
    stripeKeys: Array.from({ length: k + p }, () => rng(STRIPE_KEY_BYTES)),
    perm: randomPermutation(k + p, rng),
  };
}

const SUBKEY_INFO = label('qmail/stripe/v1');

/** encKey ‖ macKey ‖ iv = HKDF-SHA-256(stripe key, salt = message id, info = label ‖ index). */
export function stripeSubkeys(secrets: MessageSecrets, index: number): StripeSubkeys {
  const okm = hkdfSha256(secrets.stripeKeys[index]!, secrets.messageId, concatBytes(SUBKEY_INFO, Uint8Array.of(index)), 80);
  const iv = okm.slice(64, 80);
  iv.fill(0, 8); // low 64 bits are the block counter: never wraps, easy to seek
  return { encKey: okm.slice(0, 32), macKey: okm.slice(32, 64), iv };
}

/** Bytes authenticated ahead of each stripe's ciphertext. */
export function macHeader(secrets: MessageSecrets, index: number): Uint8Array {
  return new ByteWriter(40)
    .bytes(label('QMS1'))
    .bytes(secrets.messageId)
    .u8(index)
    .u8(secrets.layout.k)
    .u8(secrets.layout.p)
    .u64(BigInt(secrets.length))
    .finish();
}

export function stripeObjectLength(secrets: MessageSecrets): number {
  return stripeLength(secrets.length, secrets.layout.k) + TRAILER_BYTES;
}

function writeTrailer(obj: Uint8Array, at: number, tag: Uint8Array): void {
  obj.set(tag, at);
  const c = crc32(obj.subarray(0, at + TAG_BYTES));
  obj[at + 32] = c >>> 24;
  obj[at + 33] = (c >>> 16) & 255;
  obj[at + 34] = (c >>> 8) & 255;
  obj[at + 35] = c & 255;
}

export interface EncryptOptions {
  rng?: Rng;
  backend?: SymmetricBackend;
  /** Supply to reproduce a run (tests, the stream path's comparison). */
  secrets?: MessageSecrets;
}

export interface EncryptedMessage {
  secrets: MessageSecrets;
  /** slots[slot] = stored stripe object for server `slot`. */
  slots: Uint8Array[];
}

export function encryptMessage(plaintext: Uint8Array, layout: Layout, opts: EncryptOptions = {}): EncryptedMessage {
  const { k, p } = checkLayout(layout);
  const secrets = checkSecrets(opts.secrets ?? newMessageSecrets({ k, p }, plaintext.length, opts.rng));
  if (secrets.length !== plaintext.length || secrets.layout.k !== k || secrets.layout.p !== p)
    throw new CryptoError('bad-input', 'secrets do not describe this message');
  const backend = opts.backend ?? pureBackend;
  const S = stripeLength(plaintext.length, k);
  const stride = (S + 3) & ~3; // word-aligned stripes for the parity kernels
  const plain = new Uint8Array((k + p) * stride);
  stripeInto(plaintext, 0, S, k, plain, stride, 0);
  const view = (i: number) => plain.subarray(i * stride, i * stride + S);
  if (p > 0)
    computeParity(
      { k, p },
      [...Array(k).keys()].map(view),
      [...Array(p).keys()].map((i) => view(k + i)),
    );
  const logical = [...Array(k + p).keys()].map((i) => {
    const { encKey, macKey, iv } = stripeSubkeys(secrets, i);
    const obj = new Uint8Array(S + TRAILER_BYTES);
    const ct = S > 0 ? backend.aes256Ctr(encKey, iv, view(i)) : new Uint8Array(0);
    obj.set(ct, 0);
    writeTrailer(obj, S, backend.hmacSha256(macKey, macHeader(secrets, i), ct));
    return obj;
  });
  return { secrets, slots: [...secrets.perm].map((i) => logical[i]!) };
}

export interface StripeProblem {
  slot: number;
  reason: 'missing' | 'bad-length' | 'crc-mismatch' | 'mac-mismatch';
}

export interface DecryptedMessage {
  plaintext: Uint8Array;
  /** Slots that were absent or failed a check and were rebuilt from parity instead. */
  problems: StripeProblem[];
}

/**
 * Checks each present stripe object (length, CRC32, then HMAC in constant time) before
 * decrypting anything; rebuilds from parity when up to p stripes are missing or damaged.
 * Throws CryptoError('too-many-missing') when fewer than k stripes survive.
 */
export function decryptMessage(
  slots: readonly (Uint8Array | undefined | null)[],
  secrets: MessageSecrets,
  backend: SymmetricBackend = pureBackend,
): DecryptedMessage {
  checkSecrets(secrets);
  const { k, p } = secrets.layout;
  const n = k + p;
  if (slots.length > n) throw new CryptoError('bad-input', `more slots (${slots.length}) than stripes (${n})`);
  const S = stripeLength(secrets.length, k);
  const problems: StripeProblem[] = [];
  const good: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
  const keys = new Array<StripeSubkeys>(n);
  for (let slot = 0; slot < n; slot++) {
    const obj = slots[slot];
    const idx = secrets.perm[slot]!;
    if (!obj) {
      problems.push({ slot, reason: 'missing' });
      continue;
    }
    if (obj.length !== S + TRAILER_BYTES) {
      problems.push({ slot, reason: 'bad-length' });
      continue;
    }
    const c = crc32(obj.subarray(0, S + TAG_BYTES));
    const stored = ((obj[S + 32]! << 24) >>> 0) + ((obj[S + 33]! << 16) | (obj[S + 34]! << 8) | obj[S + 35]!);
    if (c !== stored) {
      problems.push({ slot, reason: 'crc-mismatch' });
      continue;
    }
    keys[idx] = stripeSubkeys(secrets, idx);
    const ct = obj.subarray(0, S);
    const tag = backend.hmacSha256(keys[idx].macKey, macHeader(secrets, idx), ct);
    if (!constantTimeEqual(tag, obj.subarray(S, S + TAG_BYTES))) {
      problems.push({ slot, reason: 'mac-mismatch' });
      continue;
    }
    good[idx] = ct;
  }
  const usable = good.filter(Boolean).length;
  if (usable < k) {
    throw new CryptoError(
      'too-many-missing',
      `cannot rebuild the message: need ${k} of ${n} stripes, ${usable} usable (${problems.map((x) => `slot ${x.slot} ${x.reason}`).join('; ')})`,
    );
  }
  // Decrypt only what recovery needs: present data stripes, plus parity when data is missing.
  const missingData = good.slice(0, k).filter((x) => !x).length;
  const plainStripes: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
  let parityUsed = 0;
  for (let i = 0; i < n; i++) {
    const ct = good[i];
    if (!ct) continue;
    if (i >= k) {
      if (parityUsed >= missingData) continue;
      parityUsed++;
    }
    const sk = keys[i]!;
    plainStripes[i] = S > 0 ? backend.aes256Ctr(sk.encKey, sk.iv, ct) : new Uint8Array(0);
  }
  const data = recoverData({ k, p }, plainStripes);
  const joined = new Uint8Array(k * S);
  for (let j = 0; j < k; j++) joined.set(data[j]!, j * S);
  const out = new Uint8Array(k * S + 1);
  unstripeInto(joined, 0, S, S, k, out, 0);
  return { plaintext: out.slice(0, secrets.length), problems };
}
