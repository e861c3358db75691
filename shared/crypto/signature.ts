// ML-DSA-65 verification that remembers what verified. The client checks the same signed
// bytes again and again (every server descriptor on each send and receive, a capsule before
// and while opening it, a sender's directory record per message), and one verify costs
// milliseconds. Only successes are kept, keyed by SHA-256 over everything the answer depends
// on (length-prefixed, so no two inputs share a key); a failure is computed afresh each time.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { sha256 } from '@noble/hashes/sha2.js';

const MAX_REMEMBERED = 2048;
const verified = new Set<string>();

function u32(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function memoKey(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, context: Uint8Array): string {
  const h = sha256.create();
  for (const part of [pk, context, msg, sig]) h.update(u32(part.length)).update(part);
  let s = '';
  for (const b of h.digest()) s += String.fromCharCode(b);
  return s;
}

/** ml_dsa65.verify (false rather than a throw for malformed input), each success remembered. */
export function verifyMlDsa65(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, context?: Uint8Array): boolean {
  const key = memoKey(sig, msg, pk, context ?? new Uint8Array(0));
  if (verified.has(key)) return true;
  let ok: boolean;
  try {
    ok = ml_dsa65.verify(sig, msg, pk, context ? { context } : {});
  } catch {
    ok = false;
  }
  if (!ok) return false;
  remember(key);
  return true;
}

function remember(key: string): void {
  // Oldest first out (a Set iterates in insertion order).
  if (verified.size >= MAX_REMEMBERED) verified.delete(verified.values().next().value!);
  verified.add(key);
}

/** Whether this signature verified before (and is still remembered). */
export function rememberedMlDsa65(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, context?: Uint8Array): boolean {
  return verified.has(memoKey(sig, msg, pk, context ?? new Uint8Array(0)));
}

/** A success checked elsewhere (ml_dsa65.verify in a worker thread), remembered as if verifyMlDsa65 had found it. */
export function rememberMlDsa65(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, context?: Uint8Array): void {
  remember(memoKey(sig, msg, pk, context ?? new Uint8Array(0)));
}
