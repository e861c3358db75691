// AssemblyScript source of the WebAssembly SIMD interleave kernels (see ../interleave.ts
// for the bit layout). Built by tools/build-wasm.mjs into interleave-wasm.ts; the .as
// extension keeps it out of the TypeScript project.
//
// The k = 8, 16, 32 kernels work on blocks of 16 groups of 8m bytes (m = k / 8):
// 1. byte transpose: unzip stages (even bytes / odd bytes of each vector pair) rotate the
//    byte index (g, t, c) of the block to (t, c, g), so vector t·m + c holds row t of
//    block c for the 16 groups;
// 2. an 8 × 8 bit transpose across the 8 row vectors of each block (3 delta-swap rounds,
//    each byte lane independent) gives one vector per stripe;
// The join kernels run the same steps backwards (the bit transpose is its own inverse).
// k = 4 has its own register-only kernels (below). Memory: the scratch area at SCRATCH
// (2 × 512 bytes); the caller owns everything else.

const SCRATCH: usize = 1024;

// @ts-ignore: decorator
@inline function unzipStage(src: usize, dst: usize, n: i32): void {
  const h = n >> 1;
  for (let u = 0; u < h; u++) {
    const a = v128.load(src + ((<usize>u) << 5));
    const b = v128.load(src + ((<usize>u) << 5) + 16);
    v128.store(dst + ((<usize>u) << 4), i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
    v128.store(dst + ((<usize>(u + h)) << 4), i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
  }
}

// @ts-ignore: decorator
@inline function zipStage(src: usize, dst: usize, n: i32): void {
  const h = n >> 1;
  for (let u = 0; u < h; u++) {
    const a = v128.load(src + ((<usize>u) << 4));
    const b = v128.load(src + ((<usize>(u + h)) << 4));
    v128.store(dst + ((<usize>u) << 5), i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
    v128.store(dst + ((<usize>u) << 5) + 16, i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
  }
}

/** 8 × 8 bit transpose in every byte lane: row i at src + i·ss, result row i to dst + i·ds. */
// @ts-ignore: decorator
@inline function bitTranspose(src: usize, ss: usize, dst: usize, ds: usize): void {
  let r0 = v128.load(src), r1 = v128.load(src + ss), r2 = v128.load(src + 2 * ss), r3 = v128.load(src + 3 * ss);
  let r4 = v128.load(src + 4 * ss), r5 = v128.load(src + 5 * ss), r6 = v128.load(src + 6 * ss), r7 = v128.load(src + 7 * ss);
  const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
  let t: v128;
  t = v128.and(v128.xor(r0, i64x2.shr_u(r1, 1)), m1); r0 = v128.xor(r0, t); r1 = v128.xor(r1, i64x2.shl(t, 1));
  t = v128.and(v128.xor(r2, i64x2.shr_u(r3, 1)), m1); r2 = v128.xor(r2, t); r3 = v128.xor(r3, i64x2.shl(t, 1));
  t = v128.and(v128.xor(r4, i64x2.shr_u(r5, 1)), m1); r4 = v128.xor(r4, t); r5 = v128.xor(r5, i64x2.shl(t, 1));
  t = v128.and(v128.xor(r6, i64x2.shr_u(r7, 1)), m1); r6 = v128.xor(r6, t); r7 = v128.xor(r7, i64x2.shl(t, 1));
  t = v128.and(v128.xor(r0, i64x2.shr_u(r2, 2)), m2); r0 = v128.xor(r0, t); r2 = v128.xor(r2, i64x2.shl(t, 2));
  t = v128.and(v128.xor(r1, i64x2.shr_u(r3, 2)), m2); r1 = v128.xor(r1, t); r3 = v128.xor(r3, i64x2.shl(t, 2));
  t = v128.and(v128.xor(r4, i64x2.shr_u(r6, 2)), m2); r4 = v128.xor(r4, t); r6 = v128.xor(r6, i64x2.shl(t, 2));
  t = v128.and(v128.xor(r5, i64x2.shr_u(r7, 2)), m2); r5 = v128.xor(r5, t); r7 = v128.xor(r7, i64x2.shl(t, 2));
  t = v128.and(v128.xor(r0, i64x2.shr_u(r4, 4)), m4); r0 = v128.xor(r0, t); r4 = v128.xor(r4, i64x2.shl(t, 4));
  t = v128.and(v128.xor(r1, i64x2.shr_u(r5, 4)), m4); r1 = v128.xor(r1, t); r5 = v128.xor(r5, i64x2.shl(t, 4));
  t = v128.and(v128.xor(r2, i64x2.shr_u(r6, 4)), m4); r2 = v128.xor(r2, t); r6 = v128.xor(r6, i64x2.shl(t, 4));
  t = v128.and(v128.xor(r3, i64x2.shr_u(r7, 4)), m4); r3 = v128.xor(r3, t); r7 = v128.xor(r7, i64x2.shl(t, 4));
  v128.store(dst, r0); v128.store(dst + ds, r1); v128.store(dst + 2 * ds, r2); v128.store(dst + 3 * ds, r3);
  v128.store(dst + 4 * ds, r4); v128.store(dst + 5 * ds, r5); v128.store(dst + 6 * ds, r6); v128.store(dst + 7 * ds, r7);
}

/** Unzip stages for one block of 16 wide groups of 8m bytes at src; returns where the rows are. */
// @ts-ignore: decorator
@inline function toRows(src: usize, m: i32, lm: i32): usize {
  const n = 8 * m;
  const a = SCRATCH, b = SCRATCH + 512;
  unzipStage(src, a, n);
  let from = a, to = b;
  for (let i = 1; i < 3 + lm; i++) {
    unzipStage(from, to, n);
    const x = from; from = to; to = x;
  }
  return from;
}

/** Zip stages back from rows at SCRATCH-area `rows` to 16 wide groups at dst. */
// @ts-ignore: decorator
@inline function fromRows(rows: usize, dst: usize, m: i32, lm: i32): void {
  const n = 8 * m;
  let from = rows, to = rows === SCRATCH ? SCRATCH + 512 : SCRATCH;
  for (let i = 1; i < 3 + lm; i++) {
    zipStage(from, to, n);
    const x = from; from = to; to = x;
  }
  zipStage(from, dst, n);
}

// k = 8 (m = 1) keeps a block's eight vectors in registers through the three unzip (or
// zip) stages and the bit transpose, instead of passing them through SCRATCH.

// @ts-ignore: decorator
@inline function even(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
// @ts-ignore: decorator
@inline function odd(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}
// @ts-ignore: decorator
@inline function zipLo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline function zipHi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

function split8x1(src: usize, blocks: i32, dst: usize, stride: usize): void {
  const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
  for (let j = 0; j < blocks; j++) {
    const i = src + (<usize>j) * 128;
    let v0 = v128.load(i), v1 = v128.load(i + 16), v2 = v128.load(i + 32), v3 = v128.load(i + 48);
    let v4 = v128.load(i + 64), v5 = v128.load(i + 80), v6 = v128.load(i + 96), v7 = v128.load(i + 112);
    let w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128;
    // Three unzip stages: vector t ends up holding byte t of each of the 16 groups.
    w0 = even(v0, v1); w4 = odd(v0, v1); w1 = even(v2, v3); w5 = odd(v2, v3);
    w2 = even(v4, v5); w6 = odd(v4, v5); w3 = even(v6, v7); w7 = odd(v6, v7);
    v0 = even(w0, w1); v4 = odd(w0, w1); v1 = even(w2, w3); v5 = odd(w2, w3);
    v2 = even(w4, w5); v6 = odd(w4, w5); v3 = even(w6, w7); v7 = odd(w6, w7);
    let r0 = even(v0, v1), r4 = odd(v0, v1), r1 = even(v2, v3), r5 = odd(v2, v3);
    let r2 = even(v4, v5), r6 = odd(v4, v5), r3 = even(v6, v7), r7 = odd(v6, v7);
    let t: v128;
    t = v128.and(v128.xor(r0, i64x2.shr_u(r1, 1)), m1); r0 = v128.xor(r0, t); r1 = v128.xor(r1, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r2, i64x2.shr_u(r3, 1)), m1); r2 = v128.xor(r2, t); r3 = v128.xor(r3, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r4, i64x2.shr_u(r5, 1)), m1); r4 = v128.xor(r4, t); r5 = v128.xor(r5, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r6, i64x2.shr_u(r7, 1)), m1); r6 = v128.xor(r6, t); r7 = v128.xor(r7, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r0, i64x2.shr_u(r2, 2)), m2); r0 = v128.xor(r0, t); r2 = v128.xor(r2, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r1, i64x2.shr_u(r3, 2)), m2); r1 = v128.xor(r1, t); r3 = v128.xor(r3, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r4, i64x2.shr_u(r6, 2)), m2); r4 = v128.xor(r4, t); r6 = v128.xor(r6, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r5, i64x2.shr_u(r7, 2)), m2); r5 = v128.xor(r5, t); r7 = v128.xor(r7, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r0, i64x2.shr_u(r4, 4)), m4); r0 = v128.xor(r0, t); r4 = v128.xor(r4, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r1, i64x2.shr_u(r5, 4)), m4); r1 = v128.xor(r1, t); r5 = v128.xor(r5, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r2, i64x2.shr_u(r6, 4)), m4); r2 = v128.xor(r2, t); r6 = v128.xor(r6, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r3, i64x2.shr_u(r7, 4)), m4); r3 = v128.xor(r3, t); r7 = v128.xor(r7, i64x2.shl(t, 4));
    const o = dst + (<usize>j) * 16;
    v128.store(o, r0); v128.store(o + stride, r1); v128.store(o + 2 * stride, r2); v128.store(o + 3 * stride, r3);
    v128.store(o + 4 * stride, r4); v128.store(o + 5 * stride, r5); v128.store(o + 6 * stride, r6); v128.store(o + 7 * stride, r7);
  }
}

function join8x1(src: usize, stride: usize, blocks: i32, dst: usize): void {
  const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
  for (let j = 0; j < blocks; j++) {
    const i = src + (<usize>j) * 16;
    let r0 = v128.load(i), r1 = v128.load(i + stride), r2 = v128.load(i + 2 * stride), r3 = v128.load(i + 3 * stride);
    let r4 = v128.load(i + 4 * stride), r5 = v128.load(i + 5 * stride), r6 = v128.load(i + 6 * stride), r7 = v128.load(i + 7 * stride);
    let t: v128;
    t = v128.and(v128.xor(r0, i64x2.shr_u(r1, 1)), m1); r0 = v128.xor(r0, t); r1 = v128.xor(r1, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r2, i64x2.shr_u(r3, 1)), m1); r2 = v128.xor(r2, t); r3 = v128.xor(r3, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r4, i64x2.shr_u(r5, 1)), m1); r4 = v128.xor(r4, t); r5 = v128.xor(r5, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r6, i64x2.shr_u(r7, 1)), m1); r6 = v128.xor(r6, t); r7 = v128.xor(r7, i64x2.shl(t, 1));
    t = v128.and(v128.xor(r0, i64x2.shr_u(r2, 2)), m2); r0 = v128.xor(r0, t); r2 = v128.xor(r2, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r1, i64x2.shr_u(r3, 2)), m2); r1 = v128.xor(r1, t); r3 = v128.xor(r3, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r4, i64x2.shr_u(r6, 2)), m2); r4 = v128.xor(r4, t); r6 = v128.xor(r6, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r5, i64x2.shr_u(r7, 2)), m2); r5 = v128.xor(r5, t); r7 = v128.xor(r7, i64x2.shl(t, 2));
    t = v128.and(v128.xor(r0, i64x2.shr_u(r4, 4)), m4); r0 = v128.xor(r0, t); r4 = v128.xor(r4, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r1, i64x2.shr_u(r5, 4)), m4); r1 = v128.xor(r1, t); r5 = v128.xor(r5, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r2, i64x2.shr_u(r6, 4)), m4); r2 = v128.xor(r2, t); r6 = v128.xor(r6, i64x2.shl(t, 4));
    t = v128.and(v128.xor(r3, i64x2.shr_u(r7, 4)), m4); r3 = v128.xor(r3, t); r7 = v128.xor(r7, i64x2.shl(t, 4));
    // Three zip stages, the unzip stages backwards.
    const v0 = zipLo(r0, r4), v1 = zipHi(r0, r4), v2 = zipLo(r1, r5), v3 = zipHi(r1, r5);
    const v4 = zipLo(r2, r6), v5 = zipHi(r2, r6), v6 = zipLo(r3, r7), v7 = zipHi(r3, r7);
    const w0 = zipLo(v0, v4), w1 = zipHi(v0, v4), w2 = zipLo(v1, v5), w3 = zipHi(v1, v5);
    const w4 = zipLo(v2, v6), w5 = zipHi(v2, v6), w6 = zipLo(v3, v7), w7 = zipHi(v3, v7);
    const d = dst + (<usize>j) * 128;
    v128.store(d, zipLo(w0, w4)); v128.store(d + 16, zipHi(w0, w4)); v128.store(d + 32, zipLo(w1, w5)); v128.store(d + 48, zipHi(w1, w5));
    v128.store(d + 64, zipLo(w2, w6)); v128.store(d + 80, zipHi(w2, w6)); v128.store(d + 96, zipLo(w3, w7)); v128.store(d + 112, zipHi(w3, w7));
  }
}

/** k = 8m (m = 1, 2, 4): `blocks` × 16 groups from src to k stripes at dst + s·stride. */
export function split8(src: usize, blocks: i32, m: i32, dst: usize, stride: usize): void {
  if (m === 1) return split8x1(src, blocks, dst, stride);
  const lm = m === 1 ? 0 : m === 2 ? 1 : 2;
  const k = <usize>(8 * m);
  for (let j = 0; j < blocks; j++) {
    const rows = toRows(src + (<usize>j) * 16 * k, m, lm);
    const o = dst + (<usize>j) * 16;
    for (let c = 0; c < m; c++) bitTranspose(rows + 16 * <usize>c, 16 * <usize>m, o + 8 * <usize>c * stride, stride);
  }
}

/** Inverse of split8. */
export function join8(src: usize, stride: usize, blocks: i32, m: i32, dst: usize): void {
  if (m === 1) return join8x1(src, stride, blocks, dst);
  const lm = m === 1 ? 0 : m === 2 ? 1 : 2;
  const k = <usize>(8 * m);
  for (let j = 0; j < blocks; j++) {
    const i = src + (<usize>j) * 16;
    for (let c = 0; c < m; c++) bitTranspose(i + 8 * <usize>c * stride, stride, SCRATCH + 16 * <usize>c, 16 * <usize>m);
    fromRows(SCRATCH, dst + (<usize>j) * 16 * k, m, lm);
  }
}

// k = 4 works in registers on blocks of 16 groups (64 bytes, four vectors), in three
// steps, each its own inverse or with an inverse table, so the join runs them backwards:
// 1. within each byte, bits (MSB first) m0..m7 become m0 m4 m1 m5 m2 m6 m3 m7: 2-bit
//    field s (MSB first) now holds the two bits stripe s takes from that byte (two nibble
//    lookups);
// 2. within each 32-bit lane (one group: 4 bytes × 4 fields), a 4 × 4 transpose of the
//    2-bit fields (two delta swaps) makes byte s of the lane stripe s's byte;
// 3. a byte transpose inside each vector and a 4 × 4 transpose of 32-bit words across
//    the four vectors gather each stripe's 16 bytes.

// @ts-ignore: decorator
@inline function nibbles(x: v128, lo: v128, hi: v128): v128 {
  return v128.or(i8x16.swizzle(lo, v128.and(x, i8x16.splat(0x0f))), i8x16.swizzle(hi, i8x16.shr_u(x, 4)));
}

// @ts-ignore: decorator
@inline function fields4(x: v128): v128 {
  let t = v128.and(v128.xor(i32x4.shr_u(x, 10), x), i32x4.splat(0x00330033));
  x = v128.xor(x, v128.xor(t, i32x4.shl(t, 10)));
  t = v128.and(v128.xor(i32x4.shr_u(x, 20), x), i32x4.splat(0x00000f0f));
  return v128.xor(x, v128.xor(t, i32x4.shl(t, 20)));
}

// @ts-ignore: decorator
@inline function bytes4(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

/** k = 4: `blocks` × 32 groups (128 bytes) from src to 4 stripes at dst + s·stride. */
export function split4(src: usize, blocks: i32, dst: usize, stride: usize): void {
  const lo = i8x16(0x00, 0x01, 0x04, 0x05, 0x10, 0x11, 0x14, 0x15, 0x40, 0x41, 0x44, 0x45, 0x50, 0x51, 0x54, 0x55);
  const hi = i8x16(0x00, 0x02, 0x08, 0x0a, 0x20, 0x22, 0x28, 0x2a, <i8>0x80, <i8>0x82, <i8>0x88, <i8>0x8a, <i8>0xa0, <i8>0xa2, <i8>0xa8, <i8>0xaa);
  for (let j = 0; j < blocks * 2; j++) {
    const i = src + (<usize>j) * 64;
    const v0 = bytes4(fields4(nibbles(v128.load(i), lo, hi)));
    const v1 = bytes4(fields4(nibbles(v128.load(i + 16), lo, hi)));
    const v2 = bytes4(fields4(nibbles(v128.load(i + 32), lo, hi)));
    const v3 = bytes4(fields4(nibbles(v128.load(i + 48), lo, hi)));
    const a0 = i8x16.shuffle(v0, v1, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const a1 = i8x16.shuffle(v0, v1, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const a2 = i8x16.shuffle(v2, v3, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const a3 = i8x16.shuffle(v2, v3, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const o = dst + (<usize>j) * 16;
    v128.store(o, i8x16.shuffle(a0, a2, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
    v128.store(o + stride, i8x16.shuffle(a0, a2, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
    v128.store(o + 2 * stride, i8x16.shuffle(a1, a3, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
    v128.store(o + 3 * stride, i8x16.shuffle(a1, a3, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
  }
}

/** Inverse of split4. */
export function join4(src: usize, stride: usize, blocks: i32, dst: usize): void {
  const lo = i8x16(0x00, 0x01, 0x10, 0x11, 0x02, 0x03, 0x12, 0x13, 0x20, 0x21, 0x30, 0x31, 0x22, 0x23, 0x32, 0x33);
  const hi = i8x16(0x00, 0x04, 0x40, 0x44, 0x08, 0x0c, 0x48, 0x4c, <i8>0x80, <i8>0x84, <i8>0xc0, <i8>0xc4, <i8>0x88, <i8>0x8c, <i8>0xc8, <i8>0xcc);
  for (let j = 0; j < blocks * 2; j++) {
    const i = src + (<usize>j) * 16;
    const o0 = v128.load(i), o1 = v128.load(i + stride), o2 = v128.load(i + 2 * stride), o3 = v128.load(i + 3 * stride);
    const a0 = i8x16.shuffle(o0, o1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const a2 = i8x16.shuffle(o0, o1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    const a1 = i8x16.shuffle(o2, o3, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const a3 = i8x16.shuffle(o2, o3, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    const d = dst + (<usize>j) * 64;
    v128.store(d, nibbles(fields4(bytes4(i8x16.shuffle(a0, a1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27))), lo, hi));
    v128.store(d + 16, nibbles(fields4(bytes4(i8x16.shuffle(a0, a1, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31))), lo, hi));
    v128.store(d + 32, nibbles(fields4(bytes4(i8x16.shuffle(a2, a3, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27))), lo, hi));
    v128.store(d + 48, nibbles(fields4(bytes4(i8x16.shuffle(a2, a3, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31))), lo, hi));
  }
}

/** XOR parity of the k stripes at src + j·w (w a multiple of 16) into dst. */
export function xorStripes(src: usize, k: i32, w: usize, dst: usize): void {
  for (let i: usize = 0; i < w; i += 16) {
    let x = v128.load(src + i);
    for (let j = 1; j < k; j++) x = v128.xor(x, v128.load(src + (<usize>j) * w + i));
    v128.store(dst + i, x);
  }
}

/**
 * Reed–Solomon parity: for i < p, dst + i·w = Σ_j c[i][j] · (stripe j at src + j·w) over
 * GF(2^8), w a multiple of 16. Each coefficient has two 16-byte product tables at
 * tables + 32·(i·k + j): c·n and c·(n << 4) for n < 16 (one swizzle per nibble).
 */
export function rsStripes(src: usize, k: i32, w: usize, dst: usize, p: i32, tables: usize): void {
  const lo = i8x16.splat(0x0f);
  let i = 0;
  // Two parity rows per pass: each data vector is loaded and split into nibbles once.
  for (; i + 1 < p; i += 2) {
    const t0 = tables + 32 * <usize>(i * k), t1 = tables + 32 * <usize>((i + 1) * k);
    const d0 = dst + (<usize>i) * w, d1 = d0 + w;
    for (let o: usize = 0; o < w; o += 16) {
      let acc0 = i8x16.splat(0), acc1 = i8x16.splat(0);
      for (let j = 0; j < k; j++) {
        const x = v128.load(src + (<usize>j) * w + o);
        const l = v128.and(x, lo), h = i8x16.shr_u(x, 4);
        const a = t0 + 32 * <usize>j, b = t1 + 32 * <usize>j;
        acc0 = v128.xor(acc0, v128.xor(i8x16.swizzle(v128.load(a), l), i8x16.swizzle(v128.load(a + 16), h)));
        acc1 = v128.xor(acc1, v128.xor(i8x16.swizzle(v128.load(b), l), i8x16.swizzle(v128.load(b + 16), h)));
      }
      v128.store(d0 + o, acc0);
      v128.store(d1 + o, acc1);
    }
  }
  if (i < p) {
    const t0 = tables + 32 * <usize>(i * k);
    const d = dst + (<usize>i) * w;
    for (let o: usize = 0; o < w; o += 16) {
      let acc = i8x16.splat(0);
      for (let j = 0; j < k; j++) {
        const x = v128.load(src + (<usize>j) * w + o);
        const t = t0 + 32 * <usize>j;
        acc = v128.xor(acc, v128.xor(i8x16.swizzle(v128.load(t), v128.and(x, lo)), i8x16.swizzle(v128.load(t + 16), i8x16.shr_u(x, 4))));
      }
      v128.store(d + o, acc);
    }
  }
}
