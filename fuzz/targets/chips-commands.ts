// Coin command bodies a node reads from anyone (detect, pown/find, locker put/peek/remove,
// available serials, break/join, mint) and the answers a wallet reads (coin lists, serials).
// What decodes must survive encode → decode.
import {
  ChipsError,
  decodeAvailableSns,
  decodeAvailableSnsResult,
  decodeChange,
  decodeCoinList,
  decodeDetect,
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
  encodeLockerPeek,
  encodeLockerPut,
  encodeLockerRemove,
  encodeMint,
  encodePown,
} from '../../shared/chips/index.js';
import { type FuzzTarget, byFirstByte, roundTrip, tokens } from '../engine/target.js';

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
];

export const target: FuzzTarget = {
  name: 'chips-commands',
  about: 'coin command bodies (detect, pown/find, locker put/peek/remove, serials, break/join, mint) and their answers',
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
  ];
}
