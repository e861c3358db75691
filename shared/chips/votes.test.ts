// Validate ticket's signed vote: the signed message and the answer's layout, a vote checked
// against the validator's key and refused when anything it covers differs, and malformed,
// truncated or oversized answers refused with a ChipsError carrying the status.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { toHex } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import {
  ChipsError,
  MAX_COINS_PER_REQUEST,
  MAX_VALIDATE_ANSWER,
  VOTE_SIGNATURE,
  decodeValidateAnswer,
  encodeValidateAnswer,
  signVote,
  verifyVote,
  voteMessage,
  type ValidateVote,
} from './index.js';

const rand = (n: number) => new Uint8Array(randomBytes(n));
const validator = ml_dsa65.keygen(rand(32));
const stranger = ml_dsa65.keygen(rand(32));
const cat = (...p: Uint8Array[]) => Uint8Array.from(p.flatMap((x) => [...x]));
const refused = (f: () => unknown): { code: string; status: number } => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChipsError);
    return { code: (e as ChipsError).code, status: (e as ChipsError).status };
  }
  throw new Error('not refused');
};

const vote: ValidateVote = {
  claimer: 2,
  validator: 3,
  ticket: 0xa1b2c3d4,
  nonce: rand(32),
  coins: [
    { denomination: 0, serial: 70_000 },
    { denomination: -2, serial: 5 },
  ],
};
const signature = signVote(vote, validator.secretKey, rand(32));

describe('validate ticket votes', () => {
  it('signs the domain, claimer, validator, ticket, nonce and the coin list', () => {
    const m = voteMessage(vote);
    expect(new TextDecoder().decode(m.subarray(0, 24))).toBe('qmail-validate-ticket/1\n');
    expect(toHex(m.subarray(24))).toBe('02' + '03' + 'a1b2c3d4' + toHex(vote.nonce) + '0002' + '0000011170' + 'fe00000005');
    expect(toHex(voteMessage({ ...vote, coins: [] }).subarray(24 + 38))).toBe('0000');
  });

  it('answers version 1, the count, the coins and the signature, and reads them back', () => {
    const a = encodeValidateAnswer(vote.coins, signature);
    expect(a.length).toBe(3 + 10 + VOTE_SIGNATURE);
    expect(toHex(a.subarray(0, 13))).toBe('01' + '0002' + '0000011170' + 'fe00000005');
    expect(decodeValidateAnswer(a)).toEqual({ coins: vote.coins, signature });
    expect(decodeValidateAnswer(encodeValidateAnswer([], signature))).toEqual({ coins: [], signature });
  });

  it('a vote verifies only with the validator’s key and over exactly what it was signed for', () => {
    expect(verifyVote(vote, signature, validator.publicKey)).toBe(true);
    // signed by the wrong key
    expect(verifyVote(vote, signVote(vote, stranger.secretKey, rand(32)), validator.publicKey)).toBe(false);
    expect(verifyVote(vote, signature, stranger.publicKey)).toBe(false);
    // over another nonce, another ticket, another claimer, another validator, other coins
    expect(verifyVote({ ...vote, nonce: rand(32) }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, ticket: vote.ticket ^ 1 }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, claimer: 1 }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, validator: 4 }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, coins: [...vote.coins, { denomination: 0, serial: 1 }] }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, coins: vote.coins.slice(0, 1) }, signature, validator.publicKey)).toBe(false);
    // a flipped bit, a cut signature, a malformed key or vote: false, never a throw
    const flipped = signature.slice();
    flipped[100]! ^= 1;
    expect(verifyVote(vote, flipped, validator.publicKey)).toBe(false);
    expect(verifyVote(vote, signature.subarray(0, VOTE_SIGNATURE - 1), validator.publicKey)).toBe(false);
    expect(verifyVote(vote, signature, validator.publicKey.subarray(1))).toBe(false);
    expect(verifyVote({ ...vote, claimer: 25 }, signature, validator.publicKey)).toBe(false);
    expect(verifyVote({ ...vote, nonce: rand(16) }, signature, validator.publicKey)).toBe(false);
  });

  it('refuses truncated, oversized and malformed answers', () => {
    const a = encodeValidateAnswer(vote.coins, signature);
    // truncated: no signature, a byte short, the C server's bare coin list
    expect(refused(() => decodeValidateAnswer(a.subarray(0, 13))).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeValidateAnswer(a.subarray(0, a.length - 1))).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeValidateAnswer(encodeValidateAnswer(vote.coins, signature).subarray(3, 13))).status).toBe(
      Status.INVALID_PACKET_LENGTH,
    );
    // a byte too many, a count naming more coins than there are
    expect(refused(() => decodeValidateAnswer(cat(a, Uint8Array.of(0)))).status).toBe(Status.INVALID_PACKET_LENGTH);
    const more = a.slice();
    more[2] = 3;
    expect(refused(() => decodeValidateAnswer(more)).status).toBe(Status.INVALID_PACKET_LENGTH);
    // oversized: past the largest answer, or a count past 2000
    expect(refused(() => decodeValidateAnswer(new Uint8Array(MAX_VALIDATE_ANSWER + 1))).status).toBe(Status.INVALID_PACKET_LENGTH);
    const count = MAX_COINS_PER_REQUEST + 1;
    const lots = cat(
      Uint8Array.of(1, count >> 8, count & 0xff),
      ...Array.from({ length: count }, (_, i) => Uint8Array.of(0, 0, 0, i >> 8, i & 0xff)),
      signature,
    );
    expect(refused(() => decodeValidateAnswer(lots)).status).toBe(Status.INVALID_PACKET_LENGTH);
    expect(refused(() => decodeValidateAnswer(cat(Uint8Array.of(1, 0xff, 0xff), signature))).status).toBe(Status.TOO_MANY_COINS);
    // another version, a coin twice, a coin that is none
    const v2 = a.slice();
    v2[0] = 2;
    expect(refused(() => decodeValidateAnswer(v2)).code).toBe('bad_version');
    const twice = cat(Uint8Array.of(1, 0, 2), Uint8Array.of(0, 0, 0, 0, 7), Uint8Array.of(0, 0, 0, 0, 7), signature);
    expect(refused(() => decodeValidateAnswer(twice)).status).toBe(Status.INVALID_PARAMETER);
    const bad = cat(Uint8Array.of(1, 0, 1), Uint8Array.of(9, 0, 0, 0, 7), signature);
    expect(refused(() => decodeValidateAnswer(bad)).status).toBe(Status.INVALID_SN_OR_DENOMINATION);
    // the encoder: a signature of another length, a vote past the bounds
    expect(refused(() => encodeValidateAnswer(vote.coins, signature.subarray(1))).status).toBe(Status.INVALID_PARAMETER);
    expect(refused(() => voteMessage({ ...vote, validator: 25 })).status).toBe(Status.WRONG_RAIDA);
    expect(refused(() => voteMessage({ ...vote, ticket: 0 })).status).toBe(Status.INVALID_PARAMETER);
    expect(refused(() => signVote(vote, validator.secretKey, rand(8))).status).toBe(Status.INVALID_PARAMETER);
  });
});
