// A large test message that is cheap to make and to check: 1 MiB blocks copied from one
// random block, each stamped with its index in its first 8 bytes, so a block out of place,
// repeated or lost is caught. Used by `qmail stripes selftest` and the 1 GiB tests.
import { Readable, Writable } from 'node:stream';

const BLOCK = 1 << 20;

function patternBlock(base: Uint8Array, i: number, n = BLOCK): Buffer {
  const b = Buffer.allocUnsafe(n);
  b.set(base.subarray(0, n));
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(i));
  stamp.copy(b, 0, 0, Math.min(8, n));
  return b;
}

/** `length` bytes of the pattern made from `base` (1 MiB). */
export function patternStream(base: Uint8Array, length: number): Readable {
  if (base.length < BLOCK) throw new RangeError('the pattern needs a 1 MiB base block');
  let i = 0;
  return new Readable({
    read() {
      const at = i * BLOCK;
      if (at >= length) return void this.push(null);
      this.push(patternBlock(base, i++, Math.min(BLOCK, length - at)));
    },
  });
}

/** A sink that compares what it is given with the pattern; `result()` says whether exactly all of it came. */
export function patternCheck(base: Uint8Array, length: number): { sink: Writable; result: () => boolean } {
  let pos = 0;
  let good = true;
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      let at = 0;
      while (good && at < c.length) {
        const i = Math.floor(pos / BLOCK);
        const off = pos % BLOCK;
        const n = Math.min(c.length - at, BLOCK - off, length - pos);
        if (n <= 0) {
          good = false;
          break;
        }
        const want = patternBlock(base, i, Math.min(BLOCK, length - i * BLOCK)).subarray(off, off + n);
        if (!want.equals(c.subarray(at, at + n))) good = false;
        at += n;
        pos += n;
      }
      cb();
    },
  });
  return { sink, result: () => good && pos === length };
}
