// Parity stripes. p = 1: plain XOR of the data stripes (as the QMail standard does).
// p ≥ 2: a systematic Reed–Solomon code over GF(2^8), byte-wise across stripes, whose
// parity rows form a Cauchy matrix C[i][j] = 1 / (x_i + y_j) with y_j = j (data stripe j)
// and x_i = k + i (parity stripe i). Every square submatrix of a Cauchy matrix is
// invertible, so [I; C] is MDS: any k of the k + p stripes recover the data.
import { CryptoError } from '../crypto/errors.js';
import { MUL, gfInv, gfInvert } from './gf256.js';
import { checkLayout, type Layout } from './layout.js';

/** Coefficient rows for the p parity stripes (p rows × k columns). */
export function parityMatrix(layout: Layout): number[][] {
  const { k, p } = checkLayout(layout);
  if (p === 1) return [Array.from({ length: k }, () => 1)];
  return Array.from({ length: p }, (_, i) => Array.from({ length: k }, (_, j) => gfInv((k + i) ^ j)));
}

const matrices = new Map<string, number[][]>();
function cachedMatrix(layout: Layout): number[][] {
  const key = `${layout.k}/${layout.p}`;
  let m = matrices.get(key);
  if (!m) matrices.set(key, (m = parityMatrix(layout)));
  return m;
}

function xorInto(dst: Uint8Array, src: Uint8Array): void {
  const n = dst.length;
  if (dst.byteOffset % 4 === 0 && src.byteOffset % 4 === 0 && n >= 16) {
    const w = n >>> 2;
    const d32 = new Uint32Array(dst.buffer, dst.byteOffset, w);
    const s32 = new Uint32Array(src.buffer, src.byteOffset, w);
    for (let i = 0; i < w; i++) d32[i]! ^= s32[i]!;
    for (let i = w * 4; i < n; i++) dst[i]! ^= src[i]!;
  } else {
    for (let i = 0; i < n; i++) dst[i]! ^= src[i]!;
  }
}

/** dst ^= c · src, byte-wise in GF(256). */
function mulAddInto(dst: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return;
  if (c === 1) return xorInto(dst, src);
  const row = MUL.subarray(c * 256, c * 256 + 256);
  const n = dst.length;
  for (let i = 0; i < n; i++) dst[i]! ^= row[src[i]!]!;
}

/** Fills `parity` (p arrays of the stripe length) from `data` (k arrays). */
export function computeParity(layout: Layout, data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
  const { k, p } = checkLayout(layout);
  if (data.length !== k || parity.length !== p) throw new CryptoError('bad-input', 'stripe count does not match the layout');
  const m = cachedMatrix(layout);
  for (let i = 0; i < p; i++) {
    const out = parity[i]!;
    out.fill(0);
    for (let j = 0; j < k; j++) mulAddInto(out, data[j]!, m[i]![j]!);
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
    throw new CryptoError('too-many-missing', `need ${k} of ${k + p} stripes, only ${present.length} usable (missing: ${[...Array(k + p).keys()].filter((i) => !stripes[i]).join(', ')})`);
  }
  // Prefer data stripes, then the first parity stripes.
  const use = [...present.filter((i) => i < k), ...present.filter((i) => i >= k)].slice(0, k);
  const m = cachedMatrix(layout);
  const rows = use.map((i) => (i < k ? Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)) : m[i - k]!));
  const inv = gfInvert(rows);
  if (!inv) throw new CryptoError('too-many-missing', 'stripe matrix is singular');
  const len = stripes[use[0]!]!.length;
  const out = stripes.slice(0, k) as (Uint8Array | undefined)[];
  missingData.forEach((j, n) => {
    const dst = scratch?.[n]?.length === len ? scratch[n]! : new Uint8Array(len);
    dst.fill(0);
    for (let x = 0; x < k; x++) mulAddInto(dst, stripes[use[x]!]!, inv[j]![x]!);
    out[j] = dst;
  });
  return out as Uint8Array[];
}
