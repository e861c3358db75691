// zlib (Meta key 31 = 1) over the Styles+Text blob, with a zip-bomb guard: the declared
// decompressed length is capped absolutely and relative to the compressed size, and the
// stream is inflated in small pieces so output can never run past the declared length.
import { Inflate, zlibSync } from 'fflate';
import { CbdfError, fail } from './errors.js';

/** DEFLATE cannot expand more than ~1032:1; anything claiming more is lying. */
export const MAX_EXPANSION_RATIO = 1032;

export function zlibCompress(data: Uint8Array): Uint8Array {
  return zlibSync(data, { level: 9, mem: 8 });
}

export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const NMAX = 5552;
  for (let i = 0; i < data.length;) {
    const end = Math.min(data.length, i + NMAX);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function zlibDecompress(data: Uint8Array, declared: number, maxOut: number, at?: number): Uint8Array {
  if (declared > maxOut) fail('ZIP_BOMB', `declared decompressed size ${declared} exceeds the ${maxOut}-byte limit`, at);
  if (declared > data.length * MAX_EXPANSION_RATIO + 64)
    fail('ZIP_BOMB', `declared expansion ${declared}/${data.length} is beyond what DEFLATE can produce`, at);
  if (data.length < 6) fail('DECOMPRESSION_FAILED', 'zlib stream too short', at);
  const cmf = data[0]!;
  const flg = data[1]!;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) fail('DECOMPRESSION_FAILED', 'bad zlib header', at);
  if (flg & 0x20) fail('DECOMPRESSION_FAILED', 'zlib preset dictionaries are not allowed', at);
  const out = new Uint8Array(declared);
  let got = 0;
  let overflow = false;
  const inflater = new Inflate((chunk) => {
    if (overflow) return;
    if (got + chunk.length > declared) {
      overflow = true;
      return;
    }
    out.set(chunk, got);
    got += chunk.length;
  });
  const body = data.subarray(2, data.length - 4);
  const STEP = 1024;
  try {
    for (let i = 0; i < body.length && !overflow; i += STEP) {
      const end = Math.min(body.length, i + STEP);
      inflater.push(body.subarray(i, end), end === body.length);
    }
    if (body.length === 0) inflater.push(body, true);
  } catch (e) {
    if (e instanceof CbdfError) throw e;
    fail('DECOMPRESSION_FAILED', `corrupt zlib stream: ${(e as Error).message ?? 'inflate error'}`, at);
  }
  if (overflow) fail('ZIP_BOMB', `decompressed data exceeds the declared ${declared} bytes`, at);
  if (got !== declared) fail('DECOMPRESSION_FAILED', `decompressed ${got} bytes, declared ${declared}`, at);
  const t = data.length - 4;
  const want = ((data[t]! << 24) | (data[t + 1]! << 16) | (data[t + 2]! << 8) | data[t + 3]!) >>> 0;
  if (adler32(out) !== want) fail('DECOMPRESSION_FAILED', 'zlib Adler-32 mismatch', at);
  return out;
}
