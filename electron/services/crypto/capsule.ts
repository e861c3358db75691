// The key capsule (shared/capsule) as the main process seals, checks and opens it: the same
// bytes, with L3's X-Wing from xwing.ts (OpenSSL's X25519, the decapsulation key expanded
// once per unlock), the ML-DSA-65 signature made and checked in worker threads
// (signatures.ts) and the inner part's AES-256-GCM in OpenSSL (noble's sets up its key and
// GHASH tables in JS on every capsule: 1.5–2 ms a message on a loaded machine). Mail and the
// bench use these.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  openCapsule as openWith,
  sealCapsule as sealWith,
  verifyCapsuleWith,
  type DecodedCapsule,
  type OpenOptions,
  type OpenedCapsule,
  type SealOptions,
  type CapsuleAead,
} from '../../../shared/capsule/index.js';
import { CryptoError } from '../../../shared/crypto/errors.js';
import type { PublicIdentity } from '../../../shared/identity/index.js';
import type { MessageSecrets } from '../../../shared/stripe/message.js';
import { signMlDsa65, verifyMlDsa65Off } from './signatures.js';
import { xwing } from './xwing.js';

export { forgetExpandedKeys } from './xwing.js';

const TAG = 16;

/** AES-256-GCM in OpenSSL: the same bytes as shared/crypto's gcmSeal / gcmOpen. */
export const opensslAead: CapsuleAead = {
  seal(key, nonce, plaintext, aad) {
    if (key.length !== 32 || nonce.length !== 12) throw new CryptoError('bad-input', 'AES-256-GCM takes a 32-byte key and a 12-byte nonce');
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const head = c.update(plaintext);
    const tail = c.final();
    const out = new Uint8Array(head.length + tail.length + TAG);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(c.getAuthTag(), head.length + tail.length);
    return out;
  },
  open(key, nonce, sealed, aad) {
    if (key.length !== 32 || nonce.length !== 12) throw new CryptoError('bad-input', 'AES-256-GCM takes a 32-byte key and a 12-byte nonce');
    if (sealed.length < TAG) throw new CryptoError('decrypt-failed', 'sealed data shorter than its tag');
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - TAG));
      const head = d.update(sealed.subarray(0, sealed.length - TAG));
      const tail = d.final();
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      head.fill(0);
      return out;
    } catch {
      throw new CryptoError('decrypt-failed', 'authentication tag does not verify');
    }
  },
};

export function sealCapsule(secrets: MessageSecrets, opts: SealOptions): Promise<Uint8Array> {
  return sealWith(secrets, { kem: xwing, sign: signMlDsa65, aead: opensslAead, ...opts });
}

/** shared/capsule's verifyCapsule, the signature checked in a worker thread. */
export function verifyCapsule(
  bytes: Uint8Array,
  opts: Pick<OpenOptions, 'sender' | 'expectLevel'> & { recipient: PublicIdentity },
): Promise<DecodedCapsule> {
  return verifyCapsuleWith(bytes, opts, verifyMlDsa65Off);
}

export async function openCapsule(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedCapsule> {
  // Checked first off the main thread; openCapsule's own check then finds it remembered.
  await verifyCapsule(bytes, opts);
  return openWith(bytes, { kem: xwing, aead: opensslAead, ...opts });
}
