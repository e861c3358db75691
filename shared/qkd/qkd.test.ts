import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Base64Error, base64Decode, base64Encode } from './base64.js';
import {
  Etsi014FormatError,
  KeyContainerSchema,
  StatusSchema,
  checkKeyId,
  checkKeySizeBits,
  checkSaeId,
  parseEtsiJson,
} from './etsi014.js';
import { LEVEL_ALGORITHM, QkdHeaderError, parseQkdHeaders, produceQkdHeaders } from './headers.js';

const ID1 = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const ID2 = 'c9f2e1a0-0b1c-4d2e-8f3a-9b8c7d6e5f40';

describe('base64', () => {
  it('round-trips and matches the platform encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const t = base64Encode(b);
        expect(t).toBe(Buffer.from(b).toString('base64'));
        expect(base64Decode(t)).toEqual(b);
        expect(base64Decode(t.replace(/=+$/, ''))).toEqual(b);
      }),
    );
  });
  it('refuses non-canonical or foreign text', () => {
    for (const bad of ['a', 'ab=c', 'ab$=', 'QQ=a', 'QR==', 'QUJD\n', '====', 'Q===']) expect(() => base64Decode(bad)).toThrow(Base64Error);
  });
});

describe('ETSI 014 formats', () => {
  it('checks sizes, key IDs and SAE IDs with typed errors', () => {
    expect(checkKeySizeBits(256)).toBe(256);
    for (const s of [0, -8, 100, 8.5, Number.NaN, '256']) expect(() => checkKeySizeBits(s)).toThrow(Etsi014FormatError);
    expect(checkKeyId(ID1)).toBe(ID1);
    for (const s of ['', 'x', ID1 + 'a', ID1.replace(/-/g, ''), 42])
      expect(() => checkKeyId(s)).toThrow(expect.objectContaining({ code: 'invalid_key_id' }));
    expect(() => checkSaeId('a/b')).toThrow(expect.objectContaining({ code: 'invalid_sae_id' }));
    expect(checkSaeId('SAE_ALICE')).toBe('SAE_ALICE');
  });
  it('validates responses and keeps extension members', () => {
    const c = parseEtsiJson(
      KeyContainerSchema,
      JSON.stringify({ keys: [{ key_ID: ID1, key: 'AAAA', key_extension: { a: 1 } }], vendor: true }),
      'x',
    );
    expect(c.keys[0]!.key_extension).toEqual({ a: 1 });
    expect((c as Record<string, unknown>).vendor).toBe(true);
    expect(() => parseEtsiJson(KeyContainerSchema, '<html>', 'x')).toThrow(expect.objectContaining({ code: 'invalid_json' }));
    expect(() => parseEtsiJson(KeyContainerSchema, '{"keys":[{"key_ID":1,"key":"AAAA"}]}', 'x')).toThrow(
      expect.objectContaining({ code: 'invalid_shape' }),
    );
    expect(() => parseEtsiJson(StatusSchema, '{"source_KME_ID":"A"}', 'x')).toThrow(Etsi014FormatError);
    expect(() => parseEtsiJson(KeyContainerSchema, ' '.repeat(100), 'x', 10)).toThrow(expect.objectContaining({ code: 'too_large' }));
  });
});

describe('X-QKD headers', () => {
  it('produces and parses every level', () => {
    const l1 = produceQkdHeaders({ secure: true, level: 'L1', algorithm: LEVEL_ALGORITHM.L1, keyIds: [ID1, ID2] });
    expect(l1).toEqual({
      'X-QKD-Key-ID': `${ID1},${ID2}`,
      'X-QKD-Algorithm': 'QKD-OTP',
      'X-QKD-Security-Level': 'L1',
      'X-QKD-Secure': 'true',
    });
    expect(parseQkdHeaders(l1)).toEqual({ secure: true, level: 'L1', algorithm: 'QKD-OTP', keyIds: [ID1, ID2] });
    const l3 = produceQkdHeaders({ secure: true, level: 'L3', algorithm: LEVEL_ALGORITHM.L3, keyIds: [] });
    expect(parseQkdHeaders(Object.entries(l3).map(([k, v]) => [k.toLowerCase(), ` ${v} `] as const))).toMatchObject({
      level: 'L3',
      keyIds: [],
    });
    expect(parseQkdHeaders({ 'x-qkd-secure': 'false' })).toEqual({ secure: false });
    expect(parseQkdHeaders({ Subject: 'hi' })).toBeNull();
    // Folded Key-ID header (RFC 5322) unfolds.
    expect(parseQkdHeaders({ ...l1, 'X-QKD-Key-ID': `${ID1},\r\n ${ID2}` })).toMatchObject({ keyIds: [ID1, ID2] });
  });
  it('refuses malformed, duplicate and contradictory headers with typed errors', () => {
    const l2 = produceQkdHeaders({ secure: true, level: 'L2', algorithm: LEVEL_ALGORITHM.L2, keyIds: [ID1] });
    const cases: Array<[Record<string, string | string[]>, string]> = [
      [{ ...l2, 'X-QKD-Secure': 'yes' }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Security-Level': 'L5' }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Algorithm': 'QKD-OTP' }, 'inconsistent'],
      [{ ...l2, 'X-QKD-Algorithm': 'ROT13' }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Key-ID': 'nope' }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Key-ID': `${ID1},${ID1}` }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Key-ID': `${ID1}\r\nBcc: x@y` }, 'invalid_value'],
      [{ ...l2, 'X-QKD-Key-ID': [ID1, ID2] }, 'duplicate_header'],
      [{ 'X-QKD-Algorithm': 'QKD-OTP', 'X-QKD-Security-Level': 'L1' }, 'missing_header'],
      [{ 'X-QKD-Secure': 'true', 'X-QKD-Security-Level': 'L1', 'X-QKD-Algorithm': 'QKD-OTP' }, 'missing_header'],
      [
        { 'X-QKD-Secure': 'true', 'X-QKD-Security-Level': 'L4', 'X-QKD-Algorithm': LEVEL_ALGORITHM.L4, 'X-QKD-Key-ID': ID1 },
        'inconsistent',
      ],
      [{ 'X-QKD-Secure': 'false', 'X-QKD-Security-Level': 'L1' }, 'inconsistent'],
      [{ ...l2, 'X-QKD-Key-ID': Array(5000).fill(ID1).join(',') }, 'too_large'],
    ];
    for (const [h, code] of cases) {
      let err: unknown;
      try {
        parseQkdHeaders(h);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(h).slice(0, 80)).toBeInstanceOf(QkdHeaderError);
      expect((err as QkdHeaderError).code).toBe(code);
    }
    expect(() => produceQkdHeaders({ secure: true, level: 'L1', algorithm: LEVEL_ALGORITHM.L1, keyIds: [] })).toThrow(QkdHeaderError);
    expect(() => produceQkdHeaders({ secure: true, level: 'L2', algorithm: LEVEL_ALGORITHM.L1, keyIds: [ID1] })).toThrow(QkdHeaderError);
  });
  it('never throws anything but QkdHeaderError on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('X-QKD-Key-ID', 'X-QKD-Algorithm', 'X-QKD-Security-Level', 'X-QKD-Secure', 'x-qkd-secure'),
          fc.string({ maxLength: 80 }),
        ),
        (h) => {
          try {
            parseQkdHeaders(h);
          } catch (e) {
            expect(e).toBeInstanceOf(QkdHeaderError);
          }
        },
      ),
    );
  });
});
