// EXT-8 (docs/protocol.md): an authenticated RAIDA envelope, encryption type 0x20. The
// standard's types 1/2 (AES-128-CTR, no MAC, challenge checked by CRC32) stay for other
// clients; our client and server use this one.
//
//   key      = HKDF-SHA-256(ikm = AN, salt = header nonce(8), info = "qmail-raida-aead/1"), 32 bytes
//   request  = header(32) · AES-256-GCM(key, iv = 0×12, aad = header, sent_at(8, ms) ‖ body) · tag(16) · 3E 3E
//   response = header(32) · AES-256-GCM(key, iv = 0×11 ‖ 01, aad = response header, payload) · tag(16) · 3E 3E
//
// The request header (with its body length) is bound by the tag; every response to an
// opened request carries a tag, even without payload, so status and size are bound too.
// The header nonce must never repeat under one AN (8 random bytes per request).
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../bytes/index.js';
import { CHALLENGE_LENGTH, checkChallenge, defaultRandom, responseSignature } from './challenge.js';
import { RaidaError } from './errors.js';
import {
  HEADER_LENGTH,
  TERMINATOR,
  decodeResponseHeader,
  echoOf,
  encodeRequestHeader,
  encodeResponseHeader,
  QMAIL_COIN_ID,
  type RequestHeader,
} from './header.js';
import { Status, isSuccessStatus } from './status.js';
import type { DecodedRequest, DecodedResponse, EncodedRequest, RequestOptions } from './packet.js';

/** Header byte 16 for the authenticated envelope (RAIDA uses 0–5 and 7). */
export const AEAD_ENCRYPTION = 0x20;
export const AEAD_TAG_LENGTH = 16;
const TIME_LENGTH = 8;
/** A request whose sent_at is further than this from the server's clock is refused. */
export const AEAD_WINDOW_MS = 5 * 60_000;

const INFO = new TextEncoder().encode('qmail-raida-aead/1');
const REQUEST_IV = new Uint8Array(12);
const RESPONSE_IV = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/** The primitives, so a host can bring faster ones (node:crypto) for the same bytes. */
export interface AeadCipher {
  deriveKey(an: Uint8Array, nonce8: Uint8Array): Uint8Array;
  /** Ciphertext ‖ 16-byte tag. */
  seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array;
  /** The plaintext, or null when the tag does not verify. */
  open(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export const nobleAead: AeadCipher = {
  deriveKey: (an, nonce8) => hkdf(sha256, an, nonce8, INFO, 32),
  seal: (key, iv, aad, plain) => gcm(key, iv, aad).encrypt(plain),
  open: (key, iv, aad, sealed) => {
    try {
      return gcm(key, iv, aad).decrypt(sealed);
    } catch {
      return null;
    }
  },
};

/** Wire body length of a sealed request whose plain body (challenge … 3E 3E) has `plainLength` bytes. */
export function aeadRequestBodyLength(plainLength: number): number {
  return TIME_LENGTH + (plainLength - 2) + AEAD_TAG_LENGTH + 2;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(n))));
  return b;
}

/** Client: seal a request under the AN (`o.key`), stamped with the sender's clock. */
export function sealAeadRequest(o: RequestOptions, cipher: AeadCipher = nobleAead): EncodedRequest {
  if (!o.key || o.key.length !== 16)
    throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, 'the authenticated envelope needs the 16-byte AN');
  const body = o.body;
  if (body.length < 2 || body[body.length - 2] !== 0x3e || body[body.length - 1] !== 0x3e)
    throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'request body must end with 3E 3E');
  checkChallenge(body);
  const nonce = o.nonce ?? (o.random ?? defaultRandom)(8).slice(0, 8);
  if (nonce.length !== 8) throw new RaidaError('bad_nonce', Status.INVALID_PARAMETER, 'nonce must be 8 bytes');
  const header: RequestHeader = {
    version: 1,
    splitId: 0,
    raidaId: o.raidaId,
    shardId: 0,
    group: o.group,
    command: o.command,
    coinId: o.coinId ?? QMAIL_COIN_ID,
    bitfield: 1,
    packetIndex: 0,
    packetCount: 1,
    encryption: AEAD_ENCRYPTION as RequestHeader['encryption'],
    keyDenomination: o.keyDenomination ?? 0,
    keySerial: o.keySerial ?? 0,
    bodyLength: aeadRequestBodyLength(body.length),
    nonce,
  };
  const head = encodeRequestHeader(header);
  const key = cipher.deriveKey(o.key, nonce);
  const sealed = cipher.seal(key, REQUEST_IV, head, concatBytes(u64(o.now ?? Date.now()), body.subarray(0, body.length - 2)));
  return { packet: concatBytes(head, sealed, TERMINATOR), header, challenge: body.slice(0, CHALLENGE_LENGTH), key: o.key };
}

/** Server: open a sealed request with the AN of its key coin; throws INVALID_ENCRYPTION when it does not verify. */
export function openAeadRequest(
  header: RequestHeader,
  wireBody: Uint8Array,
  an: Uint8Array | undefined,
  cipher: AeadCipher = nobleAead,
): DecodedRequest {
  if (wireBody.length !== header.bodyLength)
    throw new RaidaError(
      'length_mismatch',
      Status.INVALID_PACKET_LENGTH,
      `header says ${header.bodyLength} body bytes, got ${wireBody.length}`,
    );
  if (wireBody.length < 2 || wireBody[wireBody.length - 2] !== 0x3e || wireBody[wireBody.length - 1] !== 0x3e)
    throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'request body does not end with 3E 3E');
  if (wireBody.length < TIME_LENGTH + CHALLENGE_LENGTH + AEAD_TAG_LENGTH + 2)
    throw new RaidaError('too_short', Status.INVALID_PACKET_LENGTH, 'sealed body too short');
  if (!an)
    throw new RaidaError('unknown_key', Status.ENCRYPTION_COIN_NOT_FOUND, `no key for coin ${header.keyDenomination}/${header.keySerial}`);
  const plain = cipher.open(
    cipher.deriveKey(an, header.nonce),
    REQUEST_IV,
    encodeRequestHeader(header),
    wireBody.subarray(0, wireBody.length - 2),
  );
  if (!plain) throw new RaidaError('bad_tag', Status.INVALID_ENCRYPTION, 'request does not authenticate (wrong key or altered bytes)');
  const sentAt = Number(new DataView(plain.buffer, plain.byteOffset, TIME_LENGTH).getBigUint64(0));
  const inner = plain.subarray(TIME_LENGTH);
  checkChallenge(inner);
  return { header, body: concatBytes(inner, TERMINATOR), challenge: inner.slice(0, CHALLENGE_LENGTH), key: an, sentAt };
}

/** Server: the sealed answer to an opened request (always with a tag, so the status is authenticated). */
export function sealAeadResponse(
  req: DecodedRequest,
  status: number,
  payload: Uint8Array | undefined,
  execMicros = 0,
  cipher: AeadCipher = nobleAead,
): Uint8Array {
  const data = payload ?? new Uint8Array(0);
  const head = encodeResponseHeader({
    raidaId: req.header.raidaId,
    shardId: 0,
    status,
    group: req.header.group,
    udpFrames: 1,
    echo: echoOf(req.header),
    bodySize: data.length + AEAD_TAG_LENGTH + 2,
    execMicros,
    signature: responseSignature(req.challenge, req.key),
  });
  const sealed = cipher.seal(cipher.deriveKey(req.key!, req.header.nonce), RESPONSE_IV, head, data);
  return concatBytes(head, sealed, TERMINATOR);
}

/** Client: read the answer to a sealed request. A bodiless answer is only an unauthenticated error. */
export function openAeadResponse(req: EncodedRequest, packet: Uint8Array, cipher: AeadCipher = nobleAead): DecodedResponse {
  const header = decodeResponseHeader(packet);
  if (packet.length !== HEADER_LENGTH + header.bodySize)
    throw new RaidaError(
      'length_mismatch',
      Status.INVALID_PACKET_LENGTH,
      `header says ${header.bodySize} body bytes, packet has ${packet.length - HEADER_LENGTH}`,
    );
  if (header.bodySize === 0) {
    if (isSuccessStatus(header.status)) throw new RaidaError('bad_signature', Status.INVALID_ENCRYPTION, 'a success without a tag');
    return { header, status: header.status, payload: new Uint8Array(0), authenticated: false };
  }
  if (header.bodySize < AEAD_TAG_LENGTH + 2 || packet[packet.length - 2] !== 0x3e || packet[packet.length - 1] !== 0x3e)
    throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'sealed response malformed');
  const payload = cipher.open(
    cipher.deriveKey(req.key!, req.header.nonce),
    RESPONSE_IV,
    packet.subarray(0, HEADER_LENGTH),
    packet.subarray(HEADER_LENGTH, packet.length - 2),
  );
  if (!payload) throw new RaidaError('bad_signature', Status.INVALID_ENCRYPTION, 'response does not authenticate');
  return { header, status: header.status, payload, authenticated: true };
}
