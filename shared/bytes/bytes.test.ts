import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter, TruncatedError, constantTimeEqual, crc32, fromHex, toHex, utf8 } from './index.js';

describe('bytes', () => {
  it('crc32 matches the IEEE check value', () => {
    expect(crc32(utf8.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
  it('hex round-trips and rejects junk', () => {
    expect(toHex(fromHex('3E 3E 00 ff'))).toBe('3e3e00ff');
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
  });
  it('writer and reader agree for every integer width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (a, b, c, d, e) => {
          const bytes = new ByteWriter(1).u8(a).u16(b).u24(c).u32(d).u64(e).finish();
          const r = new ByteReader(bytes);
          expect([r.u8(), r.u16(), r.u24(), r.u32(), r.u64()]).toEqual([a, b, c, d, e]);
          expect(r.done).toBe(true);
        },
      ),
    );
  });
  it('reader refuses to run past the end', () => {
    const r = new ByteReader(new Uint8Array(3));
    expect(() => r.u32()).toThrow(TruncatedError);
    expect(r.offset).toBe(0);
  });
  it('writer refuses out-of-range values', () => {
    expect(() => new ByteWriter().u8(256)).toThrow(RangeError);
    expect(() => new ByteWriter().u16(-1)).toThrow(RangeError);
  });
  it('constantTimeEqual compares content and length', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('01'), fromHex('0100'))).toBe(false);
  });
});
