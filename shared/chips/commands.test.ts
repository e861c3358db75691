import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import {
  ChipsError,
  decodeBits,
  decodeChange,
  decodeDetect,
  decodeLockerPeek,
  decodeLockerPut,
  decodeLockerRemove,
  decodePown,
  encodeBits,
  encodeChange,
  encodeDetect,
  encodeLockerPut,
  encodeLockerRemove,
  encodePown,
} from './index.js';

const b = (n: number, s = 0) => Uint8Array.from({ length: n }, (_, i) => (s + i) & 0xff);
const challenge = b(16, 0xc0);
const key = Uint8Array.from([...b(12), 0xff, 0xff, 0xff, 0xff]);
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChipsError);
    return (e as ChipsError).code;
  }
  return 'no error';
};

describe('coin command bodies', () => {
  it('lay out as the C server reads them', () => {
    // detect: 16 CH + 21 a coin + 3E 3E (cmd_auth.c: body_size - 18 divisible by 21)
    const d = encodeDetect({ challenge, coins: [{ denomination: -2, serial: 5000, an: b(16, 1) }] });
    expect(toHex(d)).toBe(toHex(challenge) + 'fe00001388' + toHex(b(16, 1)) + '3e3e');
    expect(decodeDetect(d).coins[0]).toMatchObject({ denomination: -2, serial: 5000 });
    // pown: 37 a coin
    expect(encodePown({ challenge, coins: [{ denomination: 0, serial: 1, an: b(16), pan: b(16, 9) }] }).length).toBe(16 + 37 + 2);
    // locker put: 16 CH + 5 a coin + 16 sum + 16 key + 2 (cmd_locker.c: body_size - 50 divisible by 5)
    expect(
      encodeLockerPut({
        challenge,
        coins: [
          { denomination: 1, serial: 2 },
          { denomination: 1, serial: 3 },
        ],
        sum: b(16),
        key,
      }).length,
    ).toBe(50 + 10);
    // locker remove: 16 CH + 16 key + 21 a coin + 2
    expect(encodeLockerRemove({ challenge, key, coins: [{ denomination: 1, serial: 2, an: b(16) }] }).length).toBe(34 + 21);
    // break / join: 253 bytes
    const parts = Array.from({ length: 10 }, (_, i) => ({ denomination: 0, serial: 10 + i, an: b(16, i) }));
    const ch = encodeChange({ challenge, session: 0xdeadbeef, coin: { denomination: 1, serial: 9, an: b(16) }, parts });
    expect(ch.length).toBe(253);
    expect(toHex(ch.subarray(16, 25))).toBe('deadbeef0100000009');
    expect(decodeChange(ch).parts.map((p) => p.serial)).toEqual(parts.map((p) => p.serial));
  });

  it('answer one bit a coin, least significant first', () => {
    const bits = [true, false, false, true, false, false, false, false, true];
    expect([...encodeBits(bits)]).toEqual([0b1001, 0b1]);
    expect(decodeBits(encodeBits(bits), 9)).toEqual(bits);
    expect(code(() => decodeBits(Uint8Array.of(1), 9))).toBe('truncated');
  });

  it('refuse hostile bodies with typed errors', () => {
    const detect = encodeDetect({ challenge, coins: [{ denomination: 0, serial: 1, an: b(16) }] });
    expect(code(() => decodeDetect(detect.subarray(0, 17)))).toBe('truncated');
    expect(code(() => decodeDetect(Uint8Array.from([...detect.subarray(0, detect.length - 2), 0, 0])))).toBe('missing_terminator');
    expect(code(() => decodeDetect(Uint8Array.from([...detect.subarray(0, detect.length - 2), 0, 0x3e, 0x3e])))).toBe('coins_not_div');
    expect(code(() => decodeDetect(Uint8Array.from([...challenge, 0x3e, 0x3e])))).toBe('truncated');
    const bad = Uint8Array.from(detect);
    bad[16] = 0x07; // denomination 7
    expect(code(() => decodeDetect(bad))).toBe('bad_coin');
    const twice = encodeDetect({
      challenge,
      coins: [
        { denomination: 0, serial: 1, an: b(16) },
        { denomination: 0, serial: 2, an: b(16) },
      ],
    });
    twice[16 + 21 + 4] = 1; // second coin's serial → 1
    expect(code(() => decodeDetect(twice))).toBe('duplicate_coin');
    expect(code(() => decodePown(Uint8Array.from([...challenge, ...new Uint8Array(2001 * 37), 0x3e, 0x3e])))).toBe('too_many_coins');
    const put = encodeLockerPut({ challenge, coins: [{ denomination: 1, serial: 2 }], sum: b(16), key });
    put[put.length - 3] = 0xfe; // key no longer ends FF FF FF FF
    expect(code(() => decodeLockerPut(put))).toBe('bad_locker_key');
    expect(code(() => decodeLockerPeek(Uint8Array.from([...challenge, ...key, 0, 0x3e, 0x3e])))).toBe('bad_length');
    expect(code(() => decodeLockerRemove(Uint8Array.from([...challenge, ...key, 0x3e, 0x3e])))).toBe('truncated');
    const parts = Array.from({ length: 10 }, (_, i) => ({ denomination: 0, serial: 10 + i, an: b(16, i) }));
    const ch = encodeChange({ challenge, session: 1, coin: { denomination: 1, serial: 9, an: b(16) }, parts });
    ch[16 + 25] = 0xff; // first part one denomination too low
    expect(code(() => decodeChange(ch))).toBe('bad_denomination');
    expect(code(() => decodeChange(ch.subarray(0, 252)))).toBe('missing_terminator');
  });
});
