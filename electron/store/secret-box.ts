// AES-256-GCM sealing for data at rest. Each sealed value is bound to where it lives
// (the associated data), so a row copied onto another row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A sealed value: version (1 byte) ‖ nonce ‖ ciphertext ‖ tag. */
export const SEAL_VERSION = 1;
export const SEAL_NONCE_BYTES = 12;
export const SEAL_TAG_BYTES = 16;
const VERSION = SEAL_VERSION;
const NONCE = SEAL_NONCE_BYTES;
const TAG = SEAL_TAG_BYTES;

export class SealError extends Error {
  override readonly name = 'SealError';
  readonly code = 'seal_open_failed';
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('a SecretBox key is 32 bytes');
    this.#key = Buffer.from(key);
  }

  seal(plain: Uint8Array, aad: string): Buffer {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array, aad: string): Buffer {
    if (sealed.length < 1 + NONCE + TAG || sealed[0] !== VERSION) throw new SealError('sealed value is malformed');
    const nonce = sealed.subarray(1, 1 + NONCE);
    const tag = sealed.subarray(sealed.length - TAG);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE, sealed.length - TAG)), decipher.final()]);
    } catch {
      throw new SealError('sealed value does not open with this key');
    }
  }

  /**
   * Lends the key to `use`, which seals or opens in this format elsewhere (a worker thread,
   * for large values: see store/attachments.ts); `use` must not keep it.
   */
  lendKey<T>(use: (key: Uint8Array) => T): T {
    return use(this.#key);
  }

  /** Forget the key material held by this box. */
  destroy(): void {
    this.#key.fill(0);
  }
}
