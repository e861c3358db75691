import type { ByteReader, ByteWriter } from '../bytes/index.js';
import { utf8 } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { DrdError, kit } from './errors.js';

/** DRD/1.0 §4.3: fees count 1e-8 CC units in a signed big-endian int64; never negative. */
export const FEE_UNITS_PER_CC = 100_000_000n;
export const MAX_FEE = (1n << 63n) - 1n;
/** The beacon's default Tell fee for a recipient without a DRD record: 10 CC. */
export const DEFAULT_TELL_FEE = 10n * FEE_UNITS_PER_CC;

export function checkFee(units: bigint): void {
  if (typeof units !== 'bigint' || units < 0n || units > MAX_FEE)
    throw new DrdError('bad_fee', Status.INVALID_PARAMETER, `inbox fee must be 0…2^63−1 units, got ${String(units)}`);
}

export function encodeFee(units: bigint): Uint8Array {
  checkFee(units);
  const out = new Uint8Array(8);
  let v = units;
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function decodeFee(bytes: Uint8Array): bigint {
  kit.check(bytes.length === 8, 'bad_length', Status.INVALID_PACKET_LENGTH, 'a fee is 8 bytes');
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (v > MAX_FEE) throw new DrdError('bad_fee', Status.INVALID_PARAMETER, 'negative inbox fee');
  return v;
}

/** "10992.934002" → 1099293400200n. At most 8 fractional digits; no sign, no exponent. */
export function parseCc(text: string): bigint {
  const m = /^(\d{1,11})(?:\.(\d{1,8}))?$/.exec(text.trim());
  if (!m) throw new DrdError('bad_fee', Status.INVALID_PARAMETER, `not a non-negative CC amount with ≤ 8 decimals: ${text.slice(0, 40)}`);
  const units = BigInt(m[1]!) * FEE_UNITS_PER_CC + BigInt((m[2] ?? '').padEnd(8, '0'));
  checkFee(units);
  return units;
}

/** 1099293400200n → "10992.934002" (shortest exact form). */
export function formatCc(units: bigint): string {
  checkFee(units);
  const whole = units / FEE_UNITS_PER_CC;
  const frac = (units % FEE_UNITS_PER_CC).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Class rejection: signed byte, 0 = accept all, else the minimum sender denomination (−8…+6). */
export function checkClassRejection(cr: number): void {
  if (!Number.isInteger(cr) || cr < -8 || cr > 6)
    throw new DrdError('bad_class_rejection', Status.INVALID_PARAMETER, `class rejection must be −8…+6, got ${cr}`);
}

/** DRD §4.3 / QMail §4.5 step 3: does this recipient's class-rejection byte refuse the sender? */
export function classRejects(classRejection: number, senderDenomination: number): boolean {
  const cr = classRejection > 127 ? classRejection - 256 : classRejection; // accept raw byte or signed value
  return cr !== 0 && senderDenomination < cr;
}

export const MAX_NAME_BYTES = 63;

export function writeName(w: ByteWriter, name: string, what: string): void {
  const b = utf8.encode(name);
  if (b.length > MAX_NAME_BYTES || name.includes('\0'))
    throw new DrdError('bad_name', Status.INVALID_PARAMETER, `${what} must be at most 63 UTF-8 bytes without NUL`);
  w.u8(b.length).bytes(b);
}

export function readName(r: ByteReader, what: string): string {
  const n = r.u8();
  kit.check(n <= MAX_NAME_BYTES, 'bad_name', Status.INVALID_PARAMETER, `${what} length ${n} exceeds 63`);
  const b = r.bytes_(n);
  try {
    const s = utf8.decode(b);
    kit.check(!s.includes('\0'), 'bad_name', Status.INVALID_PARAMETER, `${what} contains NUL`);
    return s;
  } catch (e) {
    if (e instanceof DrdError) throw e;
    throw new DrdError('bad_name', Status.INVALID_PARAMETER, `${what} is not valid UTF-8`);
  }
}

export function writeTimestamp(w: ByteWriter, t: number): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new DrdError('bad_timestamp', Status.INVALID_PARAMETER, `timestamp out of range: ${t}`);
  w.u64(BigInt(t));
}
export function readTimestamp(r: ByteReader): number {
  const v = r.u64();
  kit.check(v <= BigInt(Number.MAX_SAFE_INTEGER), 'bad_timestamp', Status.INVALID_PARAMETER, 'timestamp beyond 2^53');
  return Number(v);
}
