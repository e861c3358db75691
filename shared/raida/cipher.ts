import { ctr } from '@noble/ciphers/aes.js';
import { RaidaError } from './errors.js';
import { Status } from './status.js';

/**
 * AES-128-CTR as the RAIDA uses it: key = the 16-byte AN (or locker key), initial counter
 * block = the 8-byte header nonce followed by 8 zero bytes, counter incremented as a
 * 128-bit big-endian integer. Encryption and decryption are the same operation.
 */
export function raidaCtr(key: Uint8Array, nonce8: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 16) throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, `AES-128 key must be 16 bytes, got ${key.length}`);
  if (nonce8.length !== 8) throw new RaidaError('bad_nonce', Status.INVALID_ENCRYPTION, `nonce must be 8 bytes, got ${nonce8.length}`);
  if (data.length === 0) return new Uint8Array(0);
  const iv = new Uint8Array(16);
  iv.set(nonce8, 0);
  return ctr(key, iv).encrypt(data);
}
