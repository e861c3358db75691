import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RkeError, decodeGetKeyShare, decodeKeyShareResponse, decodePreloadMasterKey, decodePreloadRequestBody, encodeGetKeyShare,
  encodeKeyShareResponse, encodePreloadMasterKey, encodePreloadRequestBody,
} from './index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u8 = fc.integer({ min: 0, max: 255 });
const records = fc.uniqueArray(fc.record({ kid: u8, secret: bytes(32) }), { minLength: 1, maxLength: 6, selector: (r) => r.kid });
const preload = fc.record({ contentServerId: fc.uint8Array({ minLength: 1, maxLength: 40 }), records });

const codecs: Array<[string, fc.Arbitrary<any>, (x: any) => Uint8Array, (b: Uint8Array) => unknown]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  ['preload_master_key', preload, encodePreloadMasterKey, decodePreloadMasterKey],
  ['preload on our wire', fc.record({ challenge: bytes(16), p: preload }).map(({ challenge, p }) => ({ challenge, ...p })), (x) => encodePreloadRequestBody(x.challenge, x), decodePreloadRequestBody],
  ['get_key_share', fc.record({ challenge: bytes(16), contentServerId: bytes(16), kid: u8, client: fc.record({ denomination: fc.integer({ min: -128, max: 127 }), serial: fc.integer({ min: 0, max: 0xffffffff }) }), timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) }), encodeGetKeyShare, decodeGetKeyShare],
  ['key share response', u8, encodeKeyShareResponse, decodeKeyShareResponse],
];

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RkeError);
  }
}

describe('RKE codecs: properties', () => {
  for (const [label, arb, enc, dec] of codecs) {
    it(`${label}: decode(encode(x)) = x`, () => {
      fc.assert(fc.property(arb, (x) => {
        const b = enc(x);
        expect(dec(b)).toEqual(x);
        expect(enc(dec(b))).toEqual(b);
      }), { numRuns: 60 });
    });
    it(`${label}: random, truncated and mutated bytes only raise RkeError`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        onlyTyped(() => dec(junk));
        onlyTyped(() => dec(Uint8Array.from([...junk, 0x3e, 0x3e])));
      }), { numRuns: 150 });
      fc.assert(fc.property(arb, fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }), fc.nat(), (x, edits, cut) => {
        const b = enc(x).slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        onlyTyped(() => dec(b));
        onlyTyped(() => dec(b.subarray(0, cut % (b.length + 1))));
      }), { numRuns: 100 });
    });
  }
  it('a hostile CSID length cannot make the decoder allocate', () => {
    const body = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 0x3e, 0x3e]);
    expect(() => decodePreloadMasterKey(body)).toThrow(RkeError);
  });
});
