// hire (Group 6, command 86, ours: EXT-10): pay a storage server or beacon for a term of
// service for one mailbox. The payment is a Chips locker: the client puts coins worth the
// price in a locker on every coin server of the network and hands the node the locker's
// 16-byte code and the coins in it; the node takes them (peek and remove on a majority)
// before it grants the term. Layout and rules: docs/protocol.md "hire (EXT-10)".
import { ByteReader, ByteWriter } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { isValidDenomination, type CoinRef } from '../raida/index.js';
import { bodyReader, check, expectDone, fixed, qmailDecode } from './errors.js';
import { type Preamble, readPreamble, writePreamble } from './preamble.js';

export const HIRE_COMMAND = 86;
/** Longest term one hire buys, in months (30 days each). */
export const HIRE_MAX_MONTHS = 24;
/** Coins one hire may name. */
export const HIRE_MAX_COINS = 200;
export const HIRE_MONTH_MS = 30 * 24 * 60 * 60 * 1000;

export interface HireRequest {
  /** The mailbox the term is for; its AN may be zeros (a hire needs no AN: the payment is the proof). */
  preamble: Preamble;
  /** 1..24. */
  months: number;
  /** Storage bought, in MB (1..2^32−1); a beacon hire asks for what it needs (the node's minimum is 1). */
  quotaMb: number;
  /** The locker's code: the client derived every server's locker key from it. */
  lockerCode: Uint8Array;
  /** The coins in the locker (none when the node's price is 0). */
  coins: CoinRef[];
}

export function encodeHire(h: HireRequest): Uint8Array {
  fixed(h.lockerCode, 16, 'locker code');
  check(Number.isInteger(h.months) && h.months >= 1 && h.months <= HIRE_MAX_MONTHS, 'bad_term', Status.INVALID_PARAMETER, 'months 1..24');
  check(
    Number.isInteger(h.quotaMb) && h.quotaMb >= 1 && h.quotaMb <= 0xffffffff,
    'bad_quota',
    Status.INVALID_PARAMETER,
    'quota 1 MB..4 PB',
  );
  check(h.coins.length <= HIRE_MAX_COINS, 'too_many_coins', Status.TOO_MANY_COINS, `at most ${HIRE_MAX_COINS} coins`);
  const w = new ByteWriter(48 + 1 + 4 + 16 + 1 + 5 * h.coins.length + 2);
  writePreamble(w, h.preamble);
  w.u8(h.months).u32(h.quotaMb).bytes(h.lockerCode).u8(h.coins.length);
  for (const c of h.coins) w.i8(c.denomination).u32(c.serial);
  return w.bytes(new Uint8Array([0x3e, 0x3e])).finish();
}

export function decodeHire(body: Uint8Array): HireRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'hire');
    const preamble = readPreamble(r);
    const months = r.u8();
    const quotaMb = r.u32();
    const lockerCode = r.take(16);
    const count = r.u8();
    check(months >= 1 && months <= HIRE_MAX_MONTHS, 'bad_term', Status.INVALID_PARAMETER, 'hire: months must be 1..24');
    check(quotaMb >= 1, 'bad_quota', Status.INVALID_PARAMETER, 'hire: quota must be at least 1 MB');
    check(count <= HIRE_MAX_COINS, 'too_many_coins', Status.TOO_MANY_COINS, `hire: at most ${HIRE_MAX_COINS} coins`);
    const coins: CoinRef[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const denomination = r.i8();
      const serial = r.u32();
      check(isValidDenomination(denomination), 'bad_denomination', Status.INVALID_SN_OR_DENOMINATION, 'hire: bad denomination');
      check(!seen.has(`${denomination}.${serial}`), 'repeated_coin', Status.INVALID_PARAMETER, 'hire: a coin is named twice');
      seen.add(`${denomination}.${serial}`);
      coins.push({ denomination, serial });
    }
    expectDone(r, 'hire');
    return { preamble, months, quotaMb, lockerCode, coins };
  });
}

/** The node's answer to a hire: SUCCESS with the term, or PAYMENT_INSUFFICIENT with what it costs. */
export interface HireResult {
  /** When the term ends (ms since 1970). */
  expiresAt: number;
  quotaMb: number;
  /** The price of the term asked for, in 1e-8 CC. */
  priceUnits: bigint;
  /** What this hire paid (SUCCESS) or what the node took and holds for the mailbox as credit (PAYMENT_INSUFFICIENT). */
  paidUnits: bigint;
}
export const HIRE_RESULT_LENGTH = 8 + 4 + 8 + 8;

export function encodeHireResult(r: HireResult): Uint8Array {
  return new ByteWriter(HIRE_RESULT_LENGTH).u64(BigInt(r.expiresAt)).u32(r.quotaMb).u64(r.priceUnits).u64(r.paidUnits).finish();
}

export function decodeHireResult(payload: Uint8Array): HireResult {
  return qmailDecode(() => {
    const r = new ByteReader(payload);
    const out = { expiresAt: Number(r.u64()), quotaMb: r.u32(), priceUnits: r.u64(), paidUnits: r.u64() };
    expectDone(r, 'hire result');
    return out;
  });
}

/** Price of a term in 1e-8 CC: CC per MB-month × MB × months, rounded up to a whole unit. */
export function hirePrice(pricePerMbMonth: number, quotaMb: number, months: number): bigint {
  // The price is read in units first, so a decimal such as 0.01 CC is exact.
  const perMbMonth = BigInt(Math.round(pricePerMbMonth * 1e8));
  return perMbMonth * BigInt(quotaMb) * BigInt(months);
}
