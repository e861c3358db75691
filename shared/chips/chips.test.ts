import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  ChipsError,
  SINGLE_COIN_FILE_LENGTH,
  decodeCoinFile,
  decodeOldBin,
  decodeStack,
  encodeCoinFile,
  encodeOldBin,
  encodeStack,
  filePown,
  grade,
  importCoins,
  makeCoinFile,
  majority,
} from './index.js';

const an = (i: number): Uint8Array => new Uint8Array(16).fill(i + 1);
const ANS = Array.from({ length: 25 }, (_, i) => an(i));
const ANS_HEX = ANS.map((a) => toHex(a)).join('');

// A one-coin format 9 file byte for byte as the running client's heal module writes it:
// 09 01 0006 00 00 0001, 7 zero hash bytes, state 00, 13 result bytes (25 nibbles + 9), 99 99 99,
// then split 00, shard 00, denomination FF (-1, a dime), serial 00ABCDEF, 25 ANs.
const POWN = 'ppppppppppppfnppppppppppe';
const V9_HEX = '0901000600000001' + '00000000000000' + '00' + 'aaaaaaaaaaaafcaaaaaaaaaae9' + '999999' + '0000ff00abcdef' + ANS_HEX;

// The client's locker module (format 1): 01 01 0006 00 000000 0001 000000000000, results with
// the older nibbles (p=0 f=1 u=2), 99 99 99; coin header split, denomination, serial, reserved.
const OLD_POWN = 'pppppppppppppppppppppppfu';
const OLD_HEX = '0101000600000000' + '0001000000000000' + '00000000000000000000000129' + '999999' + '000200000457' + '00' + ANS_HEX;

describe('format 9 coin files', () => {
  it('reads the client-written one-coin file and writes it back byte for byte', () => {
    const bytes = fromHex(V9_HEX);
    expect(bytes.length).toBe(SINGLE_COIN_FILE_LENGTH);
    expect(SINGLE_COIN_FILE_LENGTH).toBe(439);
    const f = decodeCoinFile(bytes);
    expect(f.coins).toHaveLength(1);
    expect(f.coins[0]).toMatchObject({ denomination: -1, serial: 0xabcdef, split: 0, shard: 0 });
    expect(f.coins[0]!.ans.map((a) => toHex(a)).join('')).toBe(ANS_HEX);
    expect(filePown(f)).toBe(POWN);
    expect(toHex(encodeCoinFile(f))).toBe(V9_HEX);
  });

  it('makes the same bytes the client writes for the same coin', () => {
    const made = makeCoinFile([{ denomination: -1, serial: 0xabcdef, ans: ANS, pown: POWN }]);
    expect(toHex(encodeCoinFile(made))).toBe(V9_HEX);
  });

  it('fills the slots past a small network with zero ANs', () => {
    const f = decodeCoinFile(encodeCoinFile(makeCoinFile([{ denomination: 0, serial: 7, ans: ANS.slice(0, 5), pown: 'ppppp' }])));
    expect(f.coins[0]!.ans.slice(5).every((a) => a.every((b) => b === 0))).toBe(true);
    expect(filePown(f)).toBe('ppppp' + 'u'.repeat(20));
  });

  it('round-trips many coins, PANs and padding', () => {
    const coins = [0, 1, 2].map((k) => ({ denomination: k - 2, serial: 100 + k, ans: ANS, pans: ANS.map((a) => a.map((b) => b ^ 0x55)) }));
    const f = makeCoinFile(coins);
    expect(f.state).toBe(1);
    const bytes = encodeCoinFile(f);
    expect(bytes.length).toBe(32 + 3 * 807);
    expect(toHex(bytes.subarray(16, 32))).toBe(toHex(new TextEncoder().encode('Live Free Or Die')));
    const back = decodeCoinFile(bytes);
    expect(back.coins.map((c) => c.serial)).toEqual([100, 101, 102]);
    expect(toHex(back.coins[2]!.pans![24]!)).toBe(toHex(coins[2]!.pans[24]!));
    expect(filePown(back)).toBeUndefined();
    // padding to a multiple of 32, as the spec allows, survives too
    const padded = new Uint8Array(Math.ceil(bytes.length / 32) * 32);
    padded.set(bytes);
    padded.fill(0x77, bytes.length);
    expect(toHex(encodeCoinFile(decodeCoinFile(padded)))).toBe(toHex(padded));
  });

  const bad = (mutate: (b: Uint8Array) => Uint8Array, code: string): void => {
    const b = mutate(fromHex(V9_HEX));
    let err: unknown;
    try {
      decodeCoinFile(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChipsError);
    expect((err as ChipsError).code).toBe(code);
  };

  it('rejects hostile files with typed errors', () => {
    bad((b) => b.subarray(0, 20), 'truncated');
    bad((b) => b.subarray(0, 438), 'truncated');
    bad((b) => Uint8Array.from([...b, 0]), 'trailing_bytes');
    bad((b) => ((b[0] = 8), b), 'bad_format');
    bad((b) => ((b[5] = 1), b), 'encrypted_file');
    bad((b) => ((b[7] = 0), b), 'no_coins');
    bad((b) => ((b[7] = 2), b), 'truncated');
    bad((b) => ((b[7] = 0xff), (b[6] = 0xff), b), 'truncated');
    bad((b) => ((b[34] = 7), b), 'bad_denomination');
    bad((b) => ((b[34] = 0x80), b), 'bad_denomination');
    bad((b) => ((b[15] = 1), b), 'truncated');
    // the same coin twice must not count twice
    bad(() => {
      const one = fromHex(V9_HEX);
      const two = new Uint8Array(32 + 2 * 407);
      two.set(one.subarray(0, 32));
      two[7] = 2;
      two.set(one.subarray(32), 32);
      two.set(one.subarray(32), 32 + 407);
      return two;
    }, 'duplicate_coin');
  });
});

describe('older coin files', () => {
  it('reads the client locker module’s format 1 file, round-trips it, and imports it', () => {
    const bytes = fromHex(OLD_HEX);
    expect(bytes.length).toBe(439);
    const f = decodeOldBin(bytes);
    expect(f.coins[0]).toMatchObject({ denomination: 2, serial: 0x457, reserved: 0 });
    expect(toHex(encodeOldBin(f))).toBe(OLD_HEX);
    const imp = importCoins(bytes);
    expect(imp.format).toBe('old-bin');
    expect(imp.coins[0]!.pown).toBe(OLD_POWN);
    // converted to format 9, the results keep their meaning under the new nibbles
    const nine = decodeCoinFile(encodeCoinFile(makeCoinFile(imp.coins)));
    expect(filePown(nine)).toBe(OLD_POWN);
    expect(nine.coins[0]!.ans.map((a) => toHex(a)).join('')).toBe(ANS_HEX);
  });

  const STACK = JSON.stringify({
    cloudcoin: [
      { nn: '1', sn: '16777', an: ANS.map((a) => toHex(a)), pown: 'p'.repeat(25), aoid: [], ed: '9-2016' },
      { nn: 1, sn: 7000000, an: ANS.map((a) => toHex(a).toUpperCase()) },
    ],
  });

  it('reads a .stack: denomination from the legacy serial ranges, pown defaulting to untried', () => {
    const coins = decodeStack(STACK);
    expect(coins.map((c) => [c.denomination, c.serial, c.pown])).toEqual([
      [0, 16777, 'p'.repeat(25)],
      [2, 7000000, 'u'.repeat(25)],
    ]);
    expect(toHex(coins[1]!.ans[3]!)).toBe(toHex(ANS[3]!));
    expect(decodeStack(encodeStack(coins))).toEqual(coins);
    const imp = importCoins(new TextEncoder().encode('\n  ' + STACK));
    expect(imp.format).toBe('stack');
    expect(imp.coins).toHaveLength(2);
  });

  it('rejects hostile stacks and unknown files with typed errors', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ChipsError);
        return (e as ChipsError).code;
      }
      return 'no error';
    };
    const one = (c: Record<string, unknown>): string =>
      JSON.stringify({ cloudcoin: [{ nn: 1, sn: 5, an: ANS.map((a) => toHex(a)), ...c }] });
    expect(code(() => decodeStack('{'))).toBe('bad_json');
    expect(code(() => decodeStack('[]'))).toBe('no_coins');
    expect(code(() => decodeStack('{"cloudcoin":[]}'))).toBe('no_coins');
    expect(code(() => decodeStack(one({ nn: 2 })))).toBe('bad_network');
    expect(code(() => decodeStack(one({ sn: 3_000_000 })))).toBe('legacy_denomination');
    expect(code(() => decodeStack(one({ sn: '1e3' })))).toBe('bad_field');
    expect(code(() => decodeStack(one({ sn: 0 })))).toBe('bad_field');
    expect(code(() => decodeStack(one({ an: ['00'] })))).toBe('bad_field');
    expect(code(() => decodeStack(one({ pown: 'x'.repeat(25) })))).toBe('bad_field');
    expect(
      code(() => decodeStack(JSON.stringify({ cloudcoin: [JSON.parse(one({}))['cloudcoin'][0], JSON.parse(one({}))['cloudcoin'][0]] }))),
    ).toBe('duplicate_coin');
    expect(code(() => importCoins(new Uint8Array(0)))).toBe('unknown_format');
    expect(code(() => importCoins(Uint8Array.from([0x7b, 0xff, 0xfe])))).toBe('bad_json');
    expect(code(() => importCoins(Uint8Array.from([0x42, 1, 2])))).toBe('unknown_format');
    expect(code(() => decodeOldBin(fromHex(OLD_HEX).subarray(0, 300)))).toBe('truncated');
  });
});

describe('grading', () => {
  it('needs a strict majority of the network', () => {
    expect(majority(25)).toBe(13);
    expect(majority(5)).toBe(3);
    expect(majority(4)).toBe(3);
    expect(grade('ppppn', 5)).toBe('authentic');
    expect(grade('pppfn', 5)).toBe('fracked');
    expect(grade('ppnnn', 5)).toBe('limbo');
    expect(grade('fffpp', 5)).toBe('counterfeit');
  });
});
