// Messages between the stream front end (stream.ts) and the worker (worker.ts). Bulk
// buffers always travel in transfer lists, and input buffers come back with the reply so
// the front end reuses a fixed pool instead of allocating per chunk.
import type { MessageSecrets } from '../../../shared/stripe/message.js';

export interface WireSecrets {
  messageId: Uint8Array;
  k: number;
  p: number;
  length: number;
  stripeKeys: Uint8Array[];
  perm: Uint8Array;
}

export const toWire = (s: MessageSecrets): WireSecrets => ({
  messageId: s.messageId,
  k: s.layout.k,
  p: s.layout.p,
  length: s.length,
  stripeKeys: s.stripeKeys,
  perm: s.perm,
});
export const fromWire = (w: WireSecrets): MessageSecrets => ({
  messageId: w.messageId,
  layout: { k: w.k, p: w.p },
  length: w.length,
  stripeKeys: w.stripeKeys,
  perm: w.perm,
});

// Each chunk is shared by the workers. On the way out, every worker first takes a range
// of the chunk's groups (stream.ts's Balancer picks the ranges): it interleaves them,
// computes their parity and runs AES-256-CTR over that range of every stripe (the
// counter is seekable), writing ciphertext into one SharedArrayBuffer. Then each worker
// runs HMAC-SHA-256 and CRC32 over the whole chunk for the stripes it owns, so every
// stripe's MAC and CRC stay in order in one thread and the stripe format is unchanged.
// On the way back, every stripe is verified whole by one worker (MAC before any
// decryption), then workers decrypt, repair and join ranges.
// Replies that report work carry `ms`, the worker's busy time, for the balancer.
export type ToWorker =
  /** `own`: the logical stripe indices whose MAC and CRC this worker keeps. */
  | { type: 'encrypt-init'; secrets: WireSecrets; own: number[] }
  /**
   * Interleave groups [g0, g1) of `input`, compute their parity and encrypt that range of
   * every stripe into `striped` (stripe i at i·stride); `at` is the chunk's offset in the
   * stripes (a multiple of 16). Reply: 'done'.
   */
  | { type: 'encrypt-range'; input: Uint8Array; striped: Uint8Array; S: number; stride: number; at: number; g0: number; g1: number }
  /** MAC and CRC the owned stripes of `striped` (S bytes each at i·stride). Reply: 'done'. */
  | { type: 'mac-lanes'; striped: Uint8Array; S: number; stride: number }
  /** Reply: 'trailers' (36 bytes per owned lane, in `own` order). */
  | { type: 'encrypt-end' }
  | { type: 'verify-init'; secrets: WireSecrets; index: number }
  /** Reply: 'ack' with the same buffer. */
  | { type: 'verify-chunk'; data: Uint8Array }
  /**
   * The same for `length` bytes of a stripe file at byte `at`, read by the worker itself
   * (no hand-off through the main thread). Reply: 'read' with the bytes found.
   */
  | { type: 'verify-file'; path: string; at: number; length: number }
  /** Reply: 'verified'. */
  | { type: 'verify-end'; trailer: Uint8Array }
  /** `use` lists the logical stripes (k of them, verified) the message is rebuilt from. */
  | { type: 'decrypt-init'; secrets: WireSecrets; use: number[] }
  /**
   * Decrypt groups [g0, g1) of the used stripes (`parts`: use-position j at j·partStride,
   * S bytes each, chunk offset `at`), rebuild missing data and join the range into `out`
   * (k·S + 1 bytes). With `files` (the stripe file of each use-position), the worker reads
   * its range of each stripe from the file itself and `parts` is unused. Reply: 'done'.
   */
  | {
      type: 'decrypt-range';
      parts: Uint8Array;
      partStride: number;
      files?: string[];
      S: number;
      at: number;
      g0: number;
      g1: number;
      out: Uint8Array;
    }
  /**
   * AES-256-GCM off the main thread (offload.ts): `prefix ‖ ciphertext of parts ‖ tag ‖
   * suffix`, into `out` when it is large enough. Reply: 'gcm', with the parts' buffers.
   */
  | {
      type: 'gcm-seal';
      key: Uint8Array;
      iv: Uint8Array;
      aad: Uint8Array;
      parts: Uint8Array[];
      prefix: Uint8Array;
      suffix: Uint8Array;
      out?: ArrayBuffer;
    }
  /** Opens `sealed` (ciphertext ‖ tag) into `out` when large enough. Reply: 'gcm', data null when the tag does not verify. */
  | { type: 'gcm-open'; key: Uint8Array; iv: Uint8Array; aad: Uint8Array; sealed: Uint8Array; out?: ArrayBuffer }
  /**
   * ML-DSA-65 off the main thread (signatures.ts). Sign: the worker zeroes its copy of the
   * secret key before it replies. Reply: 'ml-dsa', with the signature or the verdict.
   */
  | { type: 'ml-dsa-sign'; message: Uint8Array; secretKey: Uint8Array; context: Uint8Array }
  | { type: 'ml-dsa-verify'; signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array; context: Uint8Array };

export type FromWorker =
  | { type: 'done'; ms: number }
  | { type: 'trailers'; data: Uint8Array }
  | { type: 'ack'; data: Uint8Array }
  | { type: 'read'; got: number }
  | { type: 'verified'; ok: boolean; reason?: 'crc-mismatch' | 'mac-mismatch' }
  | { type: 'error'; code: string; message: string }
  /** `data`: the sealed or opened bytes (null: the tag did not verify); `back`: the input buffers, handed back for reuse. */
  | { type: 'gcm'; data: Uint8Array | null; back: ArrayBuffer[] }
  | { type: 'ml-dsa'; signature?: Uint8Array; ok?: boolean };
