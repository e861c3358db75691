// Bit-by-bit round-robin interleave. The message is read as one bit stream, most
// significant bit of each byte first; stream bit j goes to data stripe j mod k, and each
// stripe packs the bits it receives most significant first. So every group of k input
// bytes (8k bits = 8 rows of k bits) yields exactly one byte per stripe: stripe s's byte
// is column s of that 8 × k bit matrix. We extract each row's 8-column blocks with a
// shifted two-byte window and transpose 8 × 8 blocks with a nibble lookup table (the
// table puts bit 7 in each byte lane of a 32-bit word, and shifting the word right by the
// row number moves it to that row's bit without crossing lanes).
import { checkLayout } from './layout.js';

/** LANES[n]: for the 4 bits of nibble n (msb first), 0x80 in the matching byte lane. */
const LANES = (() => {
  const t = new Uint32Array(16);
  for (let n = 0; n < 16; n++) {
    let w = 0;
    for (let m = 0; m < 4; m++) if (n & (8 >> m)) w |= 0x80 << (24 - 8 * m);
    t[n] = w >>> 0;
  }
  return t;
})();

interface Plan {
  k: number;
  blocks: number;
  /** For row t and block c (index t * blocks + c): byte offset in the group and bit shift. */
  q: Int32Array;
  r: Int32Array;
}

const plans = new Map<number, Plan>();
function planFor(k: number): Plan {
  let plan = plans.get(k);
  if (!plan) {
    const blocks = Math.ceil(k / 8);
    const q = new Int32Array(8 * blocks);
    const r = new Int32Array(8 * blocks);
    for (let t = 0; t < 8; t++) {
      for (let c = 0; c < blocks; c++) {
        const off = t * k + 8 * c;
        q[t * blocks + c] = off >> 3;
        r[t * blocks + c] = off & 7;
      }
    }
    plan = { k, blocks, q, r };
    plans.set(k, plan);
  }
  return plan;
}

/**
 * Split `groups` groups of k bytes from `input` (starting at `inOff`) into k stripes.
 * Stripe s, group g is written to out[outOff + s * stride + g]. If the input holds fewer
 * than groups × k bytes, the missing tail reads as zero bytes.
 */
export function stripeInto(input: Uint8Array, inOff: number, groups: number, k: number, out: Uint8Array, stride: number, outOff: number): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  const { blocks, q, r } = planFor(k);
  const avail = input.length - inOff;
  // The window may read one byte past a group; the fast loop stops where that stays in bounds.
  let fast = Math.floor((avail - 1) / k);
  if (fast > groups) fast = groups;
  if (fast < 0) fast = 0;
  stripeGroups(input, inOff, 0, fast, k, blocks, q, r, out, stride, outOff);
  if (fast < groups) {
    const tmp = new Uint8Array(k + 1);
    for (let g = fast; g < groups; g++) {
      tmp.fill(0);
      const from = inOff + g * k;
      if (from < input.length) tmp.set(input.subarray(from, Math.min(input.length, from + k)));
      stripeGroups(tmp, -g * k, g, g + 1, k, blocks, q, r, out, stride, outOff);
    }
  }
}

function stripeGroups(
  input: Uint8Array, inOff: number, g0: number, g1: number, k: number, blocks: number,
  q: Int32Array, r: Int32Array, out: Uint8Array, stride: number, outOff: number,
): void {
  for (let c = 0; c < blocks; c++) {
    const lanes = Math.min(8, k - 8 * c);
    const o0 = outOff + 8 * c * stride;
    const q0 = q[c]!, q1 = q[blocks + c]!, q2 = q[2 * blocks + c]!, q3 = q[3 * blocks + c]!;
    const q4 = q[4 * blocks + c]!, q5 = q[5 * blocks + c]!, q6 = q[6 * blocks + c]!, q7 = q[7 * blocks + c]!;
    const r0 = r[c]!, r1 = r[blocks + c]!, r2 = r[2 * blocks + c]!, r3 = r[3 * blocks + c]!;
    const r4 = r[4 * blocks + c]!, r5 = r[5 * blocks + c]!, r6 = r[6 * blocks + c]!, r7 = r[7 * blocks + c]!;
    for (let g = g0, base = inOff + g0 * k; g < g1; g++, base += k) {
      let hi = 0, lo = 0, v: number;
      v = ((((input[base + q0]! << 8) | input[base + q0 + 1]!) << r0) >>> 8) & 255; hi |= LANES[v >>> 4]!; lo |= LANES[v & 15]!;
      v = ((((input[base + q1]! << 8) | input[base + q1 + 1]!) << r1) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 1; lo |= LANES[v & 15]! >>> 1;
      v = ((((input[base + q2]! << 8) | input[base + q2 + 1]!) << r2) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 2; lo |= LANES[v & 15]! >>> 2;
      v = ((((input[base + q3]! << 8) | input[base + q3 + 1]!) << r3) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 3; lo |= LANES[v & 15]! >>> 3;
      v = ((((input[base + q4]! << 8) | input[base + q4 + 1]!) << r4) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 4; lo |= LANES[v & 15]! >>> 4;
      v = ((((input[base + q5]! << 8) | input[base + q5 + 1]!) << r5) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 5; lo |= LANES[v & 15]! >>> 5;
      v = ((((input[base + q6]! << 8) | input[base + q6 + 1]!) << r6) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 6; lo |= LANES[v & 15]! >>> 6;
      v = ((((input[base + q7]! << 8) | input[base + q7 + 1]!) << r7) >>> 8) & 255; hi |= LANES[v >>> 4]! >>> 7; lo |= LANES[v & 15]! >>> 7;
      const o = o0 + g;
      out[o] = hi >>> 24;
      if (lanes > 1) out[o + stride] = hi >>> 16;
      if (lanes > 2) out[o + 2 * stride] = hi >>> 8;
      if (lanes > 3) out[o + 3 * stride] = hi;
      if (lanes > 4) out[o + 4 * stride] = lo >>> 24;
      if (lanes > 5) out[o + 5 * stride] = lo >>> 16;
      if (lanes > 6) out[o + 6 * stride] = lo >>> 8;
      if (lanes > 7) out[o + 7 * stride] = lo;
    }
  }
}

/**
 * Inverse of stripeInto: read stripe s, group g from src[srcOff + s * stride + g] and write
 * groups × k bytes to out starting at outOff. `out` must have one spare byte after the
 * last group written (callers allocate k·groups + 1).
 */
export function unstripeInto(src: Uint8Array, srcOff: number, stride: number, groups: number, k: number, out: Uint8Array, outOff: number): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  if (out.length < outOff + groups * k + 1) throw new RangeError('unstripeInto needs one spare output byte');
  const { blocks, q, r } = planFor(k);
  out.fill(0, outOff, outOff + groups * k + 1);
  for (let c = 0; c < blocks; c++) {
    const lanes = Math.min(8, k - 8 * c);
    const s0 = srcOff + 8 * c * stride;
    for (let g = 0, base = outOff; g < groups; g++, base += k) {
      const i = s0 + g;
      let hi = 0, lo = 0, u = src[i]!;
      hi |= LANES[u >>> 4]!; lo |= LANES[u & 15]!;
      if (lanes > 1) { u = src[i + stride]!; hi |= LANES[u >>> 4]! >>> 1; lo |= LANES[u & 15]! >>> 1; }
      if (lanes > 2) { u = src[i + 2 * stride]!; hi |= LANES[u >>> 4]! >>> 2; lo |= LANES[u & 15]! >>> 2; }
      if (lanes > 3) { u = src[i + 3 * stride]!; hi |= LANES[u >>> 4]! >>> 3; lo |= LANES[u & 15]! >>> 3; }
      if (lanes > 4) { u = src[i + 4 * stride]!; hi |= LANES[u >>> 4]! >>> 4; lo |= LANES[u & 15]! >>> 4; }
      if (lanes > 5) { u = src[i + 5 * stride]!; hi |= LANES[u >>> 4]! >>> 5; lo |= LANES[u & 15]! >>> 5; }
      if (lanes > 6) { u = src[i + 6 * stride]!; hi |= LANES[u >>> 4]! >>> 6; lo |= LANES[u & 15]! >>> 6; }
      if (lanes > 7) { u = src[i + 7 * stride]!; hi |= LANES[u >>> 4]! >>> 7; lo |= LANES[u & 15]! >>> 7; }
      // Row t's 8 bits for this block; lanes beyond k are zero, so spilling into the next
      // row or group only ORs zeros.
      for (let t = 0; t < 8; t++) {
        const v = t < 4 ? (hi >>> (24 - 8 * t)) & 255 : (lo >>> (56 - 8 * t)) & 255;
        if (v === 0) continue;
        const at = base + q[t * blocks + c]!;
        const sh = r[t * blocks + c]!;
        out[at]! |= v >>> sh;
        if (sh) out[at + 1]! |= (v << (8 - sh)) & 255;
      }
    }
  }
}

/** Reference: the definition, one bit at a time. Used by tests to check the fast kernels. */
export function stripeReference(input: Uint8Array, k: number): Uint8Array[] {
  const len = Math.ceil(input.length / k);
  const out = Array.from({ length: k }, () => new Uint8Array(len));
  for (let j = 0; j < input.length * 8; j++) {
    const bit = (input[j >> 3]! >> (7 - (j & 7))) & 1;
    const s = j % k;
    const n = Math.floor(j / k);
    out[s]![n >> 3]! |= bit << (7 - (n & 7));
  }
  return out;
}
