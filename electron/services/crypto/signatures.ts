// ML-DSA-65 signing and verification off the main thread: the capsule's signature (one per
// recipient per message, the longest step of a send) and its check on receipt (the longest
// of a receive) run in a small pool of worker threads (the stream path's worker script), so
// the main thread keeps serving sockets, the store and the window meanwhile. The secret key
// goes to the worker with each job (a copy, zeroed there after the signature); workers keep
// nothing between jobs. Idle workers are let go after IDLE_MS. Where no worker can be started
// (a build without the worker script), the work runs in this thread as before.
import { availableParallelism } from 'node:os';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { randomBytes } from 'node:crypto';
import { rememberMlDsa65, rememberedMlDsa65, verifyMlDsa65 } from '../../../shared/crypto/signature.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { CryptoWorker } from './stream.js';

const IDLE_MS = 30_000;
/**
 * One worker, two where there are four cores or more: the main thread and the I/O need the
 * rest (on two cores, a second worker measured no faster and cost more CPU per message).
 */
const MAX_WORKERS = Math.max(1, Math.min(2, availableParallelism() - 2));

interface Slot {
  worker: CryptoWorker;
  outstanding: number;
  timer?: ReturnType<typeof setTimeout>;
}

const slots: Slot[] = [];
/** Set once a worker could not be started: everything runs in this thread from then on. */
let inThread = false;

function pick(): Slot | undefined {
  for (const s of [...slots]) if (s.worker.broken) retire(s);
  const free = slots.reduce<Slot | undefined>((best, s) => (!best || s.outstanding < best.outstanding ? s : best), undefined);
  if (free && (free.outstanding === 0 || slots.length >= MAX_WORKERS)) return free;
  try {
    const s: Slot = { worker: new CryptoWorker(), outstanding: 0 };
    slots.push(s);
    return s;
  } catch {
    inThread = true;
    return free;
  }
}

function retire(s: Slot): void {
  const at = slots.indexOf(s);
  if (at >= 0) slots.splice(at, 1);
  if (s.timer) clearTimeout(s.timer);
  void s.worker.close();
}

async function run(msg: ToWorker, fallback: () => FromWorker): Promise<FromWorker> {
  const s = inThread ? undefined : pick();
  if (!s) return fallback();
  if (s.timer) clearTimeout(s.timer);
  s.timer = undefined;
  s.outstanding++;
  s.worker.setIdle(false);
  try {
    return await s.worker.request(msg);
  } catch (e) {
    // A worker that died is let go and the job done here; an error the job itself raised
    // (a malformed key) is raised again.
    if (!s.worker.broken) throw e;
    return fallback();
  } finally {
    s.outstanding--;
    if (s.worker.broken) retire(s);
    else if (s.outstanding === 0) {
      // Idle: it must not keep the process alive, and it ends if nothing comes for a while.
      s.worker.setIdle(true);
      s.timer = setTimeout(() => retire(s), IDLE_MS);
      s.timer.unref?.();
    }
  }
}

/** ML-DSA-65 signature of `message` with `context`, computed in a worker thread. */
export async function signMlDsa65(message: Uint8Array, secretKey: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const r = await run({ type: 'ml-dsa-sign', message, secretKey: secretKey.slice(), context }, () => ({
    type: 'ml-dsa',
    signature: ml_dsa65.sign(message, secretKey, { context, extraEntropy: randomBytes(32) }),
  }));
  if (r.type !== 'ml-dsa' || !r.signature) throw new Error('unexpected reply from the crypto worker');
  return r.signature;
}

/**
 * verifyMlDsa65 with the check in a worker thread: a signature verified before answers at
 * once, and a success is remembered here as verifyMlDsa65 remembers its own.
 */
export async function verifyMlDsa65Off(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  context: Uint8Array,
): Promise<boolean> {
  if (rememberedMlDsa65(signature, message, publicKey, context)) return true;
  const r = await run({ type: 'ml-dsa-verify', signature, message, publicKey, context }, () => ({
    type: 'ml-dsa',
    ok: verifyMlDsa65(signature, message, publicKey, context),
  }));
  if (r.type !== 'ml-dsa' || r.ok === undefined) throw new Error('unexpected reply from the crypto worker');
  if (r.ok) rememberMlDsa65(signature, message, publicKey, context);
  return r.ok;
}

/** Workers running now (tests). */
export function signatureWorkers(): number {
  return slots.length;
}
