// Worker thread: all bulk work of the stream path (interleave, parity, AES-256-CTR,
// HMAC-SHA-256, CRC32) runs here, chunk by chunk, so the main process never stalls and
// memory stays proportional to one chunk; so do the side jobs the main thread hands over
// (offload.ts's AES-GCM, signatures.ts's ML-DSA-65).
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
  type CipherGCM,
  type DecipherGCM,
  type Hmac,
} from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { MessageChannel, parentPort } from 'node:worker_threads';
import { CryptoError } from '../../../shared/crypto/errors.js';
import { stripeIntoPortable, unstripeInto } from '../../../shared/stripe/interleave.js';
import { macHeader, stripeSubkeys, TAG_BYTES, type MessageSecrets, type StripeSubkeys } from '../../../shared/stripe/message.js';
import { cachedMatrix, computeParity, joinPlan, recoverData } from '../../../shared/stripe/parity.js';
import { simdJoinEach, simdSplitEach } from '../../../shared/stripe/wasm/simd.js';
import { crc32 } from './crc32.js';
import { fromWire, type FromWorker, type ToWorker } from './protocol.js';

const port = parentPort!;
// node:crypto allocates a fresh output buffer per update call. Below glibc's mmap threshold
// that memory comes back from the thread's malloc arena, still in cache for the copy that
// follows; 64 KiB pieces run AES-256-CTR at ≈4–5 GB/s here, 256 KiB ones at half that.
const PIECE = 65536;
/** Bytes of a stripe hashed and checksummed together (within the L2 cache). */
const MAC_PIECE = 4 * PIECE;

// Every update's output is copied where it belongs at once, then dropped. Left to the
// garbage collector, dead outputs pile up to V8's external-memory allowance (≈64 MiB per
// thread) before a collection, and their pages go back to the OS and fault in again.
// A buffer in the transfer list of a closed port is detached and its memory freed
// immediately, so the next update reuses the same, still cached, memory.
const drain = new MessageChannel().port1;
drain.close();
function copyAndFree(ct: Buffer, dst: Uint8Array, at: number): void {
  dst.set(ct, at);
  if (ct.byteOffset === 0 && ct.byteLength === ct.buffer.byteLength) drain.postMessage(null, [ct.buffer as ArrayBuffer]);
}

interface MacLane {
  hmac: Hmac;
  crc: number;
}
/** HMAC and CRC32 over `data` a piece at a time, so the CRC reads what the HMAC just brought into cache. */
function macInPieces(lane: MacLane, data: Uint8Array): void {
  for (let a = 0; a < data.length; a += MAC_PIECE) {
    const piece = data.subarray(a, Math.min(data.length, a + MAC_PIECE));
    lane.hmac.update(piece);
    lane.crc = crc32(piece, lane.crc);
  }
}
let secrets: MessageSecrets | undefined;
/** Subkeys of every stripe this worker encrypts or decrypts ranges of, by logical index. */
let keys = new Map<number, StripeSubkeys>();
/** The stripes whose MAC and CRC this worker keeps (encryption), in `own` order. */
let macs: MacLane[] = [];
let own: number[] = [];
let verify: { hmac: Hmac; crc: number } | undefined;
let use: number[] = [];
let plan: ReturnType<typeof joinPlan> | undefined;
let plainBuf: Uint8Array = new Uint8Array(0);
let joinBuf: Uint8Array = new Uint8Array(0);
let tmpOut: Uint8Array = new Uint8Array(0);

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function newMac(s: MessageSecrets, index: number, macKey: Uint8Array): Hmac {
  const hmac = createHmac('sha256', macKey);
  hmac.update(macHeader(s, index));
  return hmac;
}

/**
 * The stripe's cipher positioned at byte `at` (a multiple of 16). The IV's low 64 bits
 * are the block counter and start at zero (shared/stripe/message.ts), so any range of a
 * stripe can be encrypted on its own, by any worker.
 */
function cipherAt(index: number, at: number, decrypt: boolean) {
  const { encKey, iv } = keys.get(index)!;
  const counter = Uint8Array.from(iv);
  new DataView(counter.buffer).setBigUint64(8, BigInt(at / 16));
  return decrypt ? createDecipheriv('aes-256-ctr', encKey, counter) : createCipheriv('aes-256-ctr', encKey, counter);
}

function grow(buf: Uint8Array, size: number): Uint8Array {
  return buf.length >= size ? buf : new Uint8Array(size);
}

// Stripe files named by the main thread are read here, with positional reads into one
// reused buffer, a piece at a time: the piece is still in cache for the hash or cipher
// that consumes it, and no chunk travels between threads.
const readBuf = new Uint8Array(PIECE * 4);

/** Bytes of `fd` from `at`, up to `length`, into readBuf (length ≤ its size); returns how many were there. */
function readAt(fd: number, at: number, length: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, readBuf, got, length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Feeds `length` bytes of the file at `path` from byte `at` to `use`, piece by piece; returns the bytes found. */
function readFileRange(path: string, at: number, length: number, use: (piece: Uint8Array) => void): number {
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const want = Math.min(readBuf.length, length - done);
      const got = readAt(fd, at + done, want);
      if (got > 0) use(readBuf.subarray(0, got));
      done += got;
      if (got < want) break;
    }
    return done;
  } finally {
    closeSync(fd);
  }
}

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'encrypt-init': {
      const s = (secrets = fromWire(msg.secrets));
      own = msg.own;
      keys = new Map(Array.from({ length: s.layout.k + s.layout.p }, (_, i) => [i, stripeSubkeys(s, i)]));
      macs = own.map((i) => ({ hmac: newMac(s, i, keys.get(i)!.macKey), crc: 0 }));
      return;
    }
    case 'encrypt-range': {
      // Interleave and parity of groups [g0, g1), then every stripe's AES-256-CTR over
      // that range, straight from the interleave's output window to the shared buffer.
      const t0 = performance.now();
      const s = secrets!;
      const { k, p } = s.layout;
      const { input, striped, stride, at, g0, g1 } = msg;
      const ciphers = Array.from({ length: k + p }, (_, i) => cipherAt(i, at + g0, false));
      const put = (i: number, src: Uint8Array, pos: number) => {
        for (let a = 0; a < src.length; a += PIECE)
          copyAndFree(ciphers[i]!.update(src.subarray(a, a + PIECE)), striped, i * stride + pos + a);
      };
      const fit = Math.max(0, Math.min(g1 - g0, Math.floor((input.length - g0 * k) / k)));
      const parity = p === 0 ? undefined : p === 1 ? 'xor' : cachedMatrix(s.layout);
      const done =
        k > 1 ? simdSplitEach(input, g0 * k, fit, k, parity, (g, _w, stripes) => stripes.forEach((v, i) => put(i, v, g0 + g))) : 0;
      // The rest (k without a SIMD kernel, ragged tails): into the shared buffer, then
      // encrypted in place (each piece is read before its ciphertext lands on it).
      const from = g0 + done;
      if (from < g1) {
        stripeIntoPortable(input, from * k, g1 - from, k, striped, stride, from);
        const v = Array.from({ length: k + p }, (_, i) => striped.subarray(i * stride + from, i * stride + g1));
        if (p > 0) computeParity(s.layout, v.slice(0, k), v.slice(k));
        v.forEach((lane, i) => put(i, lane, from));
      }
      for (const c of ciphers) c.final();
      return post({ type: 'done', ms: performance.now() - t0 });
    }
    case 'mac-lanes': {
      const t0 = performance.now();
      own.forEach((i, j) => macInPieces(macs[j]!, msg.striped.subarray(i * msg.stride, i * msg.stride + msg.S)));
      return post({ type: 'done', ms: performance.now() - t0 });
    }
    case 'encrypt-end': {
      const out = new Uint8Array(36 * own.length);
      macs.forEach((lane, j) => {
        const tag = lane.hmac.digest();
        const crc = crc32(tag, lane.crc);
        out.set(tag, j * 36);
        new DataView(out.buffer).setUint32(j * 36 + 32, crc >>> 0);
      });
      macs = [];
      post({ type: 'trailers', data: out }, [out.buffer]);
      return;
    }
    case 'verify-init': {
      const s = (secrets = fromWire(msg.secrets));
      verify = { hmac: newMac(s, msg.index, stripeSubkeys(s, msg.index).macKey), crc: 0 };
      return;
    }
    case 'verify-chunk':
      macInPieces(verify!, msg.data);
      return post({ type: 'ack', data: msg.data }, [msg.data.buffer as ArrayBuffer]);
    case 'verify-file': {
      const v = verify!;
      const got = readFileRange(msg.path, msg.at, msg.length, (piece) => macInPieces(v, piece));
      return post({ type: 'read', got });
    }
    case 'verify-end': {
      const v = verify!;
      verify = undefined;
      const t = msg.trailer;
      if (t.length !== 36) return post({ type: 'verified', ok: false, reason: 'crc-mismatch' });
      const crc = crc32(t.subarray(0, TAG_BYTES), v.crc) >>> 0;
      if (crc !== new DataView(t.buffer, t.byteOffset, 36).getUint32(32))
        return post({ type: 'verified', ok: false, reason: 'crc-mismatch' });
      const ok = timingSafeEqual(v.hmac.digest(), t.subarray(0, TAG_BYTES));
      return post(ok ? { type: 'verified', ok } : { type: 'verified', ok, reason: 'mac-mismatch' });
    }
    case 'decrypt-init': {
      const s = (secrets = fromWire(msg.secrets));
      use = msg.use;
      keys = new Map(use.map((i) => [i, stripeSubkeys(s, i)]));
      plan = joinPlan(s.layout, use);
      return;
    }
    case 'decrypt-range': {
      // Decrypt groups [g0, g1) of the k stripes in use straight into the join window,
      // repair missing data stripes from parity there, and join the range into `out`.
      const t0 = performance.now();
      const s = secrets!;
      const { k, p } = s.layout;
      const { parts, partStride, files, S, at, g0, g1, out } = msg;
      const G = g1 - g0;
      if (G === 0) return post({ type: 'done', ms: 0 });
      const { sources } = plan!;
      const ciphers = sources.map((idx) => cipherAt(idx, at + g0, true));
      const partAt = sources.map((idx) => use.indexOf(idx) * partStride + g0);
      // Stripe files: each source's range is read here, piece by piece, just before its decryption.
      const fds: number[] = [];
      try {
        if (files) for (const idx of sources) fds.push(openSync(files[use.indexOf(idx)]!, 'r'));
      } catch (e) {
        fds.forEach((fd) => closeSync(fd));
        throw e;
      }
      const piece = (j: number, from: number, len: number): Uint8Array => {
        if (!files) return parts.subarray(partAt[j]! + from, partAt[j]! + from + len);
        if (readAt(fds[j]!, at + g0 + from, len) !== len)
          throw new CryptoError('malformed-stripe', 'a stripe changed between verification and decryption');
        return readBuf.subarray(0, len);
      };
      const decryptInto = (j: number, from: number, len: number, dst: Uint8Array) => {
        for (let a = 0; a < len; a += PIECE) copyAndFree(ciphers[j]!.update(piece(j, from + a, Math.min(PIECE, len - a))), dst, a);
      };
      try {
        const done = k > 1 ? simdJoinEach(G, k, plan!, (j, g, w, dst) => decryptInto(j, g, w, dst), out, g0 * k) : 0;
        // The rest (k without a SIMD kernel, ragged tails) through the portable kernels.
        if (done < G) {
          const R = G - done;
          plainBuf = grow(plainBuf, k * R);
          const stripes: (Uint8Array | undefined)[] = new Array(k + p).fill(undefined);
          sources.forEach((idx, j) => {
            const dst = plainBuf.subarray(j * R, (j + 1) * R);
            decryptInto(j, done, R, dst);
            stripes[idx] = dst;
          });
          let src: Uint8Array = plainBuf;
          if (plan!.holes.length) {
            joinBuf = grow(joinBuf, k * R);
            recoverData(s.layout, stripes).forEach((d, j) => joinBuf.set(d, j * R));
            src = joinBuf;
          }
          // unstripeInto may write one byte past its groups: only the last range may do that in `out`.
          if (g1 === S) {
            unstripeInto(src, 0, R, R, k, out, (g0 + done) * k);
          } else {
            tmpOut = grow(tmpOut, R * k + 1);
            unstripeInto(src, 0, R, R, k, tmpOut, 0);
            out.set(tmpOut.subarray(0, R * k), (g0 + done) * k);
          }
        }
      } finally {
        fds.forEach((fd) => closeSync(fd));
      }
      for (const c of ciphers) c.final();
      return post({ type: 'done', ms: performance.now() - t0 });
    }
    case 'gcm-seal':
    case 'gcm-open':
      return gcm(msg);
    case 'ml-dsa-sign': {
      const extraEntropy = randomBytes(32);
      try {
        return post({ type: 'ml-dsa', signature: ml_dsa65.sign(msg.message, msg.secretKey, { context: msg.context, extraEntropy }) });
      } finally {
        msg.secretKey.fill(0);
        extraEntropy.fill(0);
      }
    }
    case 'ml-dsa-verify': {
      let ok: boolean;
      try {
        ok = ml_dsa65.verify(msg.signature, msg.message, msg.publicKey, { context: msg.context });
      } catch {
        ok = false; // malformed input is a failed verification, as verifyMlDsa65 has it
      }
      return post({ type: 'ml-dsa', ok });
    }
  }
}

/** A buffer to write `size` bytes into: the one handed over when it is large enough. */
function outFor(given: ArrayBuffer | undefined, size: number): Uint8Array {
  return given && given.byteLength >= size ? new Uint8Array(given, 0, size) : new Uint8Array(size);
}

/** Buffers that came in a transfer list (not shared), to go back with the reply. */
function handBack(views: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 0) out.add(v.buffer);
  return [...out];
}

/** The buffer handed over for the output when it was too small: it goes back unused. */
function spare(given: ArrayBuffer | undefined, out: Uint8Array): ArrayBuffer[] {
  return given && out.buffer !== given ? [given] : [];
}

/** Runs `c` over `src` in PIECE-sized updates, each output copied to dst at `at` and freed; returns the new position. */
function gcmInto(c: CipherGCM | DecipherGCM, src: Uint8Array, dst: Uint8Array, at: number): number {
  for (let a = 0; a < src.length; a += PIECE) {
    const piece = c.update(src.subarray(a, Math.min(src.length, a + PIECE)));
    const n = piece.length; // before copyAndFree detaches it
    copyAndFree(piece, dst, at);
    at += n;
  }
  return at;
}

function gcm(msg: Extract<ToWorker, { type: 'gcm-seal' | 'gcm-open' }>): void {
  if (msg.type === 'gcm-seal') {
    const { key, iv, aad, parts, prefix, suffix } = msg;
    const length = parts.reduce((sum, x) => sum + x.length, 0);
    const out = outFor(msg.out, prefix.length + length + TAG + suffix.length);
    out.set(prefix, 0);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    let at = prefix.length;
    for (const x of parts) at = gcmInto(c, x, out, at);
    const last = c.final();
    out.set(last, at);
    at += last.length;
    out.set(c.getAuthTag(), at);
    out.set(suffix, at + TAG);
    const back = [...handBack(parts), ...spare(msg.out, out)];
    return post({ type: 'gcm', data: out, back }, [out.buffer as ArrayBuffer, ...back]);
  }
  const { key, iv, aad, sealed } = msg;
  if (sealed.length < TAG) {
    const back = [...handBack([sealed]), ...(msg.out ? [msg.out] : [])];
    return post({ type: 'gcm', data: null, back }, back);
  }
  const body = sealed.subarray(0, sealed.length - TAG);
  const out = outFor(msg.out, body.length);
  const back = [...handBack([sealed]), ...spare(msg.out, out)];
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const at = gcmInto(d, body, out, 0);
  try {
    out.set(d.final(), at);
  } catch {
    // The tag does not verify (OpenSSL compares it in constant time): nothing decrypted leaves.
    out.fill(0);
    const all = msg.out === out.buffer ? [...back, msg.out] : back;
    return post({ type: 'gcm', data: null, back: all }, all);
  }
  post({ type: 'gcm', data: out, back }, [out.buffer as ArrayBuffer, ...back]);
}

/** GCM's tag. */
const TAG = 16;

port.on('message', (msg: ToWorker) => {
  try {
    handle(msg);
  } catch (e) {
    post({ type: 'error', code: e instanceof CryptoError ? e.code : 'worker-failed', message: e instanceof Error ? e.message : String(e) });
  }
});
