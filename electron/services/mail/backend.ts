// The stripe pipeline's bulk operations on node:crypto (AES-NI), same results as the
// pure backend in shared/crypto.
import { createCipheriv, createHmac } from 'node:crypto';
import type { SymmetricBackend } from '../../../shared/crypto/index.js';

export const nodeBackend: SymmetricBackend = {
  name: 'node',
  aes256Ctr(key, iv, data) {
    const c = createCipheriv('aes-256-ctr', key, iv);
    const out = Buffer.concat([c.update(data), c.final()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
  hmacSha256(key, ...parts) {
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    const d = h.digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.length);
  },
};
