// Loader and window management for the WebAssembly SIMD interleave kernels
// (interleave.as, built by tools/build-wasm.mjs). Pure: the module comes from a base64
// string, so no fs and no host API besides the WebAssembly global. If WebAssembly or its
// SIMD extension is missing, or compiling fails, `simd` is undefined and callers use the
// portable JS kernels.
import { gfMul } from '../gf256.js';
import { INTERLEAVE_WASM } from './interleave-wasm.js';

interface Kernels {
  split8(src: number, blocks: number, m: number, dst: number, stride: number): void;
  join8(src: number, stride: number, blocks: number, m: number, dst: number): void;
  split4(src: number, blocks: number, dst: number, stride: number): void;
  join4(src: number, stride: number, blocks: number, dst: number): void;
  xorStripes(src: number, k: number, w: number, dst: number): void;
  rsStripes(src: number, k: number, w: number, dst: number, p: number, tables: number): void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const val = new Uint8Array(128);
  for (let i = 0; i < 64; i++) val[B64.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array((clean.length * 3) >> 2);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | val[clean.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; }
  }
  return out;
}

/** Groups per call: a multiple of 32; windows of k·WINDOW bytes in and out. */
const WINDOW = 4096;
const TABLES = 8192; // up to 256 coefficients × 32 bytes
const IN = 65536;
const OUT = IN + 32 * WINDOW;
const PAGES = Math.ceil((OUT + 33 * WINDOW) / 65536); // k stripes and their XOR parity

function load(): { k: Kernels; mem: Uint8Array } | undefined {
  try {
    if (typeof WebAssembly === 'undefined') return undefined;
    const bytes = fromBase64(INTERLEAVE_WASM);
    const module = new WebAssembly.Module(bytes);
    const k = new WebAssembly.Instance(module, {}).exports as unknown as Kernels;
    const have = k.memory.buffer.byteLength / 65536;
    if (have < PAGES) k.memory.grow(PAGES - have);
    return { k, mem: new Uint8Array(k.memory.buffer) };
  } catch {
    return undefined;
  }
}

let state: { k: Kernels; mem: Uint8Array } | undefined | null = null;
let enabled = true;

function kernels(): { k: Kernels; mem: Uint8Array } | undefined {
  if (!enabled) return undefined;
  if (state === null) state = load();
  return state;
}

/** Turn the SIMD kernels off or on (tests compare both paths); returns whether they are usable. */
export function useSimd(on: boolean): boolean {
  enabled = on;
  return kernels() !== undefined;
}

/** Reed–Solomon parity wanted with a split: coefficient rows (p × k), parity i to buf[off + i·stride + g]. */
export interface RsParity {
  rows: number[][];
  buf: Uint8Array;
  off: number;
  stride: number;
}

let tablesFor: number[][] | undefined;
function loadTables(mem: Uint8Array, rows: number[][], k: number): void {
  if (tablesFor === rows) return;
  rows.forEach((row, i) => row.forEach((c, j) => {
    const t = TABLES + 32 * (i * k + j);
    for (let n = 0; n < 16; n++) {
      mem[t + n] = gfMul(c, n);
      mem[t + 16 + n] = gfMul(c, n << 4);
    }
  }));
  tablesFor = rows;
}

/** Groups per kernel block for this k, or 0 if the SIMD kernels do not handle it. */
function unit(k: number): number {
  return k === 4 ? 32 : k === 8 || k === 16 || k === 32 ? 16 : 0;
}

/**
 * Split as many whole blocks of the first `groups` groups as the kernels handle (input
 * must hold them all); returns the number of groups done (0 if none). With `xor`, also
 * writes the XOR of the k stripes of those groups to xor.buf at xor.off.
 */
export function simdSplit(input: Uint8Array, inOff: number, groups: number, k: number, out: Uint8Array, stride: number, outOff: number, xor?: { buf: Uint8Array; off: number }, rs?: RsParity): number {
  const u = unit(k);
  if (u === 0 || groups < u) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const total = groups - (groups % u);
  for (let g = 0; g < total; g += WINDOW) {
    const w = Math.min(WINDOW, total - g);
    mem.set(input.subarray(inOff + g * k, inOff + (g + w) * k), IN);
    if (k === 4) fn.split4(IN, w / u, OUT, w);
    else fn.split8(IN, w / u, k >> 3, OUT, w);
    for (let j = 0; j < k; j++) out.set(mem.subarray(OUT + j * w, OUT + (j + 1) * w), outOff + j * stride + g);
    if (xor) {
      fn.xorStripes(OUT, k, w, OUT + k * w);
      xor.buf.set(mem.subarray(OUT + k * w, OUT + (k + 1) * w), xor.off + g);
    }
    if (rs) {
      const p = rs.rows.length;
      loadTables(mem, rs.rows, k);
      fn.rsStripes(OUT, k, w, OUT + k * w, p, TABLES);
      for (let i = 0; i < p; i++) rs.buf.set(mem.subarray(OUT + (k + i) * w, OUT + (k + i + 1) * w), rs.off + i * rs.stride + g);
    }
  }
  return total;
}

/** Inverse of simdSplit: joins whole blocks of the first `groups` groups; returns the number done. */
export function simdJoin(src: Uint8Array, srcOff: number, stride: number, groups: number, k: number, out: Uint8Array, outOff: number): number {
  const u = unit(k);
  if (u === 0 || groups < u) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const total = groups - (groups % u);
  for (let g = 0; g < total; g += WINDOW) {
    const w = Math.min(WINDOW, total - g);
    for (let j = 0; j < k; j++) mem.set(src.subarray(srcOff + j * stride + g, srcOff + j * stride + g + w), IN + j * w);
    if (k === 4) fn.join4(IN, w, w / u, OUT);
    else fn.join8(IN, w, w / u, k >> 3, OUT);
    out.set(mem.subarray(OUT, OUT + w * k), outOff + g * k);
  }
  return total;
}

/**
 * dsts[i] = Σ_j rows[i][j] · srcs[j] over GF(2^8) for the leading multiple of 16 bytes
 * (all arrays the same length); returns the number of bytes done (0 if the kernels are not
 * available or the matrix is too large for the table area).
 */
export function simdMatMul(rows: number[][], srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): number {
  const k = srcs.length;
  const total = (srcs[0]?.length ?? 0) & ~15;
  if (total === 0 || rows.length === 0 || rows.length * k > 256 || rows.length > k) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const W = Math.floor((32 * WINDOW) / k / 16) * 16;
  for (let at = 0; at < total; at += W) {
    const w = Math.min(W, total - at);
    srcs.forEach((x, j) => mem.set(x.subarray(at, at + w), IN + j * w));
    loadTables(mem, rows, k);
    fn.rsStripes(IN, k, w, OUT, rows.length, TABLES);
    dsts.forEach((d, i) => d.set(mem.subarray(OUT + i * w, OUT + (i + 1) * w), at));
  }
  return total;
}
