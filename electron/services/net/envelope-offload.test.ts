// Large envelopes sealed and opened off the main thread give the very bytes of the
// in-thread path, and a forged answer is refused the same way.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  Encryption,
  HEADER_LENGTH,
  RaidaError,
  decodeRequestHeader,
  newChallenge,
  type RequestOptions,
} from '../../../shared/raida/index.js';
import { decodeResponseFast, encodeRequestFast, openRequest, respond } from '../../../server/wire/envelope.js';
import { OFF_THREAD_BYTES, openResponseOffThread, sealRequestOffThread } from './envelope-offload.js';

function request(size: number): RequestOptions {
  const body = new Uint8Array(size);
  body.set(newChallenge(), 0);
  body.set(randomBytes(size - 18), 16);
  body.set([0x3e, 0x3e], size - 2);
  return {
    raidaId: 3,
    group: 6,
    command: 61,
    body,
    encryption: Encryption.AEAD,
    key: new Uint8Array(randomBytes(16)),
    keyDenomination: 0,
    keySerial: 4712,
    nonce: new Uint8Array(randomBytes(8)),
    now: 1_770_000_000_000,
  };
}

describe('envelope off the main thread', () => {
  it.each([OFF_THREAD_BYTES, 256 << 10, (256 << 10) + 37])('seals a %i-byte body to the bytes of encodeRequestFast', async (size) => {
    const o = request(size);
    const here = encodeRequestFast(o);
    const off = await sealRequestOffThread(o);
    expect(Buffer.from(off.packet).equals(Buffer.from(here.packet))).toBe(true);
    expect(off.header).toEqual(here.header);
    expect(off.challenge).toEqual(here.challenge);
    // The body handed in is still usable (a request is asked again after a clock correction).
    expect(o.body.length).toBe(size);
  });

  it('opens an answer as decodeResponseFast does and refuses one altered', async () => {
    const o = request(1024);
    const req = encodeRequestFast(o);
    const header = decodeRequestHeader(req.packet.subarray(0, HEADER_LENGTH));
    const opened = openRequest(header, req.packet.subarray(HEADER_LENGTH), o.key);
    const payload = new Uint8Array(randomBytes(256 << 10));
    const answer = respond(opened, 250, payload);
    const here = decodeResponseFast(req, answer);
    const off = await openResponseOffThread(req, answer.slice());
    expect(off.status).toBe(here.status);
    expect(off.authenticated).toBe(true);
    expect(Buffer.from(off.payload).equals(Buffer.from(payload))).toBe(true);
    const bad = answer.slice();
    bad[HEADER_LENGTH + 1000]! ^= 1;
    await expect(openResponseOffThread(req, bad)).rejects.toMatchObject({ code: 'bad_signature' });
    await expect(openResponseOffThread(req, bad)).rejects.toBeInstanceOf(RaidaError);
  });
});
