import type { ByteReader, ByteWriter } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { QMailError, check, fixed } from './errors.js';

/** QMail/1.0 §4.3: the 48 bytes every Group 6 request body begins with (shared with RKE §4.2). */
export interface Preamble {
  /** 12 random bytes + their big-endian CRC32. */
  challenge: Uint8Array;
  /** 8 bytes, all zero in standard mode. */
  sessionId: Uint8Array;
  /** Coin type, `00 06` for QMail. */
  coinGroup: number;
  /** Signed denomination −8…+6 of the caller's mailbox coin. */
  denomination: number;
  serial: number;
  /** Byte 31, formerly the device id: sent as 0, read and ignored by servers. */
  reserved: number;
  /** The caller's AN on this server. */
  an: Uint8Array;
}

export const PREAMBLE_LENGTH = 48;
export const QMAIL_COIN_GROUP = 0x0006;
export const ZERO_SESSION: Uint8Array = new Uint8Array(8);

export function makePreamble(p: {
  challenge: Uint8Array;
  denomination: number;
  serial: number;
  an: Uint8Array;
  sessionId?: Uint8Array;
  coinGroup?: number;
}): Preamble {
  return {
    challenge: p.challenge,
    sessionId: p.sessionId ?? new Uint8Array(8),
    coinGroup: p.coinGroup ?? QMAIL_COIN_GROUP,
    denomination: p.denomination,
    serial: p.serial,
    reserved: 0,
    an: p.an,
  };
}

export function writePreamble(w: ByteWriter, p: Preamble): void {
  fixed(p.challenge, 16, 'challenge');
  fixed(p.sessionId, 8, 'session id');
  fixed(p.an, 16, 'AN');
  check(
    Number.isInteger(p.denomination) && p.denomination >= -128 && p.denomination <= 127,
    'bad_denomination',
    Status.INVALID_SN_OR_DENOMINATION,
    `denomination out of range: ${p.denomination}`,
  );
  w.bytes(p.challenge).bytes(p.sessionId).u16(p.coinGroup).i8(p.denomination).u32(p.serial).u8(p.reserved).bytes(p.an);
}

export function readPreamble(r: ByteReader): Preamble {
  if (r.remaining < PREAMBLE_LENGTH)
    throw new QMailError('truncated', Status.INVALID_PACKET_LENGTH, `preamble needs 48 bytes, ${r.remaining} left`);
  const challenge = r.take(16);
  const sessionId = r.take(8);
  const coinGroup = r.u16();
  const denomination = r.i8();
  const serial = r.u32();
  const reserved = r.u8();
  const an = r.take(16);
  return { challenge, sessionId, coinGroup, denomination, serial, reserved, an };
}

export function isZeroAn(an: Uint8Array): boolean {
  return an.every((b) => b === 0);
}
