/** Raised when a reader would run past its end. Codecs map it to their own typed error. */
export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
  constructor(
    readonly need: number,
    readonly have: number,
    readonly at: number,
  ) {
    super(`truncated: need ${need} byte(s) at offset ${at}, ${have} left`);
  }
}

/** Big-endian cursor over a byte array. Never reads out of bounds. */
export class ByteReader {
  private pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new TruncatedError(n, this.remaining, this.pos);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const b = this.bytes;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.bytes;
    const v = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }
  i8(): number {
    const v = this.u8();
    return v >= 0x80 ? v - 0x100 : v;
  }
  u64(): bigint {
    const hi = BigInt(this.u32());
    const lo = BigInt(this.u32());
    return (hi << 32n) | lo;
  }
  bytes_(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A copy, safe to keep after the source buffer is reused. */
  take(n: number): Uint8Array {
    return this.bytes_(n).slice();
  }
  rest(): Uint8Array {
    return this.bytes_(this.remaining);
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
