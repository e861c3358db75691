// Byte mutations in the manner of libFuzzer and AFL: flips, interesting values at every
// width and byte order (lengths and counts are where parsers break), inserts, deletes,
// copies within the input, splices with another corpus entry, and dictionary tokens.

/** sfc32 (small fast counting generator): 128-bit state, seedable, so a run can be repeated. */
export class Rng {
  private a = 0x9e3779b9;
  private b = 0x243f6a88;
  private c = 0xb7e15162;
  private d: number;
  constructor(seed: number) {
    this.d = seed | 0;
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

const INTERESTING_8 = [0, 1, 2, 0x10, 0x1f, 0x20, 0x3e, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3e3e, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_32 = [0, 1, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x400000, 0x1000];

function writeUint(out: Uint8Array, at: number, width: number, value: number, littleEndian: boolean): void {
  for (let i = 0; i < width && at + i < out.length; i++) {
    const shift = 8 * (littleEndian ? i : width - 1 - i);
    out[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

export class Mutator {
  constructor(
    private readonly rng: Rng,
    private readonly maxLength: number,
    private readonly dictionary: readonly Uint8Array[],
  ) {}

  /** One to eight stacked mutations of `input`; `other` is a corpus entry to splice with. */
  mutate(input: Uint8Array, other: Uint8Array): Uint8Array {
    let out: Uint8Array = input.slice();
    const n = 1 + this.rng.below(this.rng.chance(0.5) ? 2 : 8);
    for (let i = 0; i < n; i++) out = this.once(out, other);
    return out.length > this.maxLength ? out.subarray(0, this.maxLength) : out;
  }

  private once(b: Uint8Array, other: Uint8Array): Uint8Array {
    const r = this.rng;
    const len = b.length;
    switch (r.below(len === 0 ? 3 : 14)) {
      case 0: // insert random bytes
        return insert(b, r.below(len + 1), randomBytes(r, 1 + r.below(r.chance(0.8) ? 4 : 64)));
      case 1: // dictionary token, inserted or overwritten
        if (this.dictionary.length === 0) return insert(b, r.below(len + 1), randomBytes(r, 1));
        return r.chance(0.5)
          ? insert(b, r.below(len + 1), this.dictionary[r.below(this.dictionary.length)]!)
          : overwrite(b, r.below(len + 1), this.dictionary[r.below(this.dictionary.length)]!);
      case 2: // splice with another corpus entry
        if (other.length === 0) return b;
        return concat(b.subarray(0, r.below(len + 1)), other.subarray(r.below(other.length)));
      case 3: {
        // flip a bit
        const c = b.slice();
        c[r.below(len)]! ^= 1 << r.below(8);
        return c;
      }
      case 4: {
        // random byte
        const c = b.slice();
        c[r.below(len)] = r.below(256);
        return c;
      }
      case 5: {
        // interesting byte
        const c = b.slice();
        c[r.below(len)] = INTERESTING_8[r.below(INTERESTING_8.length)]!;
        return c;
      }
      case 6: {
        // interesting 16-bit value
        const c = b.slice();
        writeUint(c, r.below(len), 2, INTERESTING_16[r.below(INTERESTING_16.length)]!, r.chance(0.5));
        return c;
      }
      case 7: {
        // interesting 32-bit value
        const c = b.slice();
        writeUint(c, r.below(len), 4, INTERESTING_32[r.below(INTERESTING_32.length)]!, r.chance(0.5));
        return c;
      }
      case 8: {
        // add or subtract a little, as to a length or count
        const c = b.slice();
        const at = r.below(len);
        c[at] = (c[at]! + (r.chance(0.5) ? 1 : -1) * (1 + r.below(16))) & 0xff;
        return c;
      }
      case 9: {
        // delete a run
        const at = r.below(len);
        const n = 1 + r.below(Math.min(len - at, r.chance(0.8) ? 4 : 64));
        return concat(b.subarray(0, at), b.subarray(at + n));
      }
      case 10: {
        // duplicate a run elsewhere
        const at = r.below(len);
        const n = 1 + r.below(Math.min(len - at, 64));
        return insert(b, r.below(len + 1), b.subarray(at, at + n));
      }
      case 11: // truncate
        return b.subarray(0, r.below(len));
      case 12: {
        // copy a run over another place
        const from = r.below(len);
        const n = 1 + r.below(Math.min(len - from, 32));
        return overwrite(b, r.below(len), b.slice(from, from + n));
      }
      default: {
        // keep or restore the 3E 3E terminator most bodies need
        return len >= 2 && b[len - 2] === 0x3e && b[len - 1] === 0x3e ? b.subarray(0, len - 2) : concat(b, Uint8Array.of(0x3e, 0x3e));
      }
    }
  }
}

function randomBytes(r: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.chance(0.3) ? INTERESTING_8[r.below(INTERESTING_8.length)]! : r.below(256);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function insert(b: Uint8Array, at: number, piece: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + piece.length);
  out.set(b.subarray(0, at), 0);
  out.set(piece, at);
  out.set(b.subarray(at), at + piece.length);
  return out;
}

function overwrite(b: Uint8Array, at: number, piece: Uint8Array): Uint8Array {
  const out = b.length >= at + piece.length ? b.slice() : new Uint8Array(at + piece.length);
  if (out.length !== b.length) out.set(b, 0);
  out.set(piece, at);
  return out;
}
