import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CryptoError } from '../crypto/errors.js';
import { MUL, gfInv, gfInvert, gfMul } from './gf256.js';
import { stripeInto, stripeIntoParity, stripeIntoPortable, stripeReference, unstripeInto, unstripeIntoPortable } from './interleave.js';
import { checkLayout, type Layout } from './layout.js';
import { decryptMessage, encryptMessage, newMessageSecrets, randomPermutation } from './message.js';
import { computeParity, joinPlan, parityMatrix, recoverData } from './parity.js';
import { simdJoinEach, useSimd } from './wasm/simd.js';

/** parityMatrix({ k: 4, p: 2 })[1] as this code defines it. */
const PINNED_K4_P2_ROW1 = [1, 217, 92, 172];

function rand(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** Index of the first differing byte (or of the length mismatch), -1 if equal; cheaper than toEqual on big arrays. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** GF(2^8)/0x11d multiplication one bit at a time, independent of the tables. */
function slowMul(a: number, b: number): number {
  let r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
    b >>= 1;
  }
  return r;
}

function layoutsFor(n: number): Layout[] {
  const ps = new Set([1, Math.min(2, n - 1), n >> 1, n - 1]);
  return [...ps].filter((p) => p >= 1 && n - p >= 1).map((p) => ({ k: n - p, p }));
}

function drop<T>(arr: (T | undefined)[], count: number, seed: number): (T | undefined)[] {
  const out = arr.slice();
  const order = [...out.keys()].sort((a, b) => ((a * 7919 + seed) % 97) - ((b * 7919 + seed) % 97));
  for (const i of order.slice(0, count)) out[i] = undefined;
  return out;
}

describe('layout', () => {
  it('accepts 2 ≤ k + p ≤ 32 only', () => {
    expect(checkLayout({ k: 1, p: 1 })).toEqual({ k: 1, p: 1 });
    expect(checkLayout({ k: 16, p: 16 })).toEqual({ k: 16, p: 16 });
    for (const bad of [
      { k: 1, p: 0 },
      { k: 0, p: 2 },
      { k: 17, p: 16 },
      { k: 2.5, p: 1 },
      { k: 2, p: -1 },
    ]) {
      expect(() => checkLayout(bad)).toThrow(expect.objectContaining({ code: 'bad-layout' }));
    }
  });
});

describe('bit interleave', () => {
  it('matches the bit-at-a-time definition for every k and ragged lengths', () => {
    for (let k = 1; k <= 32; k++) {
      for (const len of [0, 1, k - 1, k, k + 1, 3 * k + 2, 257]) {
        if (len < 0) continue;
        const input = rand(len, k * 1000 + len);
        const S = Math.ceil(len / k);
        const out = new Uint8Array(k * S);
        stripeInto(input, 0, S, k, out, S, 0);
        const ref = stripeReference(input, k);
        for (let s = 0; s < k; s++) expect(out.subarray(s * S, (s + 1) * S)).toEqual(ref[s]);
        const back = new Uint8Array(k * S + 1);
        unstripeInto(out, 0, S, S, k, back, 0);
        expect(back.subarray(0, len)).toEqual(input);
      }
    }
  });
  it('word kernels and byte fallbacks agree at any alignment, offset and stride', () => {
    for (let k = 1; k <= 32; k++) {
      const len = 64 * k + 3; // enough groups for the word paths, plus a ragged tail
      const S = Math.ceil(len / k);
      const ref = stripeReference(rand(len, k), k);
      for (const inOff of [0, 1, 3]) {
        const buf = new Uint8Array(inOff + len);
        buf.set(rand(len, k), inOff);
        const stride = S + 5,
          outOff = 2 + inOff;
        const out = new Uint8Array(outOff + k * stride);
        stripeInto(buf, inOff, S, k, out, stride, outOff);
        for (let s = 0; s < k; s++) expect(out.subarray(outOff + s * stride, outOff + s * stride + S)).toEqual(ref[s]);
        const back = new Uint8Array(inOff + k * S + 1);
        unstripeInto(out, outOff, stride, S, k, back, inOff);
        expect(back.subarray(inOff, inOff + len)).toEqual(buf.subarray(inOff));
      }
    }
  });
  it('WebAssembly SIMD kernels match the JS kernels byte for byte for every k, over several windows, at any offset and stride', () => {
    expect(useSimd(true)).toBe(true); // Node has WebAssembly SIMD: the fast path must load here
    for (let k = 1; k <= 32; k++) {
      // Windows of at most 65,536 groups: more than one window, a ragged block tail and a ragged group tail.
      const groups = 70_000 + 16 * 33 + 7;
      const len = groups * k - (k > 1 ? 1 : 0);
      for (const [inOff, outOff, pad] of [
        [0, 0, 0],
        [3, 1, 5],
      ] as const) {
        const input = new Uint8Array(inOff + len);
        input.set(rand(len, 77 * k + inOff), inOff);
        const stride = groups + pad;
        const fast = new Uint8Array(outOff + k * stride).fill(0xa5);
        const slow = fast.slice();
        stripeInto(input, inOff, groups, k, fast, stride, outOff);
        stripeIntoPortable(input, inOff, groups, k, slow, stride, outOff);
        expect(firstDiff(fast, slow), `split k=${k} offset ${inOff}`).toBe(-1);
        const back = new Uint8Array(inOff + groups * k + 1);
        const backSlow = back.slice();
        unstripeInto(fast, outOff, stride, groups, k, back, inOff);
        unstripeIntoPortable(fast, outOff, stride, groups, k, backSlow, inOff);
        expect(
          firstDiff(back.subarray(0, inOff + groups * k), backSlow.subarray(0, inOff + groups * k)),
          `join k=${k} offset ${inOff}`,
        ).toBe(-1);
        expect(firstDiff(back.subarray(inOff, inOff + len), input.subarray(inOff)), `round trip k=${k}`).toBe(-1);
      }
    }
    // And the fast path against the bit-at-a-time definition where it applies.
    for (const k of [4, 8, 16, 32]) {
      const input = rand(64 * k + 1, k);
      const ref = stripeReference(input, k);
      const S = ref[0]!.length;
      const out = new Uint8Array(k * S);
      stripeInto(input, 0, S, k, out, S, 0);
      for (let s = 0; s < k; s++) expect(out.subarray(s * S, (s + 1) * S)).toEqual(ref[s]);
    }
  });
  it('stripeIntoParity: same stripes, and the XOR / Reed–Solomon parity of the groups it reports, for every layout', () => {
    for (let k = 2; k <= 31; k++) {
      for (const p of [...new Set([1, 2, 32 - k])].filter((x) => x >= 1 && k + x <= 32)) {
        for (const groups of [5, 4096 + 16 * 9 + 3]) {
          const input = rand(groups * k, 31 * k + groups + p);
          const stride = groups + 3,
            off = 1;
          const out = new Uint8Array(off + (k + p) * stride).fill(0x3c);
          const slow = out.slice();
          const done = stripeIntoParity(input, 0, groups, { k, p }, out, stride, off, out, off + k * stride, stride);
          stripeIntoPortable(input, 0, groups, k, slow, stride, off);
          expect(firstDiff(out.subarray(0, off + k * stride), slow.subarray(0, off + k * stride)), `k=${k}`).toBe(-1);
          expect(done).toBe([4, 8, 16].includes(k) && groups > 32 ? groups - (groups % (k === 4 ? 32 : 16)) : 0);
          const data = Array.from({ length: k }, (_, s) => slow.slice(off + s * stride, off + s * stride + done));
          const parity = Array.from({ length: p }, () => new Uint8Array(done));
          computeParity({ k, p }, data, parity);
          for (let i = 0; i < p; i++) {
            const at = off + (k + i) * stride;
            expect(firstDiff(out.subarray(at, at + done), parity[i]!), `parity ${i} k=${k} p=${p}`).toBe(-1);
            expect(out.subarray(at + done, at + stride).every((x) => x === 0x3c)).toBe(true);
          }
        }
      }
    }
  });
  it('simdJoinEach repairs missing data stripes from parity inside the join window, for XOR and Reed–Solomon', () => {
    for (const k of [4, 8, 16]) {
      for (const p of [1, 2, 3]) {
        const groups = 70_000 + 32 * 5 + 9;
        const input = rand(groups * k, 10 * k + p);
        const stripes = Array.from({ length: k + p }, () => new Uint8Array(groups));
        const flat = new Uint8Array(k * groups);
        stripeIntoPortable(input, 0, groups, k, flat, groups, 0);
        stripes.slice(0, k).forEach((s, j) => s.set(flat.subarray(j * groups, (j + 1) * groups)));
        computeParity({ k, p }, stripes.slice(0, k), stripes.slice(k));
        const losses = [[], [0], [k - 1], [1, k - 2, 0]].map((l) => l.slice(0, p));
        for (const lost of losses) {
          const present = [...Array(k + p).keys()].filter((i) => !lost.includes(i));
          const use = [...present.filter((i) => i < k), ...present.filter((i) => i >= k)].slice(0, k);
          const plan = joinPlan({ k, p }, use);
          expect(plan.holes).toEqual([...lost].sort((a, b) => a - b));
          const out = new Uint8Array(groups * k).fill(0x77);
          const done = simdJoinEach(groups, k, plan, (j, g, w, dst) => dst.set(stripes[plan.sources[j]!]!.subarray(g, g + w)), out, 0);
          expect(done).toBe(groups - (groups % (k === 4 ? 32 : 16)));
          expect(firstDiff(out.subarray(0, done * k), input.subarray(0, done * k)), `k=${k} p=${p} lost ${lost.join(',')}`).toBe(-1);
          expect(out.subarray(done * k).every((x) => x === 0x77)).toBe(true);
        }
      }
    }
    expect(() => joinPlan({ k: 4, p: 1 }, [0, 1, 2])).toThrow(CryptoError);
    expect(() => joinPlan({ k: 4, p: 1 }, [0, 1, 2, 2])).toThrow(CryptoError);
    expect(() => joinPlan({ k: 4, p: 1 }, [0, 1, 2, 5])).toThrow(CryptoError);
  });
  it('without SIMD the same calls give the same bytes (the fallback path)', () => {
    const k = 8,
      groups = 200;
    const input = rand(groups * k, 5);
    const a = new Uint8Array(k * groups),
      b = new Uint8Array(k * groups);
    stripeInto(input, 0, groups, k, a, groups, 0);
    try {
      expect(useSimd(false)).toBe(false);
      stripeInto(input, 0, groups, k, b, groups, 0);
    } finally {
      useSimd(true);
    }
    expect(b).toEqual(a);
  });
  it('puts bit j of the stream in stripe j mod k (a worked example)', () => {
    // 0b10110000 0b01000000, k = 3: stream bits 1,0,1,1,0,0,0,0 | 0,1,0,...
    const ref = stripeReference(new Uint8Array([0xb0, 0x40]), 3);
    // stripe 0 gets bits 0,3,6,9,12,15 = 1,1,0,1,0,0
    expect(ref[0]![0]).toBe(0b11010000);
    // stripe 1 gets bits 1,4,7,10,13 = 0,0,0,0,0
    expect(ref[1]![0]).toBe(0);
    // stripe 2 gets bits 2,5,8,11,14 = 1,0,0,0,0
    expect(ref[2]![0]).toBe(0b10000000);
  });
});

describe('GF(256) and Reed–Solomon', () => {
  it('tables agree with bitwise multiplication; inverses invert', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b += 7) expect(MUL[a * 256 + b]).toBe(slowMul(a, b));
      if (a) expect(gfMul(a, gfInv(a))).toBe(1);
    }
    expect(gfInv(2)).toBe(0x8e); // 2 · 0x8e = 0x11c ⊕ 0x11d = 1
  });
  it('vector: k = 4, p = 2 scaled Cauchy rows (first row and column all ones) and parity of a fixed block', () => {
    const m = parityMatrix({ k: 4, p: 2 });
    // C[i][j] = 1 / ((4 + i) ⊕ j), scaled: C'[i][j] = C[i][j] · C[0][0] / (C[0][j] · C[i][0])
    const c = [0, 1].map((i) => [0, 1, 2, 3].map((j) => gfInv((4 + i) ^ j)));
    expect(m[0]).toEqual([1, 1, 1, 1]);
    expect(m[1]).toEqual([0, 1, 2, 3].map((j) => gfMul(gfMul(c[1]![j]!, c[0]![0]!), gfInv(gfMul(c[0]![j]!, c[1]![0]!)))));
    expect(m[1]![0]).toBe(1);
    // Pinned, so a change of the code shows here.
    expect(m[1]).toEqual(PINNED_K4_P2_ROW1);
    const data = [[0x01], [0x02], [0x03], [0x04]].map((b) => Uint8Array.from(b));
    const parity = [new Uint8Array(1), new Uint8Array(1)];
    computeParity({ k: 4, p: 2 }, data, parity);
    for (let i = 0; i < 2; i++) {
      const expected = data.reduce((acc, d, j) => acc ^ slowMul(m[i]![j]!, d[0]!), 0);
      expect(parity[i]![0]).toBe(expected);
    }
    expect(parityMatrix({ k: 3, p: 1 })).toEqual([[1, 1, 1]]);
  });
  it('every choice of k surviving stripes recovers the data (k + p = 6)', () => {
    for (let p = 1; p <= 5; p++) {
      const k = 6 - p;
      const data = Array.from({ length: k }, (_, j) => rand(33, j + 1));
      const parity = Array.from({ length: p }, () => new Uint8Array(33));
      computeParity({ k, p }, data, parity);
      const all = [...data, ...parity];
      for (let mask = 0; mask < 64; mask++) {
        const kept = all.map((s, i) => ((mask >> i) & 1 ? s : undefined));
        const count = kept.filter(Boolean).length;
        if (count < k) {
          expect(() => recoverData({ k, p }, kept)).toThrow(expect.objectContaining({ code: 'too-many-missing' }));
        } else {
          expect(recoverData({ k, p }, kept)).toEqual(data);
        }
      }
    }
  });
  it('recovers long stripes (SIMD window plus JS tail) for wide layouts with p stripes missing', () => {
    for (const [k, p] of [
      [4, 1],
      [8, 2],
      [16, 16],
      [29, 3],
      [1, 31],
    ] as const) {
      const len = 9000 + k; // more than one SIMD window for wide k, and a ragged tail
      const data = Array.from({ length: k }, (_, j) => rand(len, 100 * k + j + 1));
      const parity = Array.from({ length: p }, () => new Uint8Array(len));
      computeParity({ k, p }, data, parity);
      // Drop min(p, k) data stripes (so they must be rebuilt) and parity for the rest of p.
      const lostData = Math.min(p, k);
      const kept = [...data, ...parity].map((x, i) => (i < lostData || (i >= k && i - k < p - lostData) ? undefined : x));
      const got = recoverData({ k, p }, kept);
      got.forEach((d, j) => expect(firstDiff(d, data[j]!), `k=${k} p=${p} stripe ${j}`).toBe(-1));
    }
  });
  it('Cauchy parity matrices are MDS up to 32 stripes (sampled submatrices invert)', () => {
    for (const { k, p } of [
      { k: 16, p: 16 },
      { k: 30, p: 2 },
      { k: 2, p: 30 },
    ]) {
      const m = parityMatrix({ k, p });
      const stream = rand(4096, k * 7 + p);
      let at = 0;
      const rng = (n: number) => stream.slice(at, (at += n));
      for (let t = 0; t < 20; t++) {
        const rows = randomPermutation(k + p, rng).slice(0, k);
        const sub = [...rows].map((i) => (i < k ? Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)) : m[i - k]!));
        expect(gfInvert(sub)).toBeDefined();
      }
    }
  });
});

describe('message encrypt/decrypt (pure path)', () => {
  it('round-trips every k + p from 2 to 32 at 0 B, 1 B and 1000 B; p missing works, p + 1 fails', () => {
    for (let n = 2; n <= 32; n++) {
      for (const layout of layoutsFor(n)) {
        for (const size of [0, 1, 1000]) {
          const msg = rand(size, n * 100 + size + layout.p);
          const enc = encryptMessage(msg, layout);
          expect(enc.slots).toHaveLength(n);
          const got = decryptMessage(drop(enc.slots, layout.p, n + size), enc.secrets);
          expect(got.plaintext).toEqual(msg);
          expect(got.problems.filter((x) => x.reason === 'missing')).toHaveLength(layout.p);
          expect(() => decryptMessage(drop(enc.slots, layout.p + 1, n), enc.secrets)).toThrow(
            expect.objectContaining({ code: 'too-many-missing' }),
          );
        }
      }
    }
  });
  it('round-trips 1 MiB with single and double parity', () => {
    const msg = rand(1 << 20, 99);
    for (const layout of [
      { k: 4, p: 1 },
      { k: 5, p: 3 },
    ]) {
      const enc = encryptMessage(msg, layout);
      expect(decryptMessage(drop(enc.slots, layout.p, 3), enc.secrets).plaintext).toEqual(msg);
    }
  });
  it('stripe order is a per-message permutation and ciphertexts hide equal plaintexts', () => {
    const msg = new Uint8Array(64);
    const perms = new Set<string>();
    for (let i = 0; i < 20; i++) perms.add(encryptMessage(msg, { k: 6, p: 2 }).secrets.perm.join(','));
    expect(perms.size).toBeGreaterThan(1);
    const enc = encryptMessage(msg, { k: 2, p: 0 });
    expect(enc.slots[0]!.subarray(0, 32)).not.toEqual(enc.slots[1]!.subarray(0, 32));
  });
  it('flipping any bit of any stripe is detected (reported, or refused when no parity is left)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 200 }),
        fc.nat(),
        fc.nat(),
        (k, p, size, slotSeed, bitSeed) => {
          if (k + p < 2) return;
          const msg = rand(size, size + 7);
          const enc = encryptMessage(msg, { k, p });
          const slot = slotSeed % (k + p);
          const obj = enc.slots[slot]!.slice();
          const bit = bitSeed % (obj.length * 8);
          obj[bit >> 3]! ^= 1 << (bit & 7);
          const slots = enc.slots.slice();
          slots[slot] = obj;
          if (p === 0) {
            expect(() => decryptMessage(slots, enc.secrets)).toThrow(CryptoError);
          } else {
            const got = decryptMessage(slots, enc.secrets);
            expect(got.problems.map((x) => x.slot)).toEqual([slot]);
            expect(got.plaintext).toEqual(msg);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
  it('a tampered stripe with a recomputed CRC is caught by the MAC', () => {
    const enc = encryptMessage(rand(100, 3), { k: 2, p: 0 });
    const obj = enc.slots[0]!;
    obj[0]! ^= 0x80;
    // CRC still fails here; also try a stripe moved to another slot (same length, valid CRC)
    const swapped = [enc.slots[1]!, enc.slots[1]!];
    expect(() => decryptMessage(swapped, enc.secrets)).toThrow(expect.objectContaining({ code: 'too-many-missing' }));
  });
  it('refuses inconsistent secrets with typed errors', () => {
    const s = newMessageSecrets({ k: 2, p: 1 }, 10);
    expect(() => decryptMessage([], { ...s, perm: Uint8Array.of(0, 0, 1) })).toThrow(expect.objectContaining({ code: 'bad-input' }));
    expect(() => encryptMessage(new Uint8Array(11), { k: 2, p: 1 }, { secrets: s })).toThrow(
      expect.objectContaining({ code: 'bad-input' }),
    );
  });
});
