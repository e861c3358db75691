import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Encryption,
  HEADER_LENGTH,
  decodeResponseTo,
  encodeRequest,
  makeChallenge,
  openRequestBody,
  respondTo,
  raidaCtr,
  WireError,
} from '../../shared/raida/index.js';
import { decodeResponseFast, encodeRequestFast, nodeCtr, openRequest, respond } from './envelope.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('node envelope fast path', () => {
  it('nodeCtr equals the shared cipher', () => {
    fc.assert(
      fc.property(bytes(16), bytes(8), fc.uint8Array({ maxLength: 3000 }), (k, n, d) => {
        expect(nodeCtr(k, n, d)).toEqual(raidaCtr(k, n, d));
      }),
    );
  });

  it('opens requests and builds responses byte-identical to shared/raida, and fails the same way', () => {
    fc.assert(
      fc.property(
        bytes(16),
        bytes(16),
        bytes(12),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 255 }),
        (key, wrong, rnd, body, payload, status) => {
          const req = encodeRequest({
            raidaId: 1,
            group: 6,
            command: 73,
            body: new Uint8Array([...makeChallenge(rnd), ...body, 0x3e, 0x3e]),
            encryption: Encryption.AN,
            key,
            keyDenomination: 0,
            keySerial: 9,
          });
          expect(
            encodeRequestFast({
              raidaId: 1,
              group: 6,
              command: 73,
              body: new Uint8Array([...makeChallenge(rnd), ...body, 0x3e, 0x3e]),
              encryption: Encryption.AN,
              key,
              keyDenomination: 0,
              keySerial: 9,
              nonce: req.header.nonce,
            }),
          ).toEqual(req);
          const wire = req.packet.subarray(HEADER_LENGTH);
          const a = openRequest(req.header, wire, key);
          const b = openRequestBody(req.header, wire, key);
          expect(a.body).toEqual(b.body);
          expect(a.challenge).toEqual(b.challenge);
          const ra = respond(a, status, payload);
          expect(ra).toEqual(respondTo(b, status, payload.length ? payload : undefined));
          expect(decodeResponseFast(req, ra)).toEqual(decodeResponseTo(req, ra));
          const codeOf = (f: () => unknown) => {
            try {
              f();
              return 'ok';
            } catch (e) {
              return e instanceof WireError ? `${e.code}/${e.status}` : 'other';
            }
          };
          expect(codeOf(() => openRequest(req.header, wire, wrong))).toBe(codeOf(() => openRequestBody(req.header, wire, wrong)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('authenticated envelope (EXT-8)', () => {
  it('node:crypto and the shared cipher give the same bytes; any altered byte is refused', () => {
    fc.assert(
      fc.property(
        bytes(16),
        bytes(12),
        bytes(8),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(),
        (an, rnd, nonce, body, payload, pick) => {
          const o = {
            raidaId: 2,
            group: 6,
            command: 70,
            body: new Uint8Array([...makeChallenge(rnd), ...body, 0x3e, 0x3e]),
            encryption: Encryption.AEAD,
            key: an,
            keyDenomination: 0,
            keySerial: 5,
            nonce,
            now: 1_700_000_000_000,
          };
          const req = encodeRequestFast(o);
          expect(req.packet).toEqual(encodeRequest(o).packet);
          const wire = req.packet.subarray(HEADER_LENGTH);
          const opened = openRequest(req.header, wire, an);
          expect(opened.body).toEqual(o.body);
          expect(opened.sentAt).toBe(o.now);
          const answer = respond(opened, 250, payload.length ? payload : undefined);
          expect(answer).toEqual(respondTo(opened, 250, payload.length ? payload : undefined));
          expect(decodeResponseFast(req, answer).payload).toEqual(payload);
          expect(decodeResponseTo(req, answer).authenticated).toBe(true);
          const bad = wire.slice();
          bad[pick % (bad.length - 2)]! ^= 1;
          expect(() => openRequest(req.header, bad, an)).toThrow(WireError);
          const badAnswer = answer.slice();
          badAnswer[pick % (badAnswer.length - 2)]! ^= 1;
          expect(() => decodeResponseFast(req, badAnswer)).toThrow();
        },
      ),
      { numRuns: 100 },
    );
  });
});
