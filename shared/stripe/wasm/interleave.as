// AssemblyScript source of the WebAssembly SIMD interleave kernels (see ../interleave.ts
// for the bit layout). Built by tools/build-wasm.mjs into interleave-wasm.ts; the .as
// extension keeps it out of the TypeScript project.
//
// Every kernel works on blocks of 16 "wide groups" of 8m bytes (m = k / 8, or m = 1 for
// k = 4, where a wide group is two k = 4 groups):
// 1. byte transpose: unzip stages (even bytes / odd bytes of each vector pair) rotate the
//    byte index (g, t, c) of the block to (t, c, g), so vector t·m + c holds row t of
//    block c for the 16 groups;
// 2. an 8 × 8 bit transpose across the 8 row vectors of each block (3 delta-swap rounds,
//    each byte lane independent) gives one vector per stripe;
// 3. k = 4 only: the two half-stripes s and s + 4 are bit-interleaved into stripe s.
// The join kernels run the same steps backwards (the bit transpose is its own inverse).
// Memory: the scratch area at SCRATCH (2 × 512 bytes); the caller owns everything else.

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

/** k = 8m (m = 1, 2, 4): `blocks` × 16 groups from src to k stripes at dst + s·stride. */
export function split8(src: usize, blocks: i32, m: i32, dst: usize, stride: usize): void {
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
  const lm = m === 1 ? 0 : m === 2 ? 1 : 2;
  const k = <usize>(8 * m);
  for (let j = 0; j < blocks; j++) {
    const i = src + (<usize>j) * 16;
    for (let c = 0; c < m; c++) bitTranspose(i + 8 * <usize>c * stride, stride, SCRATCH + 16 * <usize>c, 16 * <usize>m);
    fromRows(SCRATCH, dst + (<usize>j) * 16 * k, m, lm);
  }
}

// 8-bit outer perfect shuffle (a0..a3 b0..b3 → a0 b0 a1 b1 ..), in every byte lane.
// @ts-ignore: decorator
@inline function shuffle8(x: v128): v128 {
  let t = v128.and(v128.xor(x, i64x2.shr_u(x, 2)), i8x16.splat(0x0c)); x = v128.xor(x, v128.xor(t, i64x2.shl(t, 2)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 1)), i8x16.splat(0x22)); return v128.xor(x, v128.xor(t, i64x2.shl(t, 1)));
}
// @ts-ignore: decorator
@inline function unshuffle8(x: v128): v128 {
  let t = v128.and(v128.xor(x, i64x2.shr_u(x, 1)), i8x16.splat(0x22)); x = v128.xor(x, v128.xor(t, i64x2.shl(t, 1)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 2)), i8x16.splat(0x0c)); return v128.xor(x, v128.xor(t, i64x2.shl(t, 2)));
}

const HALVES: usize = SCRATCH + 1024; // 8 vectors: the half-stripes of a k = 4 block

/** k = 4: `blocks` × 32 groups (128 bytes) from src to 4 stripes at dst + s·stride. */
export function split4(src: usize, blocks: i32, dst: usize, stride: usize): void {
  const hi = i8x16.splat(<i8>0xf0), lo = i8x16.splat(0x0f);
  for (let j = 0; j < blocks; j++) {
    const rows = toRows(src + (<usize>j) * 128, 1, 0);
    bitTranspose(rows, 16, HALVES, 16);
    const o = dst + (<usize>j) * 32;
    for (let s = 0; s < 4; s++) {
      const a = v128.load(HALVES + 16 * <usize>s), b = v128.load(HALVES + 16 * <usize>(s + 4));
      const x = shuffle8(v128.or(v128.and(a, hi), v128.and(i64x2.shr_u(b, 4), lo)));
      const y = shuffle8(v128.or(v128.and(i64x2.shl(a, 4), hi), v128.and(b, lo)));
      const p = o + <usize>s * stride;
      v128.store(p, i8x16.shuffle(x, y, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      v128.store(p + 16, i8x16.shuffle(x, y, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
  }
}

/** Inverse of split4. */
export function join4(src: usize, stride: usize, blocks: i32, dst: usize): void {
  const hi = i8x16.splat(<i8>0xf0), lo = i8x16.splat(0x0f);
  for (let j = 0; j < blocks; j++) {
    const i = src + (<usize>j) * 32;
    for (let s = 0; s < 4; s++) {
      const p = i + <usize>s * stride;
      const l = v128.load(p), h = v128.load(p + 16);
      const x = unshuffle8(i8x16.shuffle(l, h, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
      const y = unshuffle8(i8x16.shuffle(l, h, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
      v128.store(HALVES + 16 * <usize>s, v128.or(v128.and(x, hi), v128.and(i64x2.shr_u(y, 4), lo)));
      v128.store(HALVES + 16 * <usize>(s + 4), v128.or(v128.and(i64x2.shl(x, 4), hi), v128.and(y, lo)));
    }
    bitTranspose(HALVES, 16, SCRATCH, 16);
    fromRows(SCRATCH, dst + (<usize>j) * 128, 1, 0);
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
  for (let i = 0; i < p; i++) {
    const t0 = tables + 32 * <usize>(i * k);
    const d = dst + (<usize>i) * w;
    for (let o: usize = 0; o < w; o += 16) {
      let acc = i8x16.splat(0);
      for (let j = 0; j < k; j++) {
        const x = v128.load(src + (<usize>j) * w + o);
        const t = t0 + 32 * <usize>j;
        acc = v128.xor(acc, i8x16.swizzle(v128.load(t), v128.and(x, lo)));
        acc = v128.xor(acc, i8x16.swizzle(v128.load(t + 16), v128.and(i16x8.shr_u(x, 4), lo)));
      }
      v128.store(d + o, acc);
    }
  }
}
