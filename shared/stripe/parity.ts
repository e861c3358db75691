// Parity stripes. p = 1: plain XOR of the data stripes (as the QMail standard does).
// p ≥ 2: a systematic Reed–Solomon code over GF(2^8), byte-wise across stripes, built from
// the Cauchy matrix C[i][j] = 1 / (x_i + y_j) with y_j = j (data stripe j) and x_i = k + i
// (parity stripe i). Every square submatrix of a Cauchy matrix is invertible, so [I; C] is
// MDS: any k of the k + p stripes recover the data. Each column j is then divided by
// C[0][j] and each row i by its first entry: scaling rows and columns by non-zero factors
// keeps every square submatrix invertible (still MDS), and now the first row and the first
// column are all ones, so parity stripe 0 is the plain XOR of the data, as for p = 1 —
// the cheapest parity to compute, and the one a reader missing one data stripe uses.
import { CryptoError } from '../crypto/errors.js';
import { MUL, gfInv, gfInvert, gfMul } from './gf256.js';
import { checkLayout, type Layout } from './layout.js';
import { simdMatMul } from './wasm/simd.js';

/** Coefficient rows for the p parity stripes (p rows × k columns). */
export function parityMatrix(layout: Layout): number[][] {
  const { k, p } = checkLayout(layout);
  if (p === 1) return [Array.from({ length: k }, () => 1)];
  const c = Array.from({ length: p }, (_, i) => Array.from({ length: k }, (_, j) => gfInv((k + i) ^ j)));
  return c.map((row) => row.map((x, j) => gfMul(gfMul(x, c[0]![0]!), gfInv(gfMul(c[0]![j]!, row[0]!)))));
}

const matrices = new Map<string, number[][]>();
/** parityMatrix, one shared instance per layout (callers must not modify it). */
export function cachedMatrix(layout: Layout): number[][] {
  const key = `${layout.k}/${layout.p}`;
  let m = matrices.get(key);
  if (!m) matrices.set(key, (m = parityMatrix(layout)));
  return m;
}

const aligned = (a: Uint8Array, b: Uint8Array): boolean => a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length >= 16;

function xorInto(dst: Uint8Array, src: Uint8Array): void {
  const n = dst.length;
  let i = 0;
  if (aligned(dst, src)) {
    const w = n >>> 2;
    const d32 = new Uint32Array(dst.buffer, dst.byteOffset, w);
    const s32 = new Uint32Array(src.buffer, src.byteOffset, w);
    for (let j = 0; j < w; j++) d32[j]! ^= s32[j]!;
    i = w * 4;
  }
  for (; i < n; i++) dst[i]! ^= src[i]!;
}

/** dst ^= c · src, byte-wise in GF(256): four table lookups per 32-bit word. */
function mulAddInto(dst: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return;
  if (c === 1) return xorInto(dst, src);
  const row = MUL.subarray(c * 256, c * 256 + 256);
  const n = dst.length;
  let i = 0;
  if (aligned(dst, src)) {
    const w = n >>> 2;
    const d32 = new Uint32Array(dst.buffer, dst.byteOffset, w);
    const s32 = new Uint32Array(src.buffer, src.byteOffset, w);
    for (let j = 0; j < w; j++) {
      const v = s32[j]!;
      d32[j]! ^= row[v & 255]! | (row[(v >>> 8) & 255]! << 8) | (row[(v >>> 16) & 255]! << 16) | (row[v >>> 24]! << 24);
    }
    i = w * 4;
  }
  for (; i < n; i++) dst[i]! ^= row[src[i]!]!;
}

/** dst = c · src. */
function mulInto(dst: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 1) return dst.set(src);
  dst.fill(0);
  mulAddInto(dst, src, c);
}

/** Fills `parity` (p arrays of the stripe length) from `data` (k arrays). */
export function computeParity(layout: Layout, data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
  const { k, p } = checkLayout(layout);
  if (data.length !== k || parity.length !== p) throw new CryptoError('bad-input', 'stripe count does not match the layout');
  const m = cachedMatrix(layout);
  for (let i = 0; i < p; i++) {
    const out = parity[i]!;
    mulInto(out, data[0]!, m[i]![0]!);
    for (let j = 1; j < k; j++) mulAddInto(out, data[j]!, m[i]![j]!);
  }
}

/**
 * Recovers the data stripes from any k present stripes. `stripes` is indexed by logical
 * stripe (0..k-1 data, k..k+p-1 parity); missing ones are undefined. Returns the k data
 * stripes (present ones as given, missing ones rebuilt into `scratch` if supplied).
 */
export function recoverData(layout: Layout, stripes: readonly (Uint8Array | undefined)[], scratch?: Uint8Array[]): Uint8Array[] {
  const { k, p } = checkLayout(layout);
  const present: number[] = [];
  for (let i = 0; i < k + p; i++) if (stripes[i]) present.push(i);
  const missingData: number[] = [];
  for (let j = 0; j < k; j++) if (!stripes[j]) missingData.push(j);
  if (missingData.length === 0) return stripes.slice(0, k) as Uint8Array[];
  if (present.length < k) {
    throw new CryptoError(
      'too-many-missing',
      `need ${k} of ${k + p} stripes, only ${present.length} usable (missing: ${[...Array(k + p).keys()].filter((i) => !stripes[i]).join(', ')})`,
    );
  }
  // Prefer data stripes, then the first parity stripes.
  const use = [...present.filter((i) => i < k), ...present.filter((i) => i >= k)].slice(0, k);
  const m = cachedMatrix(layout);
  const rows = use.map((i) => (i < k ? Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)) : m[i - k]!));
  const inv = gfInvert(rows);
  if (!inv) throw new CryptoError('too-many-missing', 'stripe matrix is singular');
  const len = stripes[use[0]!]!.length;
  const out = stripes.slice(0, k) as (Uint8Array | undefined)[];
  const dsts = missingData.map((_, n) => (scratch?.[n]?.length === len ? scratch[n]! : new Uint8Array(len)));
  // WebAssembly SIMD for the leading multiple of 16 bytes when available, JS for the rest.
  const done = simdMatMul(
    missingData.map((j) => inv[j]!),
    use.map((i) => stripes[i]!),
    dsts,
  );
  missingData.forEach((j, n) => {
    const dst = dsts[n]!.subarray(done);
    mulInto(dst, stripes[use[0]!]!.subarray(done), inv[j]![0]!);
    for (let x = 1; x < k; x++) mulAddInto(dst, stripes[use[x]!]!.subarray(done), inv[j]![x]!);
    out[j] = dsts[n]!;
  });
  return out as Uint8Array[];
}

/**
 * Where each of the k stripes a reader uses sits in a join window, and how to repair the
 * holes (see JoinPlan in wasm/simd.ts). `use` holds k distinct logical stripe indices:
 * data stripe j goes to position j; each missing data position takes one of the parity
 * stripes in `use`, in order. `sources[j]` is the logical stripe placed at position j.
 */
export function joinPlan(layout: Layout, use: readonly number[]): { sources: number[]; holes: number[]; repair?: 'xor' | number[][] } {
  const { k, p } = checkLayout(layout);
  if (use.length !== k || new Set(use).size !== k || use.some((i) => !Number.isInteger(i) || i < 0 || i >= k + p))
    throw new CryptoError('bad-input', `a join needs ${k} distinct stripes`);
  const parity = use.filter((i) => i >= k);
  const sources = Array.from({ length: k }, (_, j) => j);
  const holes = sources.filter((j) => !use.includes(j));
  holes.forEach((h, t) => {
    sources[h] = parity[t]!;
  });
  if (holes.length === 0) return { sources, holes };
  if (p === 1) return { sources, holes, repair: 'xor' };
  const m = cachedMatrix(layout);
  const rows = sources.map((i) => (i < k ? Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)) : m[i - k]!));
  const inv = gfInvert(rows);
  if (!inv) throw new CryptoError('too-many-missing', 'stripe matrix is singular');
  const repair = holes.map((h) => inv[h]!);
  // One hole filled by the XOR parity (a row of ones): the XOR of the k positions is the missing stripe.
  if (repair.length === 1 && repair[0]!.every((c) => c === 1)) return { sources, holes, repair: 'xor' };
  return { sources, holes, repair };
}
