import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes/index.js';
import {
  CHALLENGE_LENGTH,
  Encryption,
  HEADER_LENGTH,
  RaidaError,
  Status,
  WireError,
  decodePq,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  decodeResponseHeader,
  decodeResponseTo,
  denominationUnits,
  encodeErrorResponse,
  encodePq,
  encodeRequest,
  encodeRequestHeader,
  isValidChallenge,
  makeChallenge,
  newChallenge,
  raidaCtr,
  respondTo,
  responseSignature,
  statusName,
  type EncryptionType,
} from './index.js';

const AN = fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
const challenge = makeChallenge(fromHex('000102030405060708090a0b'));
const body = (payload: Uint8Array, ch = challenge) => Uint8Array.from([...ch, ...payload, 0x3e, 0x3e]);

/** Only WireError (with a numeric status) may escape a decoder. */
function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    expect(typeof e.code).toBe('string');
    expect(Number.isInteger(e.status)).toBe(true);
  }
}

describe('challenge', () => {
  it('is 12 bytes plus their big-endian CRC32', () => {
    expect(toHex(challenge)).toBe('000102030405060708090a0b9270c965');
    expect(isValidChallenge(challenge)).toBe(true);
    const bad = challenge.slice();
    bad[15] = bad[15]! ^ 1;
    expect(isValidChallenge(bad)).toBe(false);
  });
  it('fresh challenges differ and validate', () => {
    const a = newChallenge();
    const b = newChallenge();
    expect(isValidChallenge(a) && isValidChallenge(b)).toBe(true);
    expect(toHex(a)).not.toBe(toHex(b));
  });
  it('signature is the challenge, XOR the key when encrypted', () => {
    expect(toHex(responseSignature(challenge))).toBe(toHex(challenge));
    expect(toHex(responseSignature(challenge, AN))).toBe('a0a0a0a0a0a0a0a0a0a0a0a03edd67ca');
  });
});

describe('AES-128-CTR', () => {
  it('keystream starts with AES-128(key, nonce || 0^8): the known-answer E_0(0) block', () => {
    // AES-128 of the zero block under the zero key is 66e94bd4ef8a2c3b884cfa59ca342b2e.
    const ks = raidaCtr(new Uint8Array(16), new Uint8Array(8), new Uint8Array(16));
    expect(toHex(ks)).toBe('66e94bd4ef8a2c3b884cfa59ca342b2e');
  });
  it('is its own inverse', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 300 }),
        (k, n, d) => {
          expect(raidaCtr(k, n, raidaCtr(k, n, d))).toEqual(d);
        },
      ),
    );
  });
});

describe('request header', () => {
  it('lays out the 32 bytes as the RAIDA spec says', () => {
    const h = encodeRequestHeader({
      version: 1,
      splitId: 0,
      raidaId: 7,
      shardId: 0,
      group: 6,
      command: 71,
      coinId: 6,
      bitfield: 1,
      packetIndex: 0,
      packetCount: 1,
      encryption: 1,
      keyDenomination: -1,
      keySerial: 42,
      bodyLength: 0x1234,
      nonce: fromHex('0102030405060708'),
    });
    expect(toHex(h)).toBe('0100070006470006' + '0100000000000001' + '01ff0000002a1234' + '0102030405060708');
    const d = decodeRequestHeader(h);
    expect(d.keyDenomination).toBe(-1);
    expect(d.bodyLength).toBe(0x1234);
  });
  it('carries bodies of 64 KiB and more in the extended length (EXT-1)', () => {
    const h = {
      version: 1,
      splitId: 0,
      raidaId: 0,
      shardId: 0,
      group: 6,
      command: 75,
      coinId: 6,
      bitfield: 1,
      packetIndex: 0,
      packetCount: 1,
      encryption: 0 as const,
      keyDenomination: 0,
      keySerial: 0,
      bodyLength: 300_000,
      nonce: new Uint8Array(8),
    };
    const bytes = encodeRequestHeader(h);
    expect(toHex(bytes.subarray(22, 24))).toBe('ffff');
    expect(decodeRequestHeader(bytes).bodyLength).toBe(300_000);
  });
  it('rejects reserved and unknown encryption types with the right status', () => {
    const h = encodeRequestHeader({
      version: 1,
      splitId: 0,
      raidaId: 0,
      shardId: 0,
      group: 6,
      command: 71,
      coinId: 6,
      bitfield: 1,
      packetIndex: 0,
      packetCount: 1,
      encryption: 0,
      keyDenomination: 0,
      keySerial: 0,
      bodyLength: 20,
      nonce: new Uint8Array(8),
    });
    h[16] = 3;
    expect(() => decodeRequestHeader(h)).toThrow(expect.objectContaining({ status: Status.INVALID_ENCRYPTION }));
    h[16] = 9;
    expect(() => decodeRequestHeader(h)).toThrow(expect.objectContaining({ status: Status.INVALID_ENCRYPTION_CODE }));
  });
});

describe('request/response round trip', () => {
  const lookup = (ref: { denomination: number; serial: number }) => (ref.denomination === 0 && ref.serial === 42 ? AN : undefined);

  for (const encryption of [Encryption.NONE, Encryption.AN, Encryption.LOCKER] as EncryptionType[]) {
    it(`type ${encryption}: encodes, decodes, answers and verifies`, () => {
      const payload = fromHex('deadbeef');
      const req = encodeRequest({
        raidaId: 3,
        group: 6,
        command: 73,
        body: body(payload),
        encryption,
        key: AN,
        keyDenomination: 0,
        keySerial: 42,
        echo: 0xbeef,
      });
      expect(req.packet.length).toBe(HEADER_LENGTH + CHALLENGE_LENGTH + 4 + 2);
      if (encryption !== Encryption.NONE) expect(toHex(req.packet.subarray(32, 48))).not.toBe(toHex(challenge));
      const got = decodeRequest(req.packet, lookup);
      expect(toHex(got.body)).toBe(toHex(body(payload)));
      const answer = respondTo(got, Status.SUCCESS, fromHex('cafe'));
      expect(decodeResponseHeader(answer).echo).toBe(0xbeef);
      const res = decodeResponseTo(req, answer);
      expect(res.status).toBe(Status.SUCCESS);
      expect(res.authenticated).toBe(true);
      expect(toHex(res.payload)).toBe('cafe');
    });
  }

  it('a wrong AN fails the challenge CRC as INVALID_ENCRYPTION; an unknown coin is ENCRYPTION_COIN_NOT_FOUND', () => {
    const req = encodeRequest({
      raidaId: 0,
      group: 6,
      command: 73,
      body: body(new Uint8Array(4)),
      encryption: 1,
      key: new Uint8Array(16).fill(9),
      keySerial: 42,
    });
    expect(() => decodeRequest(req.packet, lookup)).toThrow(expect.objectContaining({ status: Status.INVALID_ENCRYPTION }));
    expect(() => decodeRequest(req.packet, () => undefined)).toThrow(expect.objectContaining({ status: Status.ENCRYPTION_COIN_NOT_FOUND }));
  });

  it('an unsigned bare error is readable but marked unauthenticated; an unsigned success is refused', () => {
    const req = encodeRequest({ raidaId: 0, group: 6, command: 73, body: body(new Uint8Array(0)) });
    const err = decodeResponseTo(req, encodeErrorResponse(0, 6, Status.INVALID_CRC));
    expect(err).toMatchObject({ status: Status.INVALID_CRC, authenticated: false });
    const forged = encodeErrorResponse(0, 6, Status.SUCCESS);
    expect(() => decodeResponseTo(req, forged)).toThrow(RaidaError);
  });

  it('refuses a body without the terminator or with a bad challenge', () => {
    expect(() => encodeRequest({ raidaId: 0, group: 6, command: 73, body: challenge })).toThrow(
      expect.objectContaining({ status: Status.INVALID_EOF }),
    );
    const req = encodeRequest({ raidaId: 0, group: 6, command: 73, body: body(new Uint8Array(2)) });
    const p = req.packet.slice();
    p[40] = p[40]! ^ 0xff;
    expect(() => decodeRequest(p, lookup)).toThrow(expect.objectContaining({ status: Status.INVALID_CRC }));
    const q = req.packet.slice();
    q[q.length - 1] = 0;
    expect(() => decodeRequest(q, lookup)).toThrow(expect.objectContaining({ status: Status.INVALID_EOF }));
  });

  it('enforces the body-length cap before touching the body', () => {
    const req = encodeRequest({ raidaId: 0, group: 6, command: 75, body: body(new Uint8Array(70_000)) });
    expect(() => decodeRequest(req.packet, lookup, { maxBodyLength: 65_536 })).toThrow(expect.objectContaining({ code: 'too_large' }));
    expect(decodeRequest(req.packet, lookup).body.length).toBe(70_018);
  });

  it('property: any payload, any type, round-trips', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.constantFrom<EncryptionType>(0, 1, 2),
        fc.uint8Array({ maxLength: 600 }),
        (payload, rnd, encryption, out) => {
          const ch = makeChallenge(rnd);
          const req = encodeRequest({ raidaId: 1, group: 16, command: 141, body: body(payload, ch), encryption, key: AN, keySerial: 42 });
          const got = decodeRequest(req.packet, lookup);
          expect(got.body).toEqual(body(payload, ch));
          const res = decodeResponseTo(req, respondTo(got, 250, out));
          expect(res.payload).toEqual(out);
        },
      ),
    );
  });

  it('property: random and mutated packets only raise RaidaError', () => {
    const good = encodeRequest({
      raidaId: 1,
      group: 6,
      command: 72,
      body: body(fromHex('00112233')),
      encryption: 1,
      key: AN,
      keySerial: 42,
    }).packet;
    const goodRes = respondTo(decodeRequest(good, lookup), 250, fromHex('0102'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        onlyTyped(() => decodeRequest(junk, lookup));
        onlyTyped(() => decodeResponse(junk, { challenge }));
        onlyTyped(() => decodeRequestHeader(junk));
        onlyTyped(() => decodeResponseHeader(junk));
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (edits, cut) => {
          const p = good.slice();
          const r = goodRes.slice();
          for (const [at, v] of edits) {
            p[at % p.length] = v;
            r[at % r.length] = v;
          }
          onlyTyped(() => decodeRequest(p.subarray(0, p.length - (cut % 3)), lookup));
          onlyTyped(() =>
            decodeResponse(r.subarray(0, r.length - (cut % 3)), { challenge, encryption: 1, key: AN, nonce: p.subarray(24, 32) }),
          );
        },
      ),
    );
  });
});

describe('coins and status names', () => {
  it('PQ is signed denomination + big-endian serial', () => {
    expect(toHex(encodePq({ denomination: -1, serial: 200 }))).toBe('ff000000c8');
    expect(decodePq(fromHex('ff000000c8'))).toEqual({ denomination: -1, serial: 200 });
    expect(() => decodePq(fromHex('ff00'))).toThrow(RaidaError);
  });
  it('denomination values are powers of ten in 1e-8 CC units', () => {
    expect(denominationUnits(0)).toBe(100_000_000n);
    expect(denominationUnits(-8)).toBe(1n);
    expect(denominationUnits(6)).toBe(100_000_000_000_000n);
    expect(() => denominationUnits(7)).toThrow(RaidaError);
  });
  it('names statuses', () => {
    expect(statusName(237)).toBe('SENDER_CLASS_REJECTED');
    expect(statusName(99)).toBe('STATUS_99');
  });
});

describe('header version 0 (the CloudCoin client network layer)', () => {
  it('is refused unless the caller allows it for that group and command', () => {
    const h = encodeRequestHeader({
      version: 1,
      splitId: 0,
      raidaId: 0,
      shardId: 0,
      group: 6,
      command: 62,
      coinId: 6,
      bitfield: 1,
      packetIndex: 0,
      packetCount: 1,
      bodyLength: 50,
      encryption: Encryption.NONE,
      keyDenomination: 0,
      keySerial: 0,
      nonce: new Uint8Array(8),
    });
    h[0] = 0;
    expect(() => decodeRequestHeader(h)).toThrow(RaidaError);
    const only62 = { versionZero: (g: number, c: number) => g === 6 && c === 62 };
    expect(decodeRequestHeader(h, only62).command).toBe(62);
    h[5] = 72;
    expect(() => decodeRequestHeader(h, only62)).toThrow(RaidaError);
    h[0] = 2;
    h[5] = 62;
    expect(() => decodeRequestHeader(h, only62)).toThrow(RaidaError);
  });
});
