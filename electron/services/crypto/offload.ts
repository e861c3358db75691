// AES-256-GCM off the main thread, for bulk sealing the main process would otherwise do
// itself: the attachment store's 1 MiB chunks and the request envelope of large bodies
// (page uploads and downloads). One side worker (the stream path's worker script) runs
// them in order; it is kept while work is outstanding and let go after IDLE_MS idle.
// Callers may hand over their input and output buffers (`transfer`, `out`): they come back
// with the reply (`back`), so a steady stream of chunks allocates nothing new.
import { CryptoWorker } from './stream.js';

const IDLE_MS = 30_000;

let side: CryptoWorker | undefined;
let outstanding = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function worker(): CryptoWorker {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (!side?.reusable && outstanding === 0) {
    void side?.close();
    side = new CryptoWorker();
  }
  side!.setIdle(false);
  return side!;
}

function settle(): void {
  if (--outstanding > 0 || !side) return;
  // Idle: it must not keep the process alive, and it ends if nothing comes for a while.
  side.setIdle(true);
  const done = side;
  idleTimer = setTimeout(() => {
    if (side === done && outstanding === 0) {
      side = undefined;
      void done.close();
    }
  }, IDLE_MS);
  idleTimer.unref?.();
}

export interface GcmResult {
  /** The output, or null when an open's tag did not verify. */
  data: Uint8Array | null;
  /** The buffers handed over (input, unused output), back for reuse. */
  back: ArrayBuffer[];
}

async function run(msg: Parameters<CryptoWorker['request']>[0], transfer: ArrayBuffer[]): Promise<GcmResult> {
  const w = worker();
  outstanding++;
  try {
    const r = await w.request(msg, transfer);
    if (r.type !== 'gcm') throw new Error('unexpected reply from the crypto worker');
    return { data: r.data, back: r.back };
  } finally {
    settle();
  }
}

export interface GcmSeal {
  key: Uint8Array;
  iv: Uint8Array;
  aad: Uint8Array;
  /** Plaintext, in order. */
  parts: Uint8Array[];
  /** Bytes written before the ciphertext and after the tag (a format's framing). */
  prefix?: Uint8Array;
  suffix?: Uint8Array;
  /** A buffer to write into (handed over). */
  out?: ArrayBuffer;
  /** Input buffers handed over instead of copied (unusable until they come back). */
  transfer?: ArrayBuffer[];
}

/** `prefix ‖ AES-256-GCM(parts) ‖ tag ‖ suffix`, computed in the side worker. */
export function gcmSeal(o: GcmSeal): Promise<GcmResult> {
  const { key, iv, aad, parts, out } = o;
  const msg = {
    type: 'gcm-seal' as const,
    key,
    iv,
    aad,
    parts,
    prefix: o.prefix ?? new Uint8Array(0),
    suffix: o.suffix ?? new Uint8Array(0),
  };
  return run(out ? { ...msg, out } : msg, [...(o.transfer ?? []), ...(out ? [out] : [])]);
}

export interface GcmOpen {
  key: Uint8Array;
  iv: Uint8Array;
  aad: Uint8Array;
  /** Ciphertext ‖ 16-byte tag. */
  sealed: Uint8Array;
  out?: ArrayBuffer;
  transfer?: ArrayBuffer[];
}

/** The plaintext of `sealed`, or null when its tag does not verify (nothing decrypted is returned then). */
export function gcmOpen(o: GcmOpen): Promise<GcmResult> {
  const { key, iv, aad, sealed, out } = o;
  const msg = { type: 'gcm-open' as const, key, iv, aad, sealed };
  return run(out ? { ...msg, out } : msg, [...(o.transfer ?? []), ...(out ? [out] : [])]);
}
