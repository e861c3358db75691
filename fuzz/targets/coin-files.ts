// Coin files a wallet imports from anywhere: format 9 (one or many coins, PANs, padding), the
// older format 1 `.bin`, the JSON `.stack`, and the sniffing import over all three. Binary
// files must come back byte for byte; a stack must decode to the same coins again.
import { toHex } from '../../shared/bytes/index.js';
import {
  ChipsError,
  decodeCoinFile,
  decodeOldBin,
  decodeStack,
  encodeCoinFile,
  encodeOldBin,
  encodeStack,
  importCoins,
  makeCoinFile,
} from '../../shared/chips/index.js';
import { type FuzzTarget, byFirstByte, invariant, roundTrip, tokens } from '../engine/target.js';

const exact =
  (label: string, decode: (b: Uint8Array) => unknown, encode: (v: never) => Uint8Array) =>
  (b: Uint8Array): void => {
    invariant(toHex(encode(decode(b) as never)) === toHex(b), `${label}: encode(decode(x)) is not x`);
  };
const text = new TextDecoder();
const enc = new TextEncoder();

export const target: FuzzTarget = {
  name: 'coin-files',
  about: 'coin files: format 9, the older format 1 .bin, the JSON .stack, and import over all three',
  sources: ['/shared/chips/', '/shared/bytes/'],
  fuzz: byFirstByte([
    exact('format 9', decodeCoinFile, encodeCoinFile),
    exact('format 1', decodeOldBin, encodeOldBin),
    (b) =>
      void roundTrip(
        'stack',
        (x) => decodeStack(text.decode(x)),
        (v) => enc.encode(encodeStack(v)),
        b,
      ),
    (b) => {
      const { coins } = importCoins(b);
      invariant(
        importCoins(encodeCoinFile(makeCoinFile(coins))).coins.length === coins.length,
        'imported coins do not survive a format 9 file',
      );
    },
  ]),
  expected: (e) => e instanceof ChipsError,
  dictionary: tokens(
    [0x09, 0x01, 0x00, 0x06],
    [0x99, 0x99, 0x99],
    [0xff, 0xff, 0xff, 0xff],
    '{"cloudcoin":[',
    '"nn":1',
    '"sn":',
    '"an":[',
    '"pown":"',
    '00000000000000000000000000000000',
  ),
  maxLength: 4096,
};

/** Well-formed inputs for each selector (the seed corpus). */
export function coinFileSeeds(): [string, Uint8Array][] {
  const ans = Array.from({ length: 25 }, (_, i) => new Uint8Array(16).fill(i * 7));
  const one = encodeCoinFile(makeCoinFile([{ denomination: -1, serial: 1234, ans, pown: 'ppppf' }]));
  const many = encodeCoinFile(makeCoinFile([0, 1].map((k) => ({ denomination: k, serial: 9 + k, ans, pans: ans }))));
  const old = Uint8Array.from(one);
  old.set([1, 1, 0, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], 0);
  old.set([0, 2, 0, 0, 0x04, 0xd2, 0], 32);
  const stack = enc.encode(encodeStack([{ denomination: 0, serial: 77, ans, pown: 'p'.repeat(25) }]));
  const sel = (c: number, b: Uint8Array): Uint8Array => Uint8Array.from([c, ...b]);
  return [
    ['format9-one', sel(0, one)],
    ['format9-many-pans', sel(0, many)],
    ['format1', sel(1, old)],
    ['stack', sel(2, stack)],
    ['import-format9', sel(3, one)],
    ['import-format1', sel(3, old)],
    ['import-stack', sel(3, stack)],
  ];
}
