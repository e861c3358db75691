// Bit-by-bit round-robin interleave. The message is read as one bit stream, most
// significant bit of each byte first; stream bit j goes to data stripe j mod k, and each
// stripe packs the bits it receives most significant first. So every group of k input
// bytes (8k bits = 8 rows of k bits) yields exactly one byte per stripe: stripe s's byte
// is column s of that 8 × k bit matrix.
//
// Kernels, all on 32-bit words (no tables, no per-byte calls):
// - k = 1: a copy.
// - k = 2, 4: each 32-bit big-endian word of input is a small bit matrix; a fixed
//   permutation of the bit index (rotate the 5 index bits so the stripe bits come first)
//   done as 4 delta swaps (Hacker's Delight §7) puts each stripe's bits in its own lane.
// - k a multiple of 8 (8, 16, 24, 32): rows are whole bytes; each block of 8 stripes is
//   an 8 × 8 bit transpose on two words (Hacker's Delight transpose8, 3 steps).
// - any other k: rows are read through a shifted two-byte window, then the same 8 × 8
//   transpose. Ragged tails go through this kernel on a zero-padded copy.
import { checkLayout, type Layout } from './layout.js';
import { cachedMatrix } from './parity.js';
import { simdJoin, simdSplit } from './wasm/simd.js';

/**
 * Split `groups` groups of k bytes from `input` (starting at `inOff`) into k stripes.
 * Stripe s, group g is written to out[outOff + s * stride + g]. If the input holds fewer
 * than groups × k bytes, the missing tail reads as zero bytes.
 */
export function stripeInto(
  input: Uint8Array,
  inOff: number,
  groups: number,
  k: number,
  out: Uint8Array,
  stride: number,
  outOff: number,
): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  // WebAssembly SIMD for k = 4, 8, 16, 32 (whole blocks of input), the JS kernels for the rest.
  const done = simdSplit(input, inOff, Math.min(groups, Math.floor(Math.max(0, input.length - inOff) / k)), k, out, stride, outOff);
  stripeIntoPortable(input, inOff + done * k, groups - done, k, out, stride, outOff + done);
}

/**
 * stripeInto that also writes the parity stripes (XOR for p = 1, else the Cauchy
 * Reed–Solomon rows of parity.ts) of the groups it handles with the SIMD kernels, parity i
 * to parity[parityOff + i·parityStride + g]; returns that number of leading groups (maybe
 * 0). The caller computes the parity of the rest.
 */
export function stripeIntoParity(
  input: Uint8Array,
  inOff: number,
  groups: number,
  layout: Layout,
  out: Uint8Array,
  stride: number,
  outOff: number,
  parity: Uint8Array,
  parityOff: number,
  parityStride: number,
): number {
  const { k, p } = checkLayout(layout);
  if (groups <= 0) return 0;
  const fit = Math.min(groups, Math.floor(Math.max(0, input.length - inOff) / k));
  const done =
    p === 1
      ? simdSplit(input, inOff, fit, k, out, stride, outOff, { buf: parity, off: parityOff })
      : simdSplit(input, inOff, fit, k, out, stride, outOff, undefined, {
          rows: cachedMatrix(layout),
          buf: parity,
          off: parityOff,
          stride: parityStride,
        });
  stripeIntoPortable(input, inOff + done * k, groups - done, k, out, stride, outOff + done);
  return done;
}

/** stripeInto with the JS kernels only (the fallback, and the reference the SIMD path is tested against). */
export function stripeIntoPortable(
  input: Uint8Array,
  inOff: number,
  groups: number,
  k: number,
  out: Uint8Array,
  stride: number,
  outOff: number,
): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  const avail = Math.max(0, input.length - inOff);
  // Groups the specialised kernels may read directly (the window kernel reads one byte past a group).
  let bulk = Math.min(groups, Math.floor(avail / k));
  let done: number;
  if (k === 1) {
    out.set(input.subarray(inOff, inOff + bulk), outOff);
    done = bulk;
  } else if (k === 2) {
    done = bulk & ~1;
    split2(input, inOff, done, out, stride, outOff);
  } else if (k === 4) {
    done = bulk;
    split4(input, inOff, done, out, stride, outOff);
  } else if ((k & 7) === 0) {
    done = bulk;
    splitAligned(input, inOff, done, k, out, stride, outOff);
  } else {
    bulk = Math.min(groups, Math.floor(Math.max(0, avail - 1) / k));
    done = bulk;
    splitWindow(input, inOff, 0, done, k, out, stride, outOff);
  }
  if (done < groups) {
    const rest = groups - done;
    const tmp = new Uint8Array(rest * k + 1);
    const from = inOff + done * k;
    if (from < input.length) tmp.set(input.subarray(from, Math.min(input.length, from + rest * k)));
    splitWindow(tmp, 0, 0, rest, k, out, stride, outOff + done);
  }
}

/**
 * Inverse of stripeInto: read stripe s, group g from src[srcOff + s * stride + g] and write
 * groups × k bytes to out starting at outOff. `out` must have one spare byte after the
 * last group written (callers allocate k·groups + 1); its value is unspecified afterwards.
 */
export function unstripeInto(
  src: Uint8Array,
  srcOff: number,
  stride: number,
  groups: number,
  k: number,
  out: Uint8Array,
  outOff: number,
): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  if (out.length < outOff + groups * k + 1) throw new RangeError('unstripeInto needs one spare output byte');
  const done = simdJoin(src, srcOff, stride, groups, k, out, outOff);
  unstripeIntoPortable(src, srcOff + done, stride, groups - done, k, out, outOff + done * k);
}

/** unstripeInto with the JS kernels only. */
export function unstripeIntoPortable(
  src: Uint8Array,
  srcOff: number,
  stride: number,
  groups: number,
  k: number,
  out: Uint8Array,
  outOff: number,
): void {
  checkLayout({ k, p: k === 1 ? 1 : 0 });
  if (groups <= 0) return;
  if (out.length < outOff + groups * k + 1) throw new RangeError('unstripeInto needs one spare output byte');
  let done: number;
  if (k === 1) {
    out.set(src.subarray(srcOff, srcOff + groups), outOff);
    done = groups;
  } else if (k === 2) {
    done = groups & ~1;
    join2(src, srcOff, stride, done, out, outOff);
  } else if (k === 4) {
    done = groups;
    join4(src, srcOff, stride, done, out, outOff);
  } else if ((k & 7) === 0) {
    done = groups;
    joinAligned(src, srcOff, stride, done, k, out, outOff);
  } else {
    done = 0;
  }
  if (done < groups) {
    const at = outOff + done * k;
    out.fill(0, at, outOff + groups * k + 1);
    joinWindow(src, srcOff + done, stride, groups - done, k, out, at);
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A little-endian 32-bit view of `count` words at buf[off], if the platform and alignment allow. */
function words(buf: Uint8Array, off: number, count: number): Uint32Array | undefined {
  if (!LITTLE_ENDIAN || ((buf.byteOffset + off) & 3) !== 0 || count < 16) return undefined;
  return new Uint32Array(buf.buffer, buf.byteOffset + off, count);
}

// k = 2: one word = 2 groups. Index j = (n3 n2 n1 n0 s) → (s n3 n2 n1 n0): the perfect
// outer unshuffle. Stripe 0 gets the high half, stripe 1 the low half.
function split2(input: Uint8Array, inOff: number, groups: number, out: Uint8Array, stride: number, outOff: number): void {
  const o1 = outOff + stride;
  const w = words(input, inOff, groups >> 1);
  if (w) {
    // Little-endian word: index (n3 n2 ~n1 ~n0 ~s) → byte lane 2s + n3, bit 7 - (n2 n1 n0).
    for (let g = 0; g < groups; g += 2) {
      let x = w[g >> 1]!;
      let t: number;
      t = (x ^ (x >>> 1)) & 0x22222222;
      x ^= t ^ (t << 1);
      t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
      x ^= t ^ (t << 2);
      t = (x ^ (x >>> 12)) & 0x000f000f;
      x ^= t ^ (t << 12);
      t = (x ^ (x >>> 8)) & 0x0000ff00;
      x ^= t ^ (t << 8);
      out[outOff + g] = x;
      out[outOff + g + 1] = x >>> 8;
      out[o1 + g] = x >>> 16;
      out[o1 + g + 1] = x >>> 24;
    }
    return;
  }
  for (let g = 0, i = inOff; g < groups; g += 2, i += 4) {
    let x = (input[i]! << 24) | (input[i + 1]! << 16) | (input[i + 2]! << 8) | input[i + 3]!;
    let t: number;
    t = (x ^ (x >>> 1)) & 0x22222222;
    x ^= t ^ (t << 1);
    t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
    x ^= t ^ (t << 2);
    t = (x ^ (x >>> 4)) & 0x00f000f0;
    x ^= t ^ (t << 4);
    t = (x ^ (x >>> 8)) & 0x0000ff00;
    x ^= t ^ (t << 8);
    out[outOff + g] = x >>> 24;
    out[outOff + g + 1] = x >>> 16;
    out[o1 + g] = x >>> 8;
    out[o1 + g + 1] = x;
  }
}

function join2(src: Uint8Array, srcOff: number, stride: number, groups: number, out: Uint8Array, outOff: number): void {
  const s1 = srcOff + stride;
  const w = words(out, outOff, groups >> 1);
  if (w) {
    for (let g = 0; g < groups; g += 2) {
      let x = src[srcOff + g]! | (src[srcOff + g + 1]! << 8) | (src[s1 + g]! << 16) | (src[s1 + g + 1]! << 24);
      let t: number;
      t = (x ^ (x >>> 8)) & 0x0000ff00;
      x ^= t ^ (t << 8);
      t = (x ^ (x >>> 12)) & 0x000f000f;
      x ^= t ^ (t << 12);
      t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
      x ^= t ^ (t << 2);
      t = (x ^ (x >>> 1)) & 0x22222222;
      x ^= t ^ (t << 1);
      w[g >> 1] = x;
    }
    return;
  }
  for (let g = 0, o = outOff; g < groups; g += 2, o += 4) {
    let x = (src[srcOff + g]! << 24) | (src[srcOff + g + 1]! << 16) | (src[s1 + g]! << 8) | src[s1 + g + 1]!;
    let t: number;
    t = (x ^ (x >>> 8)) & 0x0000ff00;
    x ^= t ^ (t << 8);
    t = (x ^ (x >>> 4)) & 0x00f000f0;
    x ^= t ^ (t << 4);
    t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
    x ^= t ^ (t << 2);
    t = (x ^ (x >>> 1)) & 0x22222222;
    x ^= t ^ (t << 1);
    out[o] = x >>> 24;
    out[o + 1] = x >>> 16;
    out[o + 2] = x >>> 8;
    out[o + 3] = x;
  }
}

// k = 4: one word = 1 group, an 8 × 4 bit matrix. Index j = (t2 t1 t0 s1 s0) →
// (s1 s0 t2 t1 t0) in 4 index-bit swaps; stripe s ends in byte lane s.
function split4(input: Uint8Array, inOff: number, groups: number, out: Uint8Array, stride: number, outOff: number): void {
  const o1 = outOff + stride,
    o2 = o1 + stride,
    o3 = o2 + stride;
  const w = words(input, inOff, groups);
  if (w) {
    // Little-endian word: index (t2 t1 ~t0 ~s1 ~s0) → byte lane s, bit 7 - t.
    for (let g = 0; g < groups; g++) {
      let x = w[g]!;
      let t: number;
      t = (x ^ (x >>> 1)) & 0x22222222;
      x ^= t ^ (t << 1);
      t = (x ^ (x >>> 3)) & 0x0a0a0a0a;
      x ^= t ^ (t << 3);
      t = (x ^ (x >>> 10)) & 0x00330033;
      x ^= t ^ (t << 10);
      t = (x ^ (x >>> 20)) & 0x00000f0f;
      x ^= t ^ (t << 20);
      out[outOff + g] = x;
      out[o1 + g] = x >>> 8;
      out[o2 + g] = x >>> 16;
      out[o3 + g] = x >>> 24;
    }
    return;
  }
  for (let g = 0, i = inOff; g < groups; g++, i += 4) {
    let x = (input[i]! << 24) | (input[i + 1]! << 16) | (input[i + 2]! << 8) | input[i + 3]!;
    let t: number;
    t = (x ^ (x >>> 1)) & 0x22222222;
    x ^= t ^ (t << 1);
    t = (x ^ (x >>> 3)) & 0x0a0a0a0a;
    x ^= t ^ (t << 3);
    t = (x ^ (x >>> 6)) & 0x00cc00cc;
    x ^= t ^ (t << 6);
    t = (x ^ (x >>> 12)) & 0x0000f0f0;
    x ^= t ^ (t << 12);
    out[outOff + g] = x >>> 24;
    out[o1 + g] = x >>> 16;
    out[o2 + g] = x >>> 8;
    out[o3 + g] = x;
  }
}

function join4(src: Uint8Array, srcOff: number, stride: number, groups: number, out: Uint8Array, outOff: number): void {
  const s1 = srcOff + stride,
    s2 = s1 + stride,
    s3 = s2 + stride;
  const w = words(out, outOff, groups);
  if (w) {
    for (let g = 0; g < groups; g++) {
      let x = src[srcOff + g]! | (src[s1 + g]! << 8) | (src[s2 + g]! << 16) | (src[s3 + g]! << 24);
      let t: number;
      t = (x ^ (x >>> 20)) & 0x00000f0f;
      x ^= t ^ (t << 20);
      t = (x ^ (x >>> 10)) & 0x00330033;
      x ^= t ^ (t << 10);
      t = (x ^ (x >>> 3)) & 0x0a0a0a0a;
      x ^= t ^ (t << 3);
      t = (x ^ (x >>> 1)) & 0x22222222;
      x ^= t ^ (t << 1);
      w[g] = x;
    }
    return;
  }
  for (let g = 0, o = outOff; g < groups; g++, o += 4) {
    let x = (src[srcOff + g]! << 24) | (src[s1 + g]! << 16) | (src[s2 + g]! << 8) | src[s3 + g]!;
    let t: number;
    t = (x ^ (x >>> 12)) & 0x0000f0f0;
    x ^= t ^ (t << 12);
    t = (x ^ (x >>> 6)) & 0x00cc00cc;
    x ^= t ^ (t << 6);
    t = (x ^ (x >>> 3)) & 0x0a0a0a0a;
    x ^= t ^ (t << 3);
    t = (x ^ (x >>> 1)) & 0x22222222;
    x ^= t ^ (t << 1);
    out[o] = x >>> 24;
    out[o + 1] = x >>> 16;
    out[o + 2] = x >>> 8;
    out[o + 3] = x;
  }
}

// 8 × 8 bit transpose on two words (rows 0–3 in hi, 4–7 in lo, row 0 most significant).
// Written out inline in each kernel below; it is its own inverse.

function splitAligned(input: Uint8Array, inOff: number, groups: number, k: number, out: Uint8Array, stride: number, outOff: number): void {
  const rb = k >> 3; // bytes per row
  for (let c = 0; c < rb; c++) {
    const o0 = outOff + 8 * c * stride;
    const o1 = o0 + stride,
      o2 = o1 + stride,
      o3 = o2 + stride,
      o4 = o3 + stride,
      o5 = o4 + stride,
      o6 = o5 + stride,
      o7 = o6 + stride;
    for (let g = 0, i = inOff + c; g < groups; g++, i += k) {
      let x = (input[i]! << 24) | (input[i + rb]! << 16) | (input[i + 2 * rb]! << 8) | input[i + 3 * rb]!;
      let y = (input[i + 4 * rb]! << 24) | (input[i + 5 * rb]! << 16) | (input[i + 6 * rb]! << 8) | input[i + 7 * rb]!;
      let t: number;
      t = (x ^ (x >>> 7)) & 0x00aa00aa;
      x ^= t ^ (t << 7);
      t = (y ^ (y >>> 7)) & 0x00aa00aa;
      y ^= t ^ (t << 7);
      t = (x ^ (x >>> 14)) & 0x0000cccc;
      x ^= t ^ (t << 14);
      t = (y ^ (y >>> 14)) & 0x0000cccc;
      y ^= t ^ (t << 14);
      t = (x & 0xf0f0f0f0) | ((y >>> 4) & 0x0f0f0f0f);
      y = ((x << 4) & 0xf0f0f0f0) | (y & 0x0f0f0f0f);
      out[o0 + g] = t >>> 24;
      out[o1 + g] = t >>> 16;
      out[o2 + g] = t >>> 8;
      out[o3 + g] = t;
      out[o4 + g] = y >>> 24;
      out[o5 + g] = y >>> 16;
      out[o6 + g] = y >>> 8;
      out[o7 + g] = y;
    }
  }
}

function joinAligned(src: Uint8Array, srcOff: number, stride: number, groups: number, k: number, out: Uint8Array, outOff: number): void {
  const rb = k >> 3;
  for (let c = 0; c < rb; c++) {
    const s0 = srcOff + 8 * c * stride;
    const s1 = s0 + stride,
      s2 = s1 + stride,
      s3 = s2 + stride,
      s4 = s3 + stride,
      s5 = s4 + stride,
      s6 = s5 + stride,
      s7 = s6 + stride;
    for (let g = 0, o = outOff + c; g < groups; g++, o += k) {
      let x = (src[s0 + g]! << 24) | (src[s1 + g]! << 16) | (src[s2 + g]! << 8) | src[s3 + g]!;
      let y = (src[s4 + g]! << 24) | (src[s5 + g]! << 16) | (src[s6 + g]! << 8) | src[s7 + g]!;
      let t: number;
      t = (x ^ (x >>> 7)) & 0x00aa00aa;
      x ^= t ^ (t << 7);
      t = (y ^ (y >>> 7)) & 0x00aa00aa;
      y ^= t ^ (t << 7);
      t = (x ^ (x >>> 14)) & 0x0000cccc;
      x ^= t ^ (t << 14);
      t = (y ^ (y >>> 14)) & 0x0000cccc;
      y ^= t ^ (t << 14);
      t = (x & 0xf0f0f0f0) | ((y >>> 4) & 0x0f0f0f0f);
      y = ((x << 4) & 0xf0f0f0f0) | (y & 0x0f0f0f0f);
      out[o] = t >>> 24;
      out[o + rb] = t >>> 16;
      out[o + 2 * rb] = t >>> 8;
      out[o + 3 * rb] = t;
      out[o + 4 * rb] = y >>> 24;
      out[o + 5 * rb] = y >>> 16;
      out[o + 6 * rb] = y >>> 8;
      out[o + 7 * rb] = y;
    }
  }
}

/** Row t, block c of a group starts at bit t·k + 8c: byte q = that >> 3, shift r = that & 7. */
function windowPlan(k: number): Int32Array {
  const blocks = Math.ceil(k / 8);
  const plan = new Int32Array(16 * blocks);
  for (let c = 0; c < blocks; c++) {
    for (let t = 0; t < 8; t++) {
      const off = t * k + 8 * c;
      plan[16 * c + 2 * t] = off >> 3;
      plan[16 * c + 2 * t + 1] = off & 7;
    }
  }
  return plan;
}

const plans = new Map<number, Int32Array>();
function planFor(k: number): Int32Array {
  let plan = plans.get(k);
  if (!plan) plans.set(k, (plan = windowPlan(k)));
  return plan;
}

/** Any k: reads one byte past each group (the caller guarantees it exists). */
function splitWindow(
  input: Uint8Array,
  inOff: number,
  g0: number,
  g1: number,
  k: number,
  out: Uint8Array,
  stride: number,
  outOff: number,
): void {
  const plan = planFor(k);
  const blocks = Math.ceil(k / 8);
  for (let c = 0; c < blocks; c++) {
    const lanes = Math.min(8, k - 8 * c);
    const p = 16 * c;
    const q0 = plan[p]!,
      r0 = plan[p + 1]!,
      q1 = plan[p + 2]!,
      r1 = plan[p + 3]!,
      q2 = plan[p + 4]!,
      r2 = plan[p + 5]!,
      q3 = plan[p + 6]!,
      r3 = plan[p + 7]!;
    const q4 = plan[p + 8]!,
      r4 = plan[p + 9]!,
      q5 = plan[p + 10]!,
      r5 = plan[p + 11]!,
      q6 = plan[p + 12]!,
      r6 = plan[p + 13]!,
      q7 = plan[p + 14]!,
      r7 = plan[p + 15]!;
    const o0 = outOff + 8 * c * stride;
    for (let g = g0, b = inOff + g0 * k; g < g1; g++, b += k) {
      let x = ((((input[b + q0]! << 8) | input[b + q0 + 1]!) << r0) & 0xff00) << 16;
      x |= ((((input[b + q1]! << 8) | input[b + q1 + 1]!) << r1) & 0xff00) << 8;
      x |= (((input[b + q2]! << 8) | input[b + q2 + 1]!) << r2) & 0xff00;
      x |= ((((input[b + q3]! << 8) | input[b + q3 + 1]!) << r3) & 0xff00) >>> 8;
      let y = ((((input[b + q4]! << 8) | input[b + q4 + 1]!) << r4) & 0xff00) << 16;
      y |= ((((input[b + q5]! << 8) | input[b + q5 + 1]!) << r5) & 0xff00) << 8;
      y |= (((input[b + q6]! << 8) | input[b + q6 + 1]!) << r6) & 0xff00;
      y |= ((((input[b + q7]! << 8) | input[b + q7 + 1]!) << r7) & 0xff00) >>> 8;
      let t: number;
      t = (x ^ (x >>> 7)) & 0x00aa00aa;
      x ^= t ^ (t << 7);
      t = (y ^ (y >>> 7)) & 0x00aa00aa;
      y ^= t ^ (t << 7);
      t = (x ^ (x >>> 14)) & 0x0000cccc;
      x ^= t ^ (t << 14);
      t = (y ^ (y >>> 14)) & 0x0000cccc;
      y ^= t ^ (t << 14);
      t = (x & 0xf0f0f0f0) | ((y >>> 4) & 0x0f0f0f0f);
      y = ((x << 4) & 0xf0f0f0f0) | (y & 0x0f0f0f0f);
      const o = o0 + g;
      out[o] = t >>> 24;
      if (lanes > 1) out[o + stride] = t >>> 16;
      if (lanes > 2) out[o + 2 * stride] = t >>> 8;
      if (lanes > 3) out[o + 3 * stride] = t;
      if (lanes > 4) out[o + 4 * stride] = y >>> 24;
      if (lanes > 5) out[o + 5 * stride] = y >>> 16;
      if (lanes > 6) out[o + 6 * stride] = y >>> 8;
      if (lanes > 7) out[o + 7 * stride] = y;
    }
  }
}

/** Any k: ORs each row into `out`, which must be zero over the groups plus one spare byte. */
function joinWindow(src: Uint8Array, srcOff: number, stride: number, groups: number, k: number, out: Uint8Array, outOff: number): void {
  const plan = planFor(k);
  const blocks = Math.ceil(k / 8);
  for (let c = 0; c < blocks; c++) {
    const lanes = Math.min(8, k - 8 * c);
    const p = 16 * c;
    const s0 = srcOff + 8 * c * stride;
    for (let g = 0, b = outOff; g < groups; g++, b += k) {
      const i = s0 + g;
      let x = src[i]! << 24,
        y = 0;
      if (lanes > 1) x |= src[i + stride]! << 16;
      if (lanes > 2) x |= src[i + 2 * stride]! << 8;
      if (lanes > 3) x |= src[i + 3 * stride]!;
      if (lanes > 4) y |= src[i + 4 * stride]! << 24;
      if (lanes > 5) y |= src[i + 5 * stride]! << 16;
      if (lanes > 6) y |= src[i + 6 * stride]! << 8;
      if (lanes > 7) y |= src[i + 7 * stride]!;
      let t: number;
      t = (x ^ (x >>> 7)) & 0x00aa00aa;
      x ^= t ^ (t << 7);
      t = (y ^ (y >>> 7)) & 0x00aa00aa;
      y ^= t ^ (t << 7);
      t = (x ^ (x >>> 14)) & 0x0000cccc;
      x ^= t ^ (t << 14);
      t = (y ^ (y >>> 14)) & 0x0000cccc;
      y ^= t ^ (t << 14);
      t = (x & 0xf0f0f0f0) | ((y >>> 4) & 0x0f0f0f0f);
      y = ((x << 4) & 0xf0f0f0f0) | (y & 0x0f0f0f0f);
      // Row r's 8 bits for this block; columns beyond k are zero, so spilling into the
      // next row or group only ORs zeros.
      for (let r = 0; r < 8; r++) {
        const v = (r < 4 ? t >>> (24 - 8 * r) : y >>> (56 - 8 * r)) & 255;
        if (v === 0) continue;
        const at = b + plan[p + 2 * r]!;
        const sh = plan[p + 2 * r + 1]!;
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
