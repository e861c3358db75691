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
let unstriped = new Uint8Array(0);

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
      if (plainBuf.length < n * S) plainBuf = new Uint8Array(n * S);
      stripeInto(msg.data, 0, S, k, plainBuf, S, 0);
      const view = (i: number) => plainBuf.subarray(i * S, (i + 1) * S);
      if (p > 0) computeParity(s.layout, [...Array(k).keys()].map(view), [...Array(p).keys()].map((i) => view(k + i)));
      const out = new Uint8Array(n * S);
      for (let slot = 0; slot < n; slot++) {
        const lane = lanes[s.perm[slot]!]!;
        const ct = lane.cipher.update(view(s.perm[slot]!));
        lane.hmac.update(ct);
        lane.crc = crc32(ct, lane.crc);
        out.set(ct, slot * S);
      }
      post({ type: 'stripes', data: out, stripeBytes: S }, [out.buffer]);
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
      return;
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
        const pt = lanes[j]!.cipher.update(msg.parts[j]!);
        stripes[idx] = new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
      });
      const data = recoverData(s.layout, stripes);
      if (plainBuf.length < k * S) plainBuf = new Uint8Array(k * S);
      for (let j = 0; j < k; j++) plainBuf.set(data[j]!, j * S);
      if (unstriped.length < k * S + 1) unstriped = new Uint8Array(k * S + 1);
      unstripeInto(plainBuf, 0, S, S, k, unstriped, 0);
      const out = unstriped.slice(0, k * S);
      post({ type: 'plain', data: out }, [out.buffer]);
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
