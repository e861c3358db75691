// A QMail address: the 7-byte mailbox of CBDF/1.0 §4.3.5, shared by the Tell manifest,
// CBDF Meta, DRD and RKE — [coin group: 2 bytes][denomination: 1 signed][serial: 4 LE] —
// and the text form people write, `0006.1.42` (coin group hex . denomination . serial).
// Its byte and text codecs are in shared/cbdf/address.ts (they throw CBDF's typed error).

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

/** The text form, unanchored (to find an address in "Ada <0006.1.42>"); groups: coin group, denomination, serial. */
export const ADDRESS_TEXT = /([0-9a-fA-F]{4})\.(-?\d{1,3})\.(\d{1,10})/;
/** Exactly an address in text form, nothing around it. */
export const ADDRESS_PATTERN = new RegExp(`^${ADDRESS_TEXT.source}$`);

export function isCloudCoinMailbox(m: Mailbox): boolean {
  return m.coinGroup === CLOUDCOIN_COIN_GROUP;
}

export function cloudCoinMailbox(denomination: number, serial: number): Mailbox {
  return { coinGroup: CLOUDCOIN_COIN_GROUP, denomination, serial };
}

/** Human form used by the CLI and UI: `0006.1.42`. */
export function formatMailbox(m: Mailbox): string {
  return `${m.coinGroup.toString(16).padStart(4, '0')}.${m.denomination}.${m.serial}`;
}
