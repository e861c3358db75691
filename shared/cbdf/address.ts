// The 7-byte QMail mailbox address (CBDF/1.0 §4.3.5), shared by CBDF Meta, the Tell
// manifest, DRD and RKE: [coin group: 2 bytes][denomination: 1 signed][serial: 4 LE].
// CloudCoin mailboxes carry the literal coin-group bytes 00 06.
import { CbdfError } from './errors.js';

export const MAILBOX_LENGTH = 7;
/** The coin-group bytes of a CloudCoin mailbox, as they appear on the wire. */
export const CLOUDCOIN_COIN_GROUP = 0x0006;

export interface Mailbox {
  /** The two coin-group bytes read as a big-endian number: `00 06` is 6. */
  coinGroup: number;
  /** Signed denomination byte, −128…127 (CloudCoin uses powers of ten as exponents). */
  denomination: number;
  /** Serial number, 0…2^32−1, little-endian on the wire. */
  serial: number;
}

export function encodeMailbox(m: Mailbox): Uint8Array {
  const { coinGroup, denomination, serial } = m;
  if (!Number.isInteger(coinGroup) || coinGroup < 0 || coinGroup > 0xffff) throw new CbdfError('BAD_ADDRESS', `coin group out of range: ${coinGroup}`);
  if (!Number.isInteger(denomination) || denomination < -128 || denomination > 127) throw new CbdfError('BAD_ADDRESS', `denomination out of range: ${denomination}`);
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) throw new CbdfError('BAD_ADDRESS', `serial out of range: ${serial}`);
  return new Uint8Array([
    coinGroup >>> 8,
    coinGroup & 0xff,
    denomination & 0xff,
    serial & 0xff,
    (serial >>> 8) & 0xff,
    (serial >>> 16) & 0xff,
    (serial >>> 24) & 0xff,
  ]);
}

/** Decodes exactly 7 bytes. Any coin group is accepted; use `isCloudCoinMailbox` to require 00 06. */
export function decodeMailbox(b: Uint8Array): Mailbox {
  if (b.length !== MAILBOX_LENGTH) throw new CbdfError('BAD_ADDRESS', `a mailbox is 7 bytes, got ${b.length}`);
  const d = b[2]!;
  return {
    coinGroup: (b[0]! << 8) | b[1]!,
    denomination: d >= 0x80 ? d - 0x100 : d,
    serial: (b[3]! | (b[4]! << 8) | (b[5]! << 16)) + b[6]! * 0x1000000,
  };
}

export function isCloudCoinMailbox(m: Mailbox): boolean {
  return m.coinGroup === CLOUDCOIN_COIN_GROUP;
}

export function cloudCoinMailbox(denomination: number, serial: number): Mailbox {
  return { coinGroup: CLOUDCOIN_COIN_GROUP, denomination, serial };
}

/** Human form used by the CLI and UI: `0006.1.42` (coin group hex . denomination . serial). */
export function formatMailbox(m: Mailbox): string {
  return `${m.coinGroup.toString(16).padStart(4, '0')}.${m.denomination}.${m.serial}`;
}

export function parseMailbox(text: string): Mailbox {
  const match = /^([0-9a-fA-F]{4})\.(-?\d{1,3})\.(\d{1,10})$/.exec(text.trim());
  if (!match) throw new CbdfError('BAD_ADDRESS', `not a mailbox (want GGGG.D.S, e.g. 0006.1.42): ${text.slice(0, 40)}`);
  const m = { coinGroup: parseInt(match[1]!, 16), denomination: Number(match[2]), serial: Number(match[3]) };
  encodeMailbox(m); // range checks
  return m;
}
