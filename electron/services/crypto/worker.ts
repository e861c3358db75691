// Worker thread: all bulk work of the stream path (interleave, parity, AES-256-CTR,
// HMAC-SHA-256, CRC32) runs here, chunk by chunk, so the main process never stalls and
// memory stays proportional to one chunk.
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual, type Cipher, type Hmac } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { CryptoError } from '../../../shared/crypto/errors.js';
import { stripeInto, unstripeInto } from '../../../shared/stripe/interleave.js';
import { macHeader, stripeSubkeys, TAG_BYTES, type MessageSecrets } from '../../../shared/stripe/message.js';
import { computeParity, recoverData } from '../../../shared/stripe/parity.js';
import { fromWire, type FromWorker, type ToWorker } from './protocol.js';

const port = parentPort!;

interface Lane { cipher: Cipher; hmac: Hmac; crc: number }
let secrets: MessageSecrets | undefined;
let lanes: Lane[] = [];
let verify: { hmac: Hmac; crc: number; index: number } | undefined;
let plainBuf = new Uint8Array(0);
let use: number[] = [];

/** A Uint8Array over its own whole ArrayBuffer (what node:crypto returns for large updates), else a copy. */
function own(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length && !(b.buffer instanceof SharedArrayBuffer)) return new Uint8Array(b.buffer, 0, b.length);
  return new Uint8Array(b);
}

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

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'encrypt-init': {
      secrets = fromWire(msg.secrets);
      const n = secrets.layout.k + secrets.layout.p;
      lanes = openLanes(secrets, [...Array(n).keys()], false);
      return;
    }
    case 'encrypt-chunk': {
      const s = secrets!;
      const { k, p } = s.layout;
      const n = k + p;
      const S = Math.ceil(msg.data.length / k);
      const stride = (S + 3) & ~3;
      if (plainBuf.length < n * stride) plainBuf = new Uint8Array(n * stride);
      stripeInto(msg.data, 0, S, k, plainBuf, stride, 0);
      const view = (i: number) => plainBuf.subarray(i * stride, i * stride + S);
      if (p > 0) computeParity(s.layout, [...Array(k).keys()].map(view), [...Array(p).keys()].map((i) => view(k + i)));
      const parts: Uint8Array[] = [];
      const transfer: ArrayBuffer[] = [msg.data.buffer as ArrayBuffer];
      for (let slot = 0; slot < n; slot++) {
        const lane = lanes[s.perm[slot]!]!;
        const ct = own(lane.cipher.update(view(s.perm[slot]!)));
        lane.hmac.update(ct);
        lane.crc = crc32(ct, lane.crc);
        parts.push(ct);
        transfer.push(ct.buffer as ArrayBuffer);
      }
      post({ type: 'stripes', parts, input: msg.data }, transfer);
      return;
    }
    case 'encrypt-end': {
      const s = secrets!;
      const n = s.layout.k + s.layout.p;
      const out = new Uint8Array(36 * n);
      for (let slot = 0; slot < n; slot++) {
        const lane = lanes[s.perm[slot]!]!;
        lane.cipher.final();
        const tag = lane.hmac.digest();
        const crc = crc32(tag, lane.crc);
        out.set(tag, slot * 36);
        new DataView(out.buffer).setUint32(slot * 36 + 32, crc >>> 0);
      }
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
      lanes = openLanes(secrets, use, true);
      return;
    case 'decrypt-chunk': {
      const s = secrets!;
      const { k, p } = s.layout;
      const S = msg.parts[0]!.length;
      const stripes: (Uint8Array | undefined)[] = new Array(k + p).fill(undefined);
      use.forEach((idx, j) => {
        stripes[idx] = own(lanes[j]!.cipher.update(msg.parts[j]!));
      });
      const data = recoverData(s.layout, stripes);
      const src = k === 1 ? data[0]! : joinStripes(data, S);
      // A fresh buffer per chunk: the output stream may keep what it is given.
      const out = new Uint8Array(k * S + 1);
      unstripeInto(src, 0, S, S, k, out, 0);
      post({ type: 'plain', data: out.subarray(0, k * S), parts: msg.parts }, [out.buffer, ...msg.parts.map((x) => x.buffer as ArrayBuffer)]);
      return;
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
