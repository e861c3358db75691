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

export type ToWorker =
  | { type: 'encrypt-init'; secrets: WireSecrets }
  /** Plain input, a whole number of k-byte groups except for the last chunk. Reply: 'stripes'. */
  | { type: 'encrypt-chunk'; data: Uint8Array }
  /** Reply: 'trailers' (36 bytes per slot, in slot order). */
  | { type: 'encrypt-end' }
  | { type: 'verify-init'; secrets: WireSecrets; index: number }
  /** Reply: 'ack' with the same buffer. */
  | { type: 'verify-chunk'; data: Uint8Array }
  /** Reply: 'verified'. */
  | { type: 'verify-end'; trailer: Uint8Array }
  /** `use` lists the logical stripes that will be sent (k of them), in order. */
  | { type: 'decrypt-init'; secrets: WireSecrets; use: number[] }
  /** One chunk per used stripe, same length each. Reply: 'plain'. */
  | { type: 'decrypt-chunk'; parts: Uint8Array[] };

export type FromWorker =
  /** parts[slot] = that slot's ciphertext for the chunk (each its own buffer); `input` is the chunk sent, handed back. */
  | { type: 'stripes'; parts: Uint8Array[]; input: Uint8Array }
  | { type: 'trailers'; data: Uint8Array }
  | { type: 'ack'; data: Uint8Array }
  | { type: 'verified'; ok: boolean; reason?: 'crc-mismatch' | 'mac-mismatch' }
  /** `parts` are the ciphertext buffers sent, handed back. */
  | { type: 'plain'; data: Uint8Array; parts: Uint8Array[] }
  | { type: 'error'; code: string; message: string };
