import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeCodecProperties, type CodecCase } from '../../tests/support/codec-suite.js';
import {
  RkeError,
  decodeGetKeyShare,
  decodeKeyShareResponse,
  decodePreloadMasterKey,
  decodePreloadRequestBody,
  encodeGetKeyShare,
  encodeKeyShareResponse,
  encodePreloadMasterKey,
  encodePreloadRequestBody,
} from './index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u8 = fc.integer({ min: 0, max: 255 });
const records = fc.uniqueArray(fc.record({ kid: u8, secret: bytes(32) }), { minLength: 1, maxLength: 6, selector: (r) => r.kid });
const preload = fc.record({ contentServerId: fc.uint8Array({ minLength: 1, maxLength: 40 }), records });

const codecs: CodecCase[] = [
  ['preload_master_key', preload, encodePreloadMasterKey, decodePreloadMasterKey],
  [
    'preload on our wire',
    fc.record({ challenge: bytes(16), p: preload }).map(({ challenge, p }) => ({ challenge, ...p })),
    (x) => encodePreloadRequestBody(x.challenge, x),
    decodePreloadRequestBody,
  ],
  [
    'get_key_share',
    fc.record({
      challenge: bytes(16),
      contentServerId: bytes(16),
      kid: u8,
      client: fc.record({ denomination: fc.integer({ min: -128, max: 127 }), serial: fc.integer({ min: 0, max: 0xffffffff }) }),
      timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    }),
    encodeGetKeyShare,
    decodeGetKeyShare,
  ],
  ['key share response', u8, encodeKeyShareResponse, decodeKeyShareResponse],
];

describeCodecProperties('RKE codecs: properties', RkeError, codecs);

describe('RKE codecs: specific cases', () => {
  it('a hostile CSID length cannot make the decoder allocate', () => {
    const body = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 0x3e, 0x3e]);
    expect(() => decodePreloadMasterKey(body)).toThrow(RkeError);
  });
});
