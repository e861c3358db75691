// Encrypted identity file. Layout (big-endian):
//   "QMIX" ‖ version u8 (1) ‖ kdf u8 (1 = Argon2id) ‖ memory KiB u32 ‖ iterations u32 ‖
//   parallelism u8 ‖ salt (16) ‖ nonce (12) ‖ AES-256-GCM(seed ‖ flags u8 ‖ [address 7])
// The header is the GCM associated data, so a tampered parameter fails like a wrong
// passphrase. Parameters are bounded before any work so a hostile file cannot demand
// gigabytes of memory or hours of hashing.
import { argon2id } from 'hash-wasm';
import { ByteReader, ByteWriter, TruncatedError, bytesEqual, utf8 } from '../bytes/index.js';
import { CryptoError } from '../crypto/errors.js';
import { gcmOpen, gcmSeal, label, systemRng, type Rng } from '../crypto/primitives.js';
import { ADDRESS_BYTES, checkAddress, identityFromSeed, SEED_BYTES, type Identity } from './identity.js';

export interface KdfParams {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP-style defaults: 64 MiB, 3 passes. */
export const DEFAULT_KDF: KdfParams = { memoryKiB: 65536, iterations: 3, parallelism: 1 };
const LIMITS = { memoryKiB: [8, 1 << 21], iterations: [1, 64], parallelism: [1, 16] } as const;

const MAGIC = label('QMIX');
const VERSION = 1;
const KDF_ARGON2ID = 1;
const HEADER_BYTES = 4 + 1 + 1 + 4 + 4 + 1 + 16 + 12;

function checkParams(p: KdfParams): void {
  for (const [k, [lo, hi]] of Object.entries(LIMITS) as [keyof KdfParams, readonly [number, number]][]) {
    const v = p[k];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new CryptoError('malformed-export', `${k} out of range: ${v}`);
  }
  if (p.memoryKiB < 8 * p.parallelism) throw new CryptoError('malformed-export', 'memory below 8 KiB per lane');
}

async function deriveKey(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<Uint8Array> {
  return argon2id({
    password: utf8.encode(passphrase.normalize('NFC')),
    salt,
    memorySize: p.memoryKiB,
    iterations: p.iterations,
    parallelism: p.parallelism,
    hashLength: 32,
    outputType: 'binary',
  });
}

export async function exportIdentity(id: Identity, passphrase: string, opts: { kdf?: KdfParams; rng?: Rng } = {}): Promise<Uint8Array> {
  const kdf = opts.kdf ?? DEFAULT_KDF;
  checkParams(kdf);
  const rng = opts.rng ?? systemRng;
  const salt = rng(16);
  const nonce = rng(12);
  const header = new ByteWriter(HEADER_BYTES)
    .bytes(MAGIC)
    .u8(VERSION)
    .u8(KDF_ARGON2ID)
    .u32(kdf.memoryKiB)
    .u32(kdf.iterations)
    .u8(kdf.parallelism)
    .bytes(salt)
    .bytes(nonce)
    .finish();
  const inner = new ByteWriter(40).bytes(id.seed).u8(id.address ? 1 : 0);
  if (id.address) inner.bytes(id.address);
  const key = await deriveKey(passphrase, salt, kdf);
  return new ByteWriter(HEADER_BYTES + 56)
    .bytes(header)
    .bytes(gcmSeal(key, nonce, inner.finish(), header))
    .finish();
}

export async function importIdentity(file: Uint8Array, passphrase: string): Promise<Identity> {
  let kdf: KdfParams, salt: Uint8Array, nonce: Uint8Array, sealed: Uint8Array;
  try {
    if (file.length > 1024) throw new CryptoError('malformed-export', 'identity file too large');
    const r = new ByteReader(file);
    if (!bytesEqual(r.bytes_(4), MAGIC)) throw new CryptoError('malformed-export', 'not a QMail identity file');
    const version = r.u8();
    if (version !== VERSION) throw new CryptoError('unsupported-version', `identity file version ${version}`);
    if (r.u8() !== KDF_ARGON2ID) throw new CryptoError('malformed-export', 'unknown key derivation');
    kdf = { memoryKiB: r.u32(), iterations: r.u32(), parallelism: r.u8() };
    salt = r.take(16);
    nonce = r.take(12);
    sealed = r.rest();
  } catch (e) {
    if (e instanceof TruncatedError) throw new CryptoError('malformed-export', 'identity file truncated');
    throw e;
  }
  checkParams(kdf);
  if (sealed.length !== SEED_BYTES + 1 + 16 && sealed.length !== SEED_BYTES + 1 + ADDRESS_BYTES + 16)
    throw new CryptoError('malformed-export', 'identity payload has the wrong size');
  const key = await deriveKey(passphrase, salt, kdf);
  let inner: Uint8Array;
  try {
    inner = gcmOpen(key, nonce, sealed, file.subarray(0, HEADER_BYTES));
  } catch {
    throw new CryptoError('wrong-passphrase', 'wrong passphrase, or the file was altered');
  }
  const flags = inner[SEED_BYTES]!;
  if (flags > 1 || inner.length !== SEED_BYTES + 1 + (flags ? ADDRESS_BYTES : 0))
    throw new CryptoError('malformed-export', 'identity payload flags');
  return identityFromSeed(inner.subarray(0, SEED_BYTES), flags ? checkAddress(inner.slice(SEED_BYTES + 1)) : undefined);
}
