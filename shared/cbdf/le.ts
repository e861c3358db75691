// Little-endian cursor and writer. CBDF is little-endian throughout (the RAIDA wire and
// shared/bytes are big-endian, hence these small local helpers).
import { CbdfError, fail } from './errors.js';

export class LeReader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** Added to positions in error messages (offset of this slice in the whole document). */
    readonly base = 0,
  ) {}
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  get at(): number {
    return this.base + this.pos;
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new CbdfError('TRUNCATED', `truncated ${what}: need ${n} byte(s), ${this.remaining} left`, this.at);
    }
  }
  peek(): number | undefined {
    return this.bytes[this.pos];
  }
  u8(what = 'byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  u16(what = 'u16'): number {
    this.need(2, what);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }
  u32(what = 'u32'): number {
    this.need(4, what);
    const b = this.bytes;
    const v = (b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16)) + b[this.pos + 3]! * 0x1000000;
    this.pos += 4;
    return v;
  }
  /** A view (no copy). */
  view(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A copy, safe to keep. */
  take(n: number, what: string): Uint8Array {
    return this.view(n, what).slice();
  }
  expect(byte: number, what: string): void {
    const at = this.at;
    if (this.done) fail('TRUNCATED', `expected ${what}`, at);
    const b = this.u8();
    if (b !== byte)
      fail('BAD_SEPARATOR', `expected ${what} (0x${byte.toString(16).padStart(2, '0')}), found 0x${b.toString(16).padStart(2, '0')}`, at);
  }
}

export class LeWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }
  get length(): number {
    return this.len;
  }
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  private check(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) fail('BAD_INPUT', `${what} out of range: ${v}`);
  }
  u8(v: number, what = 'u8'): this {
    this.check(v, 0xff, what);
    this.grow(1);
    this.buf[this.len++] = v;
    return this;
  }
  u16(v: number, what = 'u16'): this {
    this.check(v, 0xffff, what);
    this.grow(2);
    this.buf[this.len++] = v & 0xff;
    this.buf[this.len++] = v >>> 8;
    return this;
  }
  u32(v: number, what = 'u32'): this {
    this.check(v, 0xffffffff, what);
    this.grow(4);
    this.buf[this.len++] = v & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 24) & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function u32le(v: number): Uint8Array {
  return new LeWriter(4).u32(v).finish();
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

export function utf8Decode(b: Uint8Array, what: string, offset?: number): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    return fail('BAD_UTF8', `${what} is not valid UTF-8`, offset);
  }
}

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** True when the string survives a UTF-8 round trip (no lone surrogates). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
