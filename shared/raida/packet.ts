import { concatBytes, constantTimeEqual } from '../bytes/index.js';
import { CHALLENGE_LENGTH, checkChallenge, defaultRandom, responseSignature } from './challenge.js';
import { raidaCtr } from './cipher.js';
import { RaidaError, guardDecode } from './errors.js';
import {
  Encryption,
  HEADER_LENGTH,
  MAX_RESPONSE_BODY,
  QMAIL_COIN_ID,
  TERMINATOR,
  decodeRequestHeader,
  decodeResponseHeader,
  echoOf,
  encodeRequestHeader,
  encodeResponseHeader,
  type EncryptionType,
  type RequestHeader,
  type ResponseHeader,
} from './header.js';
import { Status, isSuccessStatus } from './status.js';
import { openAeadRequest, openAeadResponse, sealAeadRequest, sealAeadResponse } from './aead.js';

/** Default cap on a request body: a 256 KiB download page or upload page plus framing, with room. */
export const DEFAULT_MAX_REQUEST_BODY = 4 * 1024 * 1024;

export function hasTerminator(b: Uint8Array): boolean {
  return b.length >= 2 && b[b.length - 2] === 0x3e && b[b.length - 1] === 0x3e;
}

export function withTerminator(payload: Uint8Array): Uint8Array {
  return concatBytes(payload, TERMINATOR);
}

export interface RequestOptions {
  raidaId: number;
  group: number;
  command: number;
  /**
   * The plaintext request body exactly as the command codecs produce it: 16-byte
   * challenge first, `3E 3E` terminator last. For types 1 and 2 everything but the
   * terminator is encrypted.
   */
  body: Uint8Array;
  encryption?: EncryptionType;
  /** AES key (the coin's AN on this server, or the locker key); required for types 1, 2. */
  key?: Uint8Array;
  keyDenomination?: number;
  keySerial?: number;
  /** 8 header bytes 24-31; random when absent (types 1, 2) or zeros + echo (type 0). */
  nonce?: Uint8Array;
  echo?: number;
  coinId?: number;
  random?: (n: number) => Uint8Array;
  /** The sender's clock (ms) sealed into an authenticated request (EXT-8); default Date.now(). */
  now?: number;
}

export interface EncodedRequest {
  packet: Uint8Array;
  header: RequestHeader;
  /** Keep these two to check and decrypt the response. */
  challenge: Uint8Array;
  key?: Uint8Array;
}

export function encodeRequest(o: RequestOptions): EncodedRequest {
  const encryption = o.encryption ?? Encryption.NONE;
  if (encryption === Encryption.AEAD) return sealAeadRequest(o);
  if (!hasTerminator(o.body)) throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'request body must end with 3E 3E');
  checkChallenge(o.body);
  if (encryption !== Encryption.NONE && (!o.key || o.key.length !== 16))
    throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, 'types 1 and 2 need a 16-byte key');
  let nonce = o.nonce;
  if (!nonce) {
    nonce = encryption === Encryption.NONE ? new Uint8Array(8) : (o.random ?? defaultRandom)(8).slice(0, 8);
    if (o.echo !== undefined) {
      nonce[6] = (o.echo >>> 8) & 0xff;
      nonce[7] = o.echo & 0xff;
    }
  }
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
    encryption,
    keyDenomination: encryption === Encryption.NONE ? 0 : (o.keyDenomination ?? 0),
    keySerial: encryption === Encryption.NONE ? 0 : (o.keySerial ?? 0),
    bodyLength: o.body.length,
    nonce,
  };
  const plain = o.body.subarray(0, o.body.length - 2);
  const sealed = encryption === Encryption.NONE ? plain : raidaCtr(o.key!, nonce, plain);
  const packet = concatBytes(encodeRequestHeader(header), sealed, TERMINATOR);
  return { packet, header, challenge: o.body.slice(0, CHALLENGE_LENGTH), ...(encryption === Encryption.NONE ? {} : { key: o.key! }) };
}

export interface KeyRef {
  encryption: EncryptionType;
  denomination: number;
  serial: number;
}
/** Server side: the AN (type 1) or locker key (type 2) for a key coin, or undefined if unknown. */
export type KeyLookup = (ref: KeyRef) => Uint8Array | undefined;

export interface DecodedRequest {
  header: RequestHeader;
  /** Decrypted body, challenge first, terminator last (the form the command codecs read). */
  body: Uint8Array;
  challenge: Uint8Array;
  key?: Uint8Array;
  /** The sender's clock (ms) sealed into an authenticated request (EXT-8). */
  sentAt?: number;
}

export interface DecodeRequestOptions {
  maxBodyLength?: number;
}

/** Checks the header's length against the cap; a stream reader calls this before reading the body. */
export function checkRequestLength(header: RequestHeader, opts: DecodeRequestOptions = {}): void {
  const max = opts.maxBodyLength ?? DEFAULT_MAX_REQUEST_BODY;
  if (header.bodyLength === 0) throw new RaidaError('empty_request', Status.EMPTY_REQUEST, 'request has no body');
  if (header.bodyLength < CHALLENGE_LENGTH + 2)
    throw new RaidaError(
      'too_short',
      Status.INVALID_PACKET_LENGTH,
      `body of ${header.bodyLength} bytes cannot hold challenge and terminator`,
    );
  if (header.bodyLength > max)
    throw new RaidaError('too_large', Status.INVALID_PACKET_LENGTH, `body of ${header.bodyLength} bytes exceeds the ${max}-byte limit`);
}

export interface OpenRequestOptions {
  /**
   * Accept a clear (type 0) body whose challenge is not 12 bytes + CRC32: the CloudCoin
   * client's download builder sends 16 random bytes. Never applies to encrypted bodies,
   * where the CRC is what detects a wrong key.
   */
  uncheckedClearChallenge?: boolean;
}

/**
 * Second half of request decoding, for servers that read the header first and look
 * the key up asynchronously: `wireBody` is exactly `header.bodyLength` bytes.
 */
export function openRequestBody(
  header: RequestHeader,
  wireBody: Uint8Array,
  key: Uint8Array | undefined,
  opts: OpenRequestOptions = {},
): DecodedRequest {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      if (header.encryption === Encryption.AEAD) return openAeadRequest(header, wireBody, key);
      if (wireBody.length !== header.bodyLength)
        throw new RaidaError(
          'length_mismatch',
          Status.INVALID_PACKET_LENGTH,
          `header says ${header.bodyLength} body bytes, got ${wireBody.length}`,
        );
      if (!hasTerminator(wireBody)) throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'request body does not end with 3E 3E');
      const sealed = wireBody.subarray(0, wireBody.length - 2);
      let plain: Uint8Array;
      if (header.encryption === Encryption.NONE) plain = sealed.slice();
      else {
        if (!key)
          throw new RaidaError(
            'unknown_key',
            Status.ENCRYPTION_COIN_NOT_FOUND,
            `no key for coin ${header.keyDenomination}/${header.keySerial}`,
          );
        plain = raidaCtr(key, header.nonce, sealed);
      }
      // A wrong key shows up here: the decrypted challenge fails its CRC.
      const crcChecked = !(opts.uncheckedClearChallenge && header.encryption === Encryption.NONE);
      try {
        if (crcChecked) checkChallenge(plain);
        else if (plain.length < CHALLENGE_LENGTH)
          throw new RaidaError('truncated', Status.INVALID_PACKET_LENGTH, 'body shorter than the 16-byte challenge');
      } catch (e) {
        if (e instanceof RaidaError && e.code === 'bad_crc' && header.encryption !== Encryption.NONE) {
          throw new RaidaError('bad_crc', Status.INVALID_ENCRYPTION, 'decrypted challenge CRC mismatch (wrong key?)');
        }
        throw e;
      }
      const body = withTerminator(plain);
      return {
        header,
        body,
        challenge: plain.slice(0, CHALLENGE_LENGTH),
        ...(key && header.encryption !== Encryption.NONE ? { key } : {}),
      };
    },
  );
}

/** Decode a whole request packet (header + body + terminator, nothing after). */
export function decodeRequest(packet: Uint8Array, lookupKey: KeyLookup, opts: DecodeRequestOptions = {}): DecodedRequest {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      const header = decodeRequestHeader(packet);
      checkRequestLength(header, opts);
      const wireBody = packet.subarray(HEADER_LENGTH);
      if (wireBody.length !== header.bodyLength)
        throw new RaidaError(
          'length_mismatch',
          Status.INVALID_PACKET_LENGTH,
          `header says ${header.bodyLength} body bytes, packet has ${wireBody.length}`,
        );
      const key =
        header.encryption === Encryption.NONE
          ? undefined
          : lookupKey({ encryption: header.encryption, denomination: header.keyDenomination, serial: header.keySerial });
      if (key !== undefined && key.length !== 16)
        throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, 'lookup returned a key that is not 16 bytes');
      return openRequestBody(header, wireBody, key);
    },
  );
}

export interface ResponseOptions {
  raidaId: number;
  status: number;
  group: number;
  echo: number;
  challenge: Uint8Array;
  /** Command output without terminator; empty or absent = no body. */
  payload?: Uint8Array;
  encryption?: EncryptionType;
  key?: Uint8Array;
  nonce?: Uint8Array;
  execMicros?: number;
}

export function encodeResponse(o: ResponseOptions): Uint8Array {
  const encryption = o.encryption ?? Encryption.NONE;
  const payload = o.payload ?? new Uint8Array(0);
  if (o.challenge.length !== CHALLENGE_LENGTH)
    throw new RaidaError('bad_challenge', Status.INVALID_PARAMETER, 'challenge must be 16 bytes');
  if (encryption !== Encryption.NONE && (!o.key || o.key.length !== 16 || !o.nonce))
    throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, 'encrypted responses need the request key and nonce');
  const bodySize = payload.length === 0 ? 0 : payload.length + 2;
  if (bodySize > MAX_RESPONSE_BODY)
    throw new RaidaError('too_large', Status.INVALID_PACKET_LENGTH, 'response payload exceeds the 24-bit size field');
  const signature = responseSignature(o.challenge, encryption === Encryption.NONE ? undefined : o.key);
  const header = encodeResponseHeader({
    raidaId: o.raidaId,
    shardId: 0,
    status: o.status,
    group: o.group,
    udpFrames: 1,
    echo: o.echo,
    bodySize,
    execMicros: o.execMicros ?? 0,
    signature,
  });
  if (payload.length === 0) return header;
  const sealed = encryption === Encryption.NONE ? payload : raidaCtr(o.key!, o.nonce!, payload);
  return concatBytes(header, sealed, TERMINATOR);
}

/** Server convenience: answer a decoded request with the same envelope it arrived in. */
export function respondTo(req: DecodedRequest, status: number, payload?: Uint8Array, execMicros = 0): Uint8Array {
  if (req.header.encryption === Encryption.AEAD) return sealAeadResponse(req, status, payload, execMicros);
  return encodeResponse({
    raidaId: req.header.raidaId,
    status,
    group: req.header.group,
    echo: echoOf(req.header),
    challenge: req.challenge,
    encryption: req.header.encryption,
    nonce: req.header.nonce,
    execMicros,
    ...(req.key ? { key: req.key } : {}),
    ...(payload ? { payload } : {}),
  });
}

/**
 * Answer a request we could not open (bad header, unknown key, bad CRC): plain header,
 * no body. The signature is zero because we cannot prove we read the challenge.
 */
export function encodeErrorResponse(raidaId: number, group: number, status: number, echo = 0): Uint8Array {
  return encodeResponseHeader({
    raidaId,
    shardId: 0,
    status,
    group,
    udpFrames: 1,
    echo,
    bodySize: 0,
    execMicros: 0,
    signature: new Uint8Array(16),
  });
}

export interface DecodedResponse {
  header: ResponseHeader;
  status: number;
  payload: Uint8Array;
  /** False only for a bodiless error answer whose signature does not match (see encodeErrorResponse). */
  authenticated: boolean;
}

export interface ResponseContext {
  /** The challenge sent in the request; the signature must match it. */
  challenge: Uint8Array;
  encryption?: EncryptionType;
  key?: Uint8Array;
  nonce?: Uint8Array;
}

export function decodeResponse(packet: Uint8Array, ctx: ResponseContext): DecodedResponse {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      const header = decodeResponseHeader(packet);
      const wireBody = packet.subarray(HEADER_LENGTH);
      if (wireBody.length !== header.bodySize)
        throw new RaidaError(
          'length_mismatch',
          Status.INVALID_PACKET_LENGTH,
          `header says ${header.bodySize} body bytes, packet has ${wireBody.length}`,
        );
      const encryption = ctx.encryption ?? Encryption.NONE;
      if (encryption !== Encryption.NONE && (!ctx.key || !ctx.nonce))
        throw new RaidaError('bad_key', Status.INVALID_ENCRYPTION, 'need the request key and nonce to read an encrypted response');
      const expected = responseSignature(ctx.challenge, encryption === Encryption.NONE ? undefined : ctx.key);
      const authenticated = constantTimeEqual(expected, header.signature);
      // An unsigned answer is only believable as a bare error (a server that could not open
      // our request cannot sign it); never as a success and never with a body.
      if (!authenticated && (header.bodySize > 0 || isSuccessStatus(header.status))) {
        throw new RaidaError('bad_signature', Status.INVALID_ENCRYPTION, 'response signature does not match our challenge');
      }
      if (header.bodySize === 0) return { header, status: header.status, payload: new Uint8Array(0), authenticated };
      if (!hasTerminator(wireBody)) throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'response body does not end with 3E 3E');
      const sealed = wireBody.subarray(0, wireBody.length - 2);
      const payload = encryption === Encryption.NONE ? sealed.slice() : raidaCtr(ctx.key!, ctx.nonce!, sealed);
      return { header, status: header.status, payload, authenticated };
    },
  );
}

/** Client convenience: decode the response to a request made with encodeRequest. */
export function decodeResponseTo(req: EncodedRequest, packet: Uint8Array): DecodedResponse {
  if (req.header.encryption === Encryption.AEAD)
    return guardDecode(
      (c, s, m) => new RaidaError(c, s, m),
      () => openAeadResponse(req, packet),
    );
  return decodeResponse(packet, {
    challenge: req.challenge,
    encryption: req.header.encryption,
    nonce: req.header.nonce,
    ...(req.key ? { key: req.key } : {}),
  });
}
