// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), generator 2: the field
// most Reed–Solomon storage codes use. Multiplication by a constant is one lookup in a
// 256-byte row of MUL.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
(() => {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
})();

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('0 has no inverse in GF(256)');
  return EXP[255 - LOG[a]!]!;
}

/** MUL[c * 256 + x] = c · x. 64 KiB, built once. */
export const MUL = (() => {
  const t = new Uint8Array(65536);
  for (let c = 0; c < 256; c++) for (let x = 0; x < 256; x++) t[c * 256 + x] = gfMul(c, x);
  return t;
})();

/** Inverts a square matrix (rows of numbers) over GF(256); returns undefined if singular. */
export function gfInvert(m: number[][]): number[][] | undefined {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot]![col] === 0) pivot++;
    if (pivot === n) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const row = a[col]!;
    const inv = gfInv(row[col]!);
    for (let j = 0; j < 2 * n; j++) row[j] = gfMul(row[j]!, inv);
    for (let i = 0; i < n; i++) {
      if (i === col) continue;
      const f = a[i]![col]!;
      if (f === 0) continue;
      const r = a[i]!;
      for (let j = 0; j < 2 * n; j++) r[j]! ^= gfMul(f, row[j]!);
    }
  }
  return a.map((row) => row.slice(n));
}
