// node:crypto (OpenSSL, AES-NI/SHA-NI) implementation of the pure SymmetricBackend.
import { createCipheriv, createHmac } from 'node:crypto';
import { CryptoError } from '../../../shared/crypto/errors.js';
import type { SymmetricBackend } from '../../../shared/crypto/primitives.js';

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

export const nodeBackend: SymmetricBackend = {
  name: 'node:crypto',
  aes256Ctr(key, iv, data) {
    if (key.length !== 32 || iv.length !== 16) throw new CryptoError('bad-input', 'AES-256-CTR needs a 32-byte key and 16-byte IV');
    const c = createCipheriv('aes-256-ctr', key, iv);
    const out = new Uint8Array(data.length);
    // One-shot calls on huge buffers are slow; feed 1 MiB at a time.
    for (let at = 0; at < data.length; at += 1 << 20) {
      const part = c.update(data.subarray(at, Math.min(data.length, at + (1 << 20))));
      out.set(part, at);
    }
    c.final();
    return out;
  },
  hmacSha256(key, ...parts) {
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return asBytes(h.digest());
  },
};
