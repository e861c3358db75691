import { crc32 } from '../bytes/index.js';
import { RaidaError } from './errors.js';
import { Status } from './status.js';

export const CHALLENGE_LENGTH = 16;

/** 12 random bytes followed by their CRC32, big-endian (RAIDA challenge construction). */
export function makeChallenge(random12: Uint8Array): Uint8Array {
  if (random12.length !== 12)
    throw new RaidaError('bad_challenge', Status.INVALID_PARAMETER, `challenge needs 12 random bytes, got ${random12.length}`);
  const out = new Uint8Array(CHALLENGE_LENGTH);
  out.set(random12, 0);
  const c = crc32(random12);
  out[12] = c >>> 24;
  out[13] = (c >>> 16) & 0xff;
  out[14] = (c >>> 8) & 0xff;
  out[15] = c & 0xff;
  return out;
}

/** A fresh challenge from the global Web Crypto generator (or an injected one). */
export function newChallenge(random: (n: number) => Uint8Array = defaultRandom): Uint8Array {
  return makeChallenge(random(12));
}

export function defaultRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

export function isValidChallenge(challenge: Uint8Array): boolean {
  if (challenge.length !== CHALLENGE_LENGTH) return false;
  const c = crc32(challenge.subarray(0, 12));
  return (
    challenge[12] === c >>> 24 &&
    challenge[13] === ((c >>> 16) & 0xff) &&
    challenge[14] === ((c >>> 8) & 0xff) &&
    challenge[15] === (c & 0xff)
  );
}

/** Throws RaidaError(bad_crc, 37) unless the first 16 bytes are a well-formed challenge. */
export function checkChallenge(challenge: Uint8Array): void {
  if (challenge.length < CHALLENGE_LENGTH)
    throw new RaidaError('truncated', Status.INVALID_PACKET_LENGTH, 'body shorter than the 16-byte challenge');
  if (!isValidChallenge(challenge.subarray(0, CHALLENGE_LENGTH)))
    throw new RaidaError('bad_crc', Status.INVALID_CRC, 'challenge CRC32 does not match');
}

/** The response signature: the challenge itself (type 0) or challenge XOR key (types 1, 2). */
export function responseSignature(challenge: Uint8Array, key?: Uint8Array): Uint8Array {
  const out = challenge.slice(0, CHALLENGE_LENGTH);
  if (key) for (let i = 0; i < CHALLENGE_LENGTH; i++) out[i] = out[i]! ^ key[i]!;
  return out;
}
