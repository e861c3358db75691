// Worker thread: all bulk work of the stream path (interleave, parity, AES-256-CTR,
// HMAC-SHA-256, CRC32) runs here, chunk by chunk, so the main process never stalls and
// memory stays proportional to one chunk.
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual, type Cipher, type Hmac } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { CryptoError } from '../../../shared/crypto/errors.js';
import { stripeInto, stripeIntoParity, unstripeInto } from '../../../shared/stripe/interleave.js';
import { macHeader, stripeSubkeys, TAG_BYTES, type MessageSecrets } from '../../../shared/stripe/message.js';
import { computeParity, recoverData } from '../../../shared/stripe/parity.js';
import { fromWire, type FromWorker, type ToWorker } from './protocol.js';

const port = parentPort!;
const PIECE = 16384;

interface Lane { cipher: Cipher; hmac: Hmac; crc: number }
let secrets: MessageSecrets | undefined;
let lanes: Lane[] = [];
let verify: { hmac: Hmac; crc: number; index: number } | undefined;
let plainBuf = new Uint8Array(0);
let use: number[] = [];
let own: number[] = [];
let tmpOut = new Uint8Array(0);

/** The k data stripes of a chunk side by side (stride S) for unstripeInto. */
function joinStripes(data: Uint8Array[], S: number): Uint8Array {
  if (plainBuf.length < data.length * S) plainBuf = new Uint8Array(data.length * S);
  for (let j = 0; j < data.length; j++) plainBuf.set(data[j]!, j * S);
  return plainBuf;
}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function openLanes(s: MessageSecrets, indices: number[], decrypt: boolean): Lane[] {
  return indices.map((i) => {
    const { encKey, macKey, iv } = stripeSubkeys(s, i);
    const hmac = createHmac('sha256', macKey);
    hmac.update(macHeader(s, i));
    return { cipher: decrypt ? createDecipheriv('aes-256-ctr', encKey, iv) : createCipheriv('aes-256-ctr', encKey, iv), hmac, crc: 0 };
  });
}

/** The data and parity stripes of a chunk as views of `buf` (stride apart), restricted to groups [g0, g1). */
function views(buf: Uint8Array, count: number, stride: number, g0: number, g1: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => buf.subarray(i * stride + g0, i * stride + g1));
}

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'encrypt-init': {
      secrets = fromWire(msg.secrets);
      own = msg.own;
      lanes = openLanes(secrets, own, false);
      return;
    }
    case 'stripe-range': {
      const { k, p } = secrets!.layout;
      const { input, out, stride, g0, g1 } = msg;
      // Parity comes with the SIMD interleave while the stripes are in cache.
      const done = p > 0 && k > 1 ? stripeIntoParity(input, g0 * k, g1 - g0, secrets!.layout, out, stride, g0, out, k * stride + g0, stride) : (stripeInto(input, g0 * k, g1 - g0, k, out, stride, g0), 0);
      if (p > 0 && g0 + done < g1) {
        const v = views(out, k + p, stride, g0 + done, g1);
        computeParity(secrets!.layout, v.slice(0, k), v.slice(k));
      }
      return post({ type: 'done' });
    }
    case 'encrypt-lanes': {
      // Copy each ciphertext into the shared output and let node:crypto's buffer die here:
      // transferring buffers allocated by node:crypto to another thread costs more than the copy.
      // Slices of PIECE bytes: node:crypto's output buffer then comes from the thread's
      // malloc arena and is still in cache for the MAC, the CRC and the copy.
      own.forEach((idx, j) => {
        const lane = lanes[j]!;
        const from = idx * msg.stride;
        for (let at = 0; at < msg.S; at += PIECE) {
          const ct = lane.cipher.update(msg.striped.subarray(from + at, from + Math.min(msg.S, at + PIECE)));
          lane.hmac.update(ct);
          lane.crc = crc32(ct, lane.crc);
          msg.out.set(ct, idx * msg.S + at);
        }
      });
      return post({ type: 'done' });
    }
    case 'encrypt-end': {
      const out = new Uint8Array(36 * own.length);
      lanes.forEach((lane, j) => {
        lane.cipher.final();
        const tag = lane.hmac.digest();
        const crc = crc32(tag, lane.crc);
        out.set(tag, j * 36);
        new DataView(out.buffer).setUint32(j * 36 + 32, crc >>> 0);
      });
      lanes = [];
      post({ type: 'trailers', data: out }, [out.buffer]);
      return;
    }
    case 'verify-init': {
      secrets = fromWire(msg.secrets);
      const { macKey } = stripeSubkeys(secrets, msg.index);
      const hmac = createHmac('sha256', macKey);
      hmac.update(macHeader(secrets, msg.index));
      verify = { hmac, crc: 0, index: msg.index };
      return;
    }
    case 'verify-chunk':
      verify!.hmac.update(msg.data);
      verify!.crc = crc32(msg.data, verify!.crc);
      return post({ type: 'ack', data: msg.data }, [msg.data.buffer as ArrayBuffer]);
    case 'verify-end': {
      const v = verify!;
      verify = undefined;
      const t = msg.trailer;
      if (t.length !== 36) return post({ type: 'verified', ok: false, reason: 'crc-mismatch' });
      const crc = crc32(t.subarray(0, TAG_BYTES), v.crc) >>> 0;
      if (crc !== new DataView(t.buffer, t.byteOffset, 36).getUint32(32)) return post({ type: 'verified', ok: false, reason: 'crc-mismatch' });
      const ok = timingSafeEqual(v.hmac.digest(), t.subarray(0, TAG_BYTES));
      return post(ok ? { type: 'verified', ok } : { type: 'verified', ok, reason: 'mac-mismatch' });
    }
    case 'decrypt-init':
      secrets = fromWire(msg.secrets);
      use = msg.use;
      own = msg.own;
      lanes = openLanes(secrets, own.map((j) => use[j]!), true);
      return;
    case 'decrypt-lanes': {
      own.forEach((j, x) => {
        const part = msg.parts[x]!;
        for (let at = 0; at < part.length; at += PIECE) msg.plain.set(lanes[x]!.cipher.update(part.subarray(at, at + PIECE)), j * msg.S + at);
      });
      post({ type: 'lanes-done', parts: msg.parts }, msg.parts.map((x) => x.buffer as ArrayBuffer));
      return;
    }
    case 'join-range': {
      const s = secrets!;
      const { k, p } = s.layout;
      const { plain, S, g0, g1, out } = msg;
      const stripes: (Uint8Array | undefined)[] = new Array(k + p).fill(undefined);
      use.forEach((idx, j) => {
        stripes[idx] = plain.subarray(j * S + g0, j * S + g1);
      });
      const G = g1 - g0;
      // All data stripes present and in order: read them where they are; else rebuild the range.
      const direct = use.every((idx, j) => idx === j);
      const src = direct ? plain : joinStripes(recoverData(s.layout, stripes), G);
      const [srcOff, stride] = direct ? [g0, S] : [0, G];
      // unstripeInto may write one byte past its groups: only the last range may do that in `out`.
      if (g1 === S) {
        unstripeInto(src, srcOff, stride, G, k, out, g0 * k);
      } else {
        if (tmpOut.length < G * k + 1) tmpOut = new Uint8Array(G * k + 1);
        unstripeInto(src, srcOff, stride, G, k, tmpOut, 0);
        out.set(tmpOut.subarray(0, G * k), g0 * k);
      }
      return post({ type: 'done' });
    }
  }
}

port.on('message', (msg: ToWorker) => {
  try {
    handle(msg);
  } catch (e) {
    post({ type: 'error', code: e instanceof CryptoError ? e.code : 'worker-failed', message: e instanceof Error ? e.message : String(e) });
  }
});
