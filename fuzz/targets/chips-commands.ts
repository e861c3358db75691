// Coin command bodies a node reads from anyone (detect, pown/find, locker put/peek/remove,
// available serials, break/join, mint, get ticket, validate ticket, fix) and the answers a
// wallet or a fixing node reads (coin lists, serials, tickets, signed validate votes).
// What decodes must survive encode → decode.
import {
  ChipsError,
  decodeAvailableSns,
  decodeAvailableSnsResult,
  decodeChange,
  decodeCoinList,
  decodeDetect,
  decodeFix,
  decodeGetTicket,
  decodeTicketAnswer,
  decodeValidateAnswer,
  decodeValidateTicket,
  decodeLockerPeek,
  decodeLockerPut,
  decodeLockerRemove,
  decodeMint,
  decodePown,
  encodeAvailableSns,
  encodeAvailableSnsResult,
  encodeChange,
  encodeCoinList,
  encodeDetect,
  encodeFix,
  encodeGetTicket,
  encodeTicketAnswer,
  encodeValidateAnswer,
  encodeValidateTicket,
  encodeLockerPeek,
  encodeLockerPut,
  encodeLockerRemove,
  encodeMint,
  encodePown,
  FIX_TICKET_SLOTS,
  VALIDATE_NONCE,
  VOTE_SIGNATURE,
} from '../../shared/chips/index.js';
import { isDeepStrictEqual } from 'node:util';
import { type FuzzTarget, byFirstByte, invariant, roundTrip, tokens } from '../engine/target.js';

const CODECS: ((b: Uint8Array) => void)[] = [
  (b) => void roundTrip('detect', decodeDetect, encodeDetect, b),
  (b) => void roundTrip('pown', decodePown, encodePown, b),
  (b) => void roundTrip('locker put', decodeLockerPut, encodeLockerPut, b),
  (b) => void roundTrip('locker peek', decodeLockerPeek, encodeLockerPeek, b),
  (b) => void roundTrip('locker remove', decodeLockerRemove, encodeLockerRemove, b),
  (b) => void roundTrip('available serials', decodeAvailableSns, encodeAvailableSns, b),
  (b) => void roundTrip('change', decodeChange, encodeChange, b),
  (b) => void roundTrip('mint', decodeMint, encodeMint, b),
  (b) => void roundTrip('coin list', decodeCoinList, encodeCoinList, b),
  (b) => void roundTrip('serials', decodeAvailableSnsResult, (r) => encodeAvailableSnsResult(r.denomination, r.serials), b),
  (b) => void roundTrip('get ticket', decodeGetTicket, encodeGetTicket, b),
  (b) => void roundTrip('validate ticket', decodeValidateTicket, encodeValidateTicket, b),
  (b) => void roundTrip('fix', decodeFix, encodeFix, b),
  (b) => void roundTrip('validate answer', decodeValidateAnswer, (v) => encodeValidateAnswer(v.coins, v.signature), b),
  // The ticket answer's shape depends on the request (how many coins, MIXED or not): both read from the first byte.
  (b) => {
    const n = (b[0] ?? 0) & 0x3f;
    const mixed = ((b[0] ?? 0) & 0x40) !== 0;
    const t = decodeTicketAnswer(b.subarray(1), n, mixed);
    // A MIXED answer whose bits all pass re-encodes as ALL_PASS (the ticket alone): compare it read that way.
    const again = decodeTicketAnswer(encodeTicketAnswer(t.pass, t.ticket), n, mixed && !t.pass.every(Boolean));
    invariant(isDeepStrictEqual(again, t), 'ticket answer: a decoded value does not survive encode → decode');
  },
];

export const target: FuzzTarget = {
  name: 'chips-commands',
  about: 'coin command bodies (detect, pown/find, locker put/peek/remove, serials, break/join, mint, healing) and their answers',
  sources: ['/shared/chips/', '/shared/bytes/', '/shared/raida/'],
  fuzz: byFirstByte(CODECS),
  expected: (e) => e instanceof ChipsError,
  dictionary: tokens([0x3e, 0x3e], [0xff, 0xff, 0xff, 0xff], [0x00], [0x01], [0x02], [0xf8], [0x06], [0x0b], [0x00, 0x00, 0x00, 0x01]),
  maxLength: 4096,
};

/** Well-formed bodies for each selector (the seed corpus). */
export function chipsCommandSeeds(): [string, Uint8Array][] {
  const b = (n: number, s = 0) => Uint8Array.from({ length: n }, (_, i) => (s + i) & 0xff);
  const challenge = b(16, 0x40);
  const key = Uint8Array.from([...b(12, 0x10), 0xff, 0xff, 0xff, 0xff]);
  const coin = (serial: number, d = 0) => ({ denomination: d, serial, an: b(16, serial) });
  const parts = Array.from({ length: 10 }, (_, i) => coin(100 + i, -1));
  const sel = (c: number, x: Uint8Array): Uint8Array => Uint8Array.from([c, ...x]);
  return [
    ['detect', sel(0, encodeDetect({ challenge, coins: [coin(1), coin(2, -8)] }))],
    ['pown', sel(1, encodePown({ challenge, coins: [{ ...coin(3), pan: b(16, 0x77) }] }))],
    ['locker-put', sel(2, encodeLockerPut({ challenge, coins: [coin(4), coin(5, 6)], sum: b(16), key }))],
    ['locker-peek', sel(3, encodeLockerPeek({ challenge, key }))],
    ['locker-remove', sel(4, encodeLockerRemove({ challenge, key, coins: [coin(6)] }))],
    ['available', sel(5, encodeAvailableSns({ challenge, session: 7, op: 1, denomination: 0 }))],
    ['break', sel(6, encodeChange({ challenge, session: 7, coin: coin(9), parts }))],
    ['mint', sel(7, encodeMint({ challenge, mintKey: b(16, 0x90), coins: [coin(11)] }))],
    ['coin-list', sel(8, encodeCoinList([coin(1), coin(2, 3)]))],
    ['serials', sel(9, encodeAvailableSnsResult(-1, [1, 2, 3]))],
    ['get-ticket', sel(10, encodeGetTicket({ challenge, target: 3, coins: [coin(12), coin(13, 1)] }))],
    ['validate-ticket', sel(11, encodeValidateTicket({ challenge, claimer: 2, ticket: 0x01020304, nonce: b(VALIDATE_NONCE, 0x20) }))],
    [
      'fix',
      sel(
        12,
        encodeFix({
          challenge,
          coins: [coin(14), coin(15, 2)],
          pg: b(16, 0x50),
          tickets: Array.from({ length: FIX_TICKET_SLOTS }, (_, i) => (i % 3 === 0 ? 0 : 1000 + i)),
        }),
      ),
    ],
    ['validate-answer', sel(13, encodeValidateAnswer([coin(16), coin(17, -2)], b(VOTE_SIGNATURE, 0x33)))],
    ['ticket-answer-mixed', sel(14, Uint8Array.from([0x40 | 3, ...encodeTicketAnswer([true, false, true], 0x0a0b0c0d)]))],
    ['ticket-answer-all', sel(14, Uint8Array.from([2, ...encodeTicketAnswer([true, true], 77)]))],
  ];
}
