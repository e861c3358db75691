// The codecs of the QMail mailbox address (shared/qmail/address.ts): 7 bytes (CBDF/1.0
// §4.3.5) and the text form, each refusing what is not an address with CBDF's typed error.
import { CbdfError } from './errors.js';
import { ADDRESS_PATTERN, MAILBOX_LENGTH, type Mailbox } from '../qmail/address.js';

// The type and the text form live with QMail; re-exported for the CBDF modules and their users.
export {
  ADDRESS_PATTERN,
  CLOUDCOIN_COIN_GROUP,
  MAILBOX_LENGTH,
  cloudCoinMailbox,
  formatMailbox,
  isCloudCoinMailbox,
  type Mailbox,
} from '../qmail/address.js';

export function encodeMailbox(m: Mailbox): Uint8Array {
  const { coinGroup, denomination, serial } = m;
  if (!Number.isInteger(coinGroup) || coinGroup < 0 || coinGroup > 0xffff)
    throw new CbdfError('BAD_ADDRESS', `coin group out of range: ${coinGroup}`);
  if (!Number.isInteger(denomination) || denomination < -128 || denomination > 127)
    throw new CbdfError('BAD_ADDRESS', `denomination out of range: ${denomination}`);
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

/** The text form, `0006.1.42`, range-checked. */
export function parseMailbox(text: string): Mailbox {
  const match = ADDRESS_PATTERN.exec(text.trim());
  if (!match) throw new CbdfError('BAD_ADDRESS', `not a mailbox (want GGGG.D.S, e.g. 0006.1.42): ${text.slice(0, 40)}`);
  const m = { coinGroup: parseInt(match[1]!, 16), denomination: Number(match[2]), serial: Number(match[3]) };
  encodeMailbox(m); // range checks
  return m;
}
