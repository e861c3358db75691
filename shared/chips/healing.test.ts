// The healing bodies (get ticket 40, validate ticket 50, fix 80): their layouts, the fix AN,
// and malformed or oversized bodies refused with a ChipsError carrying the status to answer.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { toHex } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import {
  ChipsError,
  FIX_TICKET_SLOTS,
  MAX_COINS_PER_REQUEST,
  decodeFix,
  decodeGetTicket,
  decodeTicketAnswer,
  decodeValidateTicket,
  encodeFix,
  encodeGetTicket,
  encodeTicketAnswer,
  encodeValidateTicket,
  fixAn,
} from './index.js';

const b = (n: number, s = 0) => Uint8Array.from({ length: n }, (_, i) => (s + i) & 0xff);
const challenge = b(16, 0xc0);
const END = Uint8Array.from([0x3e, 0x3e]);
const cat = (...p: Uint8Array[]) => Uint8Array.from(p.flatMap((x) => [...x]));
const refused = (f: () => unknown): { code: string; status: number } => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChipsError);
    return { code: (e as ChipsError).code, status: (e as ChipsError).status };
  }
  throw new Error('not refused');
};
const tickets = (set: Record<number, number> = {}) => Array.from({ length: FIX_TICKET_SLOTS }, (_, i) => set[i] ?? 0);

describe('healing bodies', () => {
  it('get ticket: challenge, target, then DN SN AN a coin', () => {
    const body = encodeGetTicket({ challenge, target: 3, coins: [{ denomination: 1, serial: 70_000, an: b(16, 5) }] });
    expect(toHex(body)).toBe(toHex(challenge) + '03' + '0100011170' + toHex(b(16, 5)) + '3e3e');
    expect(decodeGetTicket(body)).toEqual({ challenge, target: 3, coins: [{ denomination: 1, serial: 70_000, an: b(16, 5) }] });
  });

  it('get ticket answers: the ticket alone when all pass, the bits first when mixed', () => {
    expect(toHex(encodeTicketAnswer([true, true], 0xdeadbeef))).toBe('deadbeef');
    const mixed = encodeTicketAnswer([true, false, true], 7);
    expect(toHex(mixed)).toBe('05' + '00000007');
    expect(decodeTicketAnswer(mixed, 3, true)).toEqual({ pass: [true, false, true], ticket: 7 });
    expect(decodeTicketAnswer(Uint8Array.from([0, 0, 0, 9]), 2, false)).toEqual({ pass: [true, true], ticket: 9 });
    // a ticket 0 is none; a wrong length is refused
    expect(refused(() => decodeTicketAnswer(new Uint8Array(4), 1, false)).code).toBe('bad_field');
    expect(refused(() => decodeTicketAnswer(new Uint8Array(5), 1, false)).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeTicketAnswer(new Uint8Array(4), 9, true)).status).toBe(Status.INVALID_PACKET_LENGTH);
  });

  it('validate ticket: 56 bytes, the claimer and the ticket as the C server, then version 1 and the nonce', () => {
    const nonce = b(32, 0x40);
    const body = encodeValidateTicket({ challenge, claimer: 24, ticket: 0x01020304, nonce });
    expect(body.length).toBe(56);
    expect(toHex(body)).toBe(toHex(challenge) + '18' + '01020304' + '01' + toHex(nonce) + '3e3e');
    expect(decodeValidateTicket(body)).toEqual({ challenge, claimer: 24, ticket: 0x01020304, nonce });
    // the nonce is 32 bytes; another version is refused
    expect(refused(() => encodeValidateTicket({ challenge, claimer: 1, ticket: 1, nonce: b(31) })).status).toBe(Status.INVALID_PARAMETER);
    const v2 = body.slice();
    v2[21] = 2;
    expect(refused(() => decodeValidateTicket(v2)).code).toBe('bad_version');
  });

  it('fix: DN SN a coin, the PG, then 25 four-byte tickets (the C server’s 134 + 5n bytes)', () => {
    const f = {
      challenge,
      coins: [
        { denomination: 0, serial: 9 },
        { denomination: -1, serial: 10 },
      ],
      pg: b(16, 0x40),
      tickets: tickets({ 1: 11, 4: 0xffffffff }),
    };
    const body = encodeFix(f);
    expect(body.length).toBe(134 + 10);
    expect(toHex(body.subarray(16, 26))).toBe('0000000009' + 'ff0000000a');
    expect(toHex(body.subarray(26, 42))).toBe(toHex(b(16, 0x40)));
    expect(toHex(body.subarray(42, 50))).toBe('00000000' + '0000000b');
    expect(decodeFix(body)).toEqual(f);
  });

  it('the fixed AN is MD5(RAIDA index, DN, SN, PG), as cmd_healing.c computes it', () => {
    const pg = b(16, 0x77);
    const want = createHash('md5')
      .update(Uint8Array.from([2, 0xfe, 0, 0, 0x30, 0x39, ...pg]))
      .digest();
    expect(toHex(fixAn(2, { denomination: -2, serial: 12345 }, pg))).toBe(want.toString('hex'));
    expect(toHex(fixAn(3, { denomination: -2, serial: 12345 }, pg))).not.toBe(want.toString('hex'));
  });

  it('refuses malformed and oversized bodies with the status to answer', () => {
    const coin = cat(Uint8Array.from([1, 0, 0, 0, 1]), b(16));
    // get ticket: no coin, a partial coin, no terminator, a RAIDA index past 24, the same coin twice
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([0]), END))).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([0]), coin, coin.subarray(0, 10), END))).status).toBe(
      Status.COINS_NOT_DIV,
    );
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([0]), coin))).status).toBe(Status.INVALID_EOF);
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([25]), coin, END))).status).toBe(Status.WRONG_RAIDA);
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([0]), coin, coin, END))).code).toBe('duplicate_coin');
    expect(refused(() => decodeGetTicket(cat(challenge, Uint8Array.from([0]), Uint8Array.from([9, 0, 0, 0, 1]), b(16), END))).status).toBe(
      Status.INVALID_SN_OR_DENOMINATION,
    );
    // more coins than one request may carry
    const many = cat(
      challenge,
      Uint8Array.from([0]),
      ...Array.from({ length: MAX_COINS_PER_REQUEST + 1 }, (_, i) => cat(Uint8Array.from([0, 0, 0, i >> 8, i & 0xff]), b(16))),
      END,
    );
    expect(refused(() => decodeGetTicket(many)).status).toBe(Status.TOO_MANY_COINS);
    expect(refused(() => encodeGetTicket({ challenge, target: 0, coins: [] })).status).toBe(Status.INVALID_PARAMETER);
    // validate ticket: the C server's 23 bytes (no nonce), any other length, a RAIDA index past 24
    expect(refused(() => decodeValidateTicket(cat(challenge, Uint8Array.from([1, 0, 0, 0, 1]), END))).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
    expect(refused(() => decodeValidateTicket(cat(challenge, Uint8Array.from([1, 0, 0, 0, 1, 1]), b(33), END))).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
    expect(refused(() => decodeValidateTicket(cat(challenge, Uint8Array.from([1, 0, 0, 0, 1, 1]), b(31), END))).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
    expect(refused(() => decodeValidateTicket(cat(challenge, Uint8Array.from([30, 0, 0, 0, 1, 1]), b(32), END))).status).toBe(
      Status.WRONG_RAIDA,
    );
    // fix: no coin, a partial coin, the ticket slots cut short, too many coins
    const tail = cat(b(16), new Uint8Array(FIX_TICKET_SLOTS * 4), END);
    expect(refused(() => decodeFix(cat(challenge, tail))).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeFix(cat(challenge, Uint8Array.from([0, 0, 0, 0, 1, 0]), tail))).status).toBe(Status.COINS_NOT_DIV);
    expect(refused(() => decodeFix(cat(challenge, Uint8Array.from([0, 0, 0, 0, 1]), b(16), new Uint8Array(96), END))).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
    const lots = cat(
      challenge,
      ...Array.from({ length: MAX_COINS_PER_REQUEST + 1 }, (_, i) => Uint8Array.from([0, 0, 0, i >> 8, i & 0xff])),
      tail,
    );
    expect(refused(() => decodeFix(lots)).status).toBe(Status.TOO_MANY_COINS);
    expect(refused(() => encodeFix({ challenge, coins: [{ denomination: 0, serial: 1 }], pg: b(16), tickets: [1, 2] })).status).toBe(
      Status.INVALID_PARAMETER,
    );
    expect(refused(() => encodeFix({ challenge, coins: [{ denomination: 0, serial: 1 }], pg: b(15), tickets: tickets() })).status).toBe(
      Status.INVALID_PARAMETER,
    );
  });
});
