// Helpers shared by the stream-path tests: collecting sinks, generated streams, byte
// comparisons that stay fast on large buffers, and deterministic choices of slots.
import type { Hash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { expect } from 'vitest';

/** A sink that keeps every chunk it is given; `bytes()` joins them. */
export function memorySink(): { sink: Writable; bytes: () => Uint8Array } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      parts.push(c);
      cb();
    },
  });
  return { sink, bytes: () => new Uint8Array(Buffer.concat(parts)) };
}

/** A deterministic pseudo-random byte stream of `length` bytes (xorshift32), generated 1 MiB at a time; `hash` sees every byte. */
export function patternStream(length: number, seed: number, hash?: Hash): Readable {
  let done = 0;
  let x = seed >>> 0 || 1;
  return new Readable({
    read() {
      if (done >= length) return void this.push(null);
      const n = Math.min(1 << 20, length - done);
      const words = new Uint32Array((n + 3) >> 2);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x;
      }
      const b = Buffer.from(words.buffer, 0, n);
      hash?.update(b);
      done += n;
      this.push(b);
    },
  });
}

/** Byte equality without vitest's element-by-element diff (which takes seconds per MiB). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (a.equals(b)) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  expect.fail(`${what} differ: lengths ${a.length} and ${b.length}, first difference at byte ${i}`);
}

/** Deterministic choice of `count` distinct indices below n. */
export function pick(n: number, count: number, seed: number): number[] {
  const idx = [...Array(n).keys()];
  let x = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, count);
}
