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

export const toWire = (s: MessageSecrets): WireSecrets => ({ messageId: s.messageId, k: s.layout.k, p: s.layout.p, length: s.length, stripeKeys: s.stripeKeys, perm: s.perm });
export const fromWire = (w: WireSecrets): MessageSecrets => ({ messageId: w.messageId, layout: { k: w.k, p: w.p }, length: w.length, stripeKeys: w.stripeKeys, perm: w.perm });

// Two workers share each chunk: both interleave (and compute parity for) half of its
// groups into one SharedArrayBuffer, then each runs AES-256-CTR, HMAC-SHA-256 and CRC32 for
// the lanes it owns over the whole chunk, so every lane's MAC and keystream stay in order
// in one thread and the stripe format is unchanged.
export type ToWorker =
  /** `own`: the logical stripe indices whose cipher, MAC and CRC this worker keeps. */
  | { type: 'encrypt-init'; secrets: WireSecrets; own: number[] }
  /** Interleave groups [g0, g1) of `input` into `out` (stride `stride`) and compute their parity. Reply: 'done'. */
  | { type: 'stripe-range'; input: Uint8Array; out: Uint8Array; S: number; stride: number; g0: number; g1: number }
  /** Encrypt the owned lanes of `striped` (S bytes each at i·stride) into `out` (lane i at i·S). Reply: 'done'. */
  | { type: 'encrypt-lanes'; striped: Uint8Array; S: number; stride: number; out: Uint8Array }
  /** Reply: 'trailers' (36 bytes per owned lane, in `own` order). */
  | { type: 'encrypt-end' }
  | { type: 'verify-init'; secrets: WireSecrets; index: number }
  /** Reply: 'ack' with the same buffer. */
  | { type: 'verify-chunk'; data: Uint8Array }
  /** Reply: 'verified'. */
  | { type: 'verify-end'; trailer: Uint8Array }
  /** `use` lists the logical stripes that will be used (k of them); `own` the positions in `use` this worker decrypts. */
  | { type: 'decrypt-init'; secrets: WireSecrets; use: number[]; own: number[] }
  /** One chunk per owned stripe (`own` order), decrypted into `plain` at use-position j · S. Reply: 'lanes-done'. */
  | { type: 'decrypt-lanes'; parts: Uint8Array[]; plain: Uint8Array; S: number }
  /** Rebuild groups [g0, g1) from `plain` (k used stripes of S bytes) into `out` (k·S + 1 bytes). Reply: 'done'. */
  | { type: 'join-range'; plain: Uint8Array; S: number; g0: number; g1: number; out: Uint8Array };

export type FromWorker =
  | { type: 'done' }
  /** `parts` are the ciphertext buffers sent, handed back. */
  | { type: 'lanes-done'; parts: Uint8Array[] }
  | { type: 'trailers'; data: Uint8Array }
  | { type: 'ack'; data: Uint8Array }
  | { type: 'verified'; ok: boolean; reason?: 'crc-mismatch' | 'mac-mismatch' }
  | { type: 'error'; code: string; message: string };
