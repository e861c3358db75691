import { ByteReader, ByteWriter } from '../bytes/index.js';
import { RaidaError, guardDecode } from './errors.js';
import { Status } from './status.js';

/**
 * CloudCoin denominations: a signed byte d in -8..+6 worth 10^d CC. 11 marks a key
 * coin (no monetary value). Values below are in 1e-8 CC units, the unit DRD fees use.
 */
export const MIN_DENOMINATION = -8;
export const MAX_DENOMINATION = 6;
export const KEY_DENOMINATION = 11;
export const UNITS_PER_CC = 100_000_000n;

export function isValidDenomination(d: number): boolean {
  return Number.isInteger(d) && ((d >= MIN_DENOMINATION && d <= MAX_DENOMINATION) || d === KEY_DENOMINATION);
}

/** Value of one coin of denomination d, in 1e-8 CC units (0 for key coins). */
export function denominationUnits(d: number): bigint {
  if (d === KEY_DENOMINATION) return 0n;
  if (!Number.isInteger(d) || d < MIN_DENOMINATION || d > MAX_DENOMINATION)
    throw new RaidaError('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, `denomination ${d} out of range`);
  return 10n ** BigInt(d + 8);
}

/** A coin's identity on the RAIDA: signed denomination + 32-bit serial (the 5-byte "PQ"). */
export interface CoinRef {
  denomination: number;
  serial: number;
}

export const PQ_LENGTH = 5;

export function writePq(w: ByteWriter, c: CoinRef): ByteWriter {
  return w.i8(c.denomination).u32(c.serial);
}
export function readPq(r: ByteReader): CoinRef {
  const denomination = r.i8();
  const serial = r.u32();
  return { denomination, serial };
}
export function encodePq(c: CoinRef): Uint8Array {
  return writePq(new ByteWriter(5), c).finish();
}
export function decodePq(bytes: Uint8Array): CoinRef {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      if (bytes.length !== PQ_LENGTH)
        throw new RaidaError('bad_length', Status.INVALID_PACKET_LENGTH, `PQ is 5 bytes, got ${bytes.length}`);
      return readPq(new ByteReader(bytes));
    },
  );
}

/** Comparison order of list_get / DRD: denomination (signed) then serial. */
export function compareCoinRef(a: CoinRef, b: CoinRef): number {
  return a.denomination - b.denomination || a.serial - b.serial;
}

/**
 * A coin with its authenticity numbers, one 16-byte AN per server, in the shape the
 * wallet and the locker commands need.
 */
export interface Coin extends CoinRef {
  ans: Uint8Array[];
}
