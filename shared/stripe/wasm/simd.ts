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
  let acc = 0,
    bits = 0,
    o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | val[clean.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

// Wasm memory map: scratch and product tables below IN; then an input window of up to
// IN_BYTES and an output window of up to OUT_BYTES (k data stripes, then their parity).
const TABLES = 8192; // up to 256 coefficients × 32 bytes
const IN = 65536;
const IN_BYTES = 1 << 19;
const OUT = IN + IN_BYTES;
const OUT_BYTES = 1 << 21;
const PAGES = (OUT + OUT_BYTES) / 65536;

/**
 * Groups per window for k data and n = k + p stripes: large, so that whoever consumes a
 * window (the stream path encrypts each stripe of it in one call) pays per-call costs
 * rarely; a multiple of 32 (every kernel's block).
 */
function windowGroups(k: number, n: number): number {
  return Math.min(65536, Math.floor(IN_BYTES / k / 32) * 32, Math.floor(OUT_BYTES / n / 32) * 32);
}

/** The part of the WebAssembly global used here. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { exports: unknown };
}

function load(): { k: Kernels; mem: Uint8Array } | undefined {
  try {
    // Looked up on globalThis: Node's types declare WebAssembly's types but not the global.
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return undefined;
    const bytes = fromBase64(INTERLEAVE_WASM);
    const module = new wasm.Module(bytes);
    const k = new wasm.Instance(module, {}).exports as unknown as Kernels;
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
  rows.forEach((row, i) =>
    row.forEach((c, j) => {
      const t = TABLES + 32 * (i * k + j);
      for (let n = 0; n < 16; n++) {
        mem[t + n] = gfMul(c, n);
        mem[t + 16 + n] = gfMul(c, n << 4);
      }
    }),
  );
  tablesFor = rows;
}

const allOnes = (row: readonly number[]): boolean => row.every((c) => c === 1);

// The rows after the first, one array per matrix (loadTables keeps the tables it last loaded by identity).
const tails = new WeakMap<number[][], number[][]>();
function afterFirst(rows: number[][]): number[][] {
  let t = tails.get(rows);
  if (!t) tails.set(rows, (t = rows.slice(1)));
  return t;
}

/** Groups per kernel block for this k, or 0 if the SIMD kernels do not handle it. */
function unit(k: number): number {
  return k === 4 ? 32 : k === 8 || k === 16 || k === 32 ? 16 : 0;
}

/**
 * Split as many whole blocks of the first `groups` groups as the kernels handle (input
 * must hold them all), window by window inside wasm memory; returns the number of groups
 * done (0 if none). For each window, `visit(g, w, stripes)` gets the window's first group,
 * its width and views of its k data stripes followed by the parity stripes (the XOR when
 * `parity` is 'xor', the Reed–Solomon rows when it is a matrix); the views are valid only
 * until `visit` returns.
 */
export function simdSplitEach(
  input: Uint8Array,
  inOff: number,
  groups: number,
  k: number,
  parity: 'xor' | number[][] | undefined,
  visit: (g: number, w: number, stripes: Uint8Array[]) => void,
): number {
  const u = unit(k);
  if (u === 0 || groups < u) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const p = parity === undefined ? 0 : parity === 'xor' ? 1 : parity.length;
  // A first row of ones (shared/stripe/parity.ts) is the plain XOR: the cheaper kernel.
  const xorFirst = parity === 'xor' || (Array.isArray(parity) && allOnes(parity[0]!));
  const rs = Array.isArray(parity) ? (xorFirst ? afterFirst(parity) : parity) : [];
  if (rs.length) loadTables(mem, rs, k);
  const total = groups - (groups % u);
  const W = windowGroups(k, k + p);
  for (let g = 0; g < total; g += W) {
    const w = Math.min(W, total - g);
    mem.set(input.subarray(inOff + g * k, inOff + (g + w) * k), IN);
    if (k === 4) fn.split4(IN, w / u, OUT, w);
    else fn.split8(IN, w / u, k >> 3, OUT, w);
    if (xorFirst) fn.xorStripes(OUT, k, w, OUT + k * w);
    if (rs.length) fn.rsStripes(OUT, k, w, OUT + (k + (xorFirst ? 1 : 0)) * w, rs.length, TABLES);
    visit(
      g,
      w,
      Array.from({ length: k + p }, (_, j) => mem.subarray(OUT + j * w, OUT + (j + 1) * w)),
    );
  }
  return total;
}

/**
 * simdSplitEach into `out` (stripe s, group g at out[outOff + s·stride + g]). With `xor`,
 * also writes the XOR of the k stripes to xor.buf at xor.off; with `rs`, the Reed–Solomon
 * parity rows.
 */
export function simdSplit(
  input: Uint8Array,
  inOff: number,
  groups: number,
  k: number,
  out: Uint8Array,
  stride: number,
  outOff: number,
  xor?: { buf: Uint8Array; off: number },
  rs?: RsParity,
): number {
  const parity = xor ? 'xor' : rs?.rows;
  return simdSplitEach(input, inOff, groups, k, parity, (g, w, stripes) => {
    for (let j = 0; j < k; j++) out.set(stripes[j]!, outOff + j * stride + g);
    if (xor) xor.buf.set(stripes[k]!, xor.off + g);
    if (rs) for (let i = 0; i < rs.rows.length; i++) rs.buf.set(stripes[k + i]!, rs.off + i * rs.stride + g);
  });
}

/** Inverse of simdSplit: joins whole blocks of the first `groups` groups; returns the number done. */
export function simdJoin(
  src: Uint8Array,
  srcOff: number,
  stride: number,
  groups: number,
  k: number,
  out: Uint8Array,
  outOff: number,
): number {
  const u = unit(k);
  if (u === 0 || groups < u) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const total = groups - (groups % u);
  const W = windowGroups(k, k);
  for (let g = 0; g < total; g += W) {
    const w = Math.min(W, total - g);
    for (let j = 0; j < k; j++) mem.set(src.subarray(srcOff + j * stride + g, srcOff + j * stride + g + w), IN + j * w);
    if (k === 4) fn.join4(IN, w, w / u, OUT);
    else fn.join8(IN, w, w / u, k >> 3, OUT);
    out.set(mem.subarray(OUT, OUT + w * k), outOff + g * k);
  }
  return total;
}

/**
 * How to rebuild the k data stripes of a window from the k stripes a reader uses:
 * position j of the window holds data stripe j when it arrived, otherwise ("a hole") one
 * of the parity stripes. `repair` says how to turn the holes back into data: 'xor' (one
 * hole, XOR parity: the XOR of all k positions is the missing stripe) or, for
 * Reed–Solomon, one coefficient row per hole over the k positions.
 */
export interface JoinPlan {
  holes: number[];
  repair?: 'xor' | number[][];
}

/**
 * Join whole SIMD blocks of `groups` groups window by window inside wasm memory:
 * `fill(j, g, w, dst)` writes the bytes of groups [g, g + w) of whatever stripe sits at
 * position j into `dst` (a view of wasm memory, valid only during the call); holes are
 * repaired, and the window's k·w joined bytes go to out[outOff + g·k]. Returns the number
 * of groups done (0 if the kernels do not handle k).
 */
export function simdJoinEach(
  groups: number,
  k: number,
  plan: JoinPlan,
  fill: (j: number, g: number, w: number, dst: Uint8Array) => void,
  out: Uint8Array,
  outOff: number,
): number {
  const u = unit(k);
  if (u === 0 || groups < u) return 0;
  const s = kernels();
  if (!s) return 0;
  const { k: fn, mem } = s;
  const { holes, repair } = plan;
  if (holes.length > 0 && (!repair || (repair === 'xor' ? holes.length !== 1 : repair.length !== holes.length)))
    throw new RangeError('join plan: one repair row per hole');
  if (Array.isArray(repair) && repair.length * k > 256) return 0;
  const total = groups - (groups % u);
  const W = windowGroups(k, k + holes.length);
  for (let g = 0; g < total; g += W) {
    const w = Math.min(W, total - g);
    for (let j = 0; j < k; j++) fill(j, g, w, mem.subarray(IN + j * w, IN + (j + 1) * w));
    if (repair === 'xor') {
      // In place: the kernel reads every position of a 16-byte column before writing it.
      fn.xorStripes(IN, k, w, IN + holes[0]! * w);
    } else if (repair && holes.length) {
      const rec = OUT + k * w;
      loadTables(mem, repair, k);
      fn.rsStripes(IN, k, w, rec, holes.length, TABLES);
      holes.forEach((h, t) => mem.copyWithin(IN + h * w, rec + t * w, rec + (t + 1) * w));
    }
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
  const W = Math.floor(IN_BYTES / k / 16) * 16;
  for (let at = 0; at < total; at += W) {
    const w = Math.min(W, total - at);
    srcs.forEach((x, j) => mem.set(x.subarray(at, at + w), IN + j * w));
    loadTables(mem, rows, k);
    fn.rsStripes(IN, k, w, OUT, rows.length, TABLES);
    dsts.forEach((d, i) => d.set(mem.subarray(OUT + i * w, OUT + (i + 1) * w), at));
  }
  return total;
}
