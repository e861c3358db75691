import { ByteReader, ByteWriter } from '../bytes/index.js';
import { RaidaError, guardDecode } from './errors.js';
import { Status } from './status.js';

export const HEADER_LENGTH = 32;
/** The RAIDA terminator. Treat as read-only. */
export const TERMINATOR: Uint8Array = new Uint8Array([0x3e, 0x3e]);
/** Body-length value that announces the 32-bit extended length (our extension EXT-1). */
export const EXTENDED_LENGTH_MARK = 0xffff;
/** Coin ID we put in header bytes 6-7: the QMail coin type (the RAIDA docs say 0x0001). */
export const QMAIL_COIN_ID = 0x0006;

/** 0 clear, 1 AES-128-CTR under the AN, 2 under a locker key; 0x20 the authenticated envelope (EXT-8, aead.ts). */
export const Encryption = { NONE: 0, AN: 1, LOCKER: 2, AEAD: 0x20 } as const;
export type EncryptionType = (typeof Encryption)[keyof typeof Encryption];

/** The 32-byte RAIDA request header (encryption types 0, 1, 2). */
export interface RequestHeader {
  version: number;
  splitId: number;
  raidaId: number;
  shardId: number;
  group: number;
  command: number;
  coinId: number;
  bitfield: number;
  packetIndex: number;
  packetCount: number;
  encryption: EncryptionType;
  /** Denomination (signed) and serial of the coin whose AN keys the body (types 1, 2). */
  keyDenomination: number;
  keySerial: number;
  /** Bytes of body on the wire after the header, terminator included. */
  bodyLength: number;
  /** Header bytes 24-31: the AES-CTR nonce (types 1, 2); bytes 30-31 double as the echo. */
  nonce: Uint8Array;
}

export function echoOf(h: Pick<RequestHeader, 'nonce'>): number {
  return (h.nonce[6]! << 8) | h.nonce[7]!;
}

export function encodeRequestHeader(h: RequestHeader): Uint8Array {
  if (h.nonce.length !== 8) throw new RaidaError('bad_nonce', Status.INVALID_PARAMETER, 'nonce must be 8 bytes');
  if (h.bodyLength < 0 || h.bodyLength > 0xffffffff || !Number.isInteger(h.bodyLength)) {
    throw new RaidaError('bad_length', Status.INVALID_PACKET_LENGTH, `body length out of range: ${h.bodyLength}`);
  }
  const extended = h.bodyLength >= EXTENDED_LENGTH_MARK;
  const w = new ByteWriter(32);
  w.u8(h.version).u8(h.splitId).u8(h.raidaId).u8(h.shardId).u8(h.group).u8(h.command).u16(h.coinId);
  w.u8(h.bitfield);
  if (extended)
    w.u32(h.bodyLength).u8(0); // bytes 9-12 carry the length, 13 reserved
  else w.zeros(5);
  w.u8(h.packetIndex).u8(h.packetCount);
  w.u8(h.encryption)
    .i8(h.keyDenomination)
    .u32(h.keySerial)
    .u16(extended ? EXTENDED_LENGTH_MARK : h.bodyLength);
  w.bytes(h.nonce);
  return w.finish();
}

export interface DecodeRequestHeaderOptions {
  /**
   * Commands for which header version 0 is read as version 1: the CloudCoin client's
   * network layer writes 0 there for its Group 6 commands 60–64.
   */
  versionZero?: (group: number, command: number) => boolean;
}

/** Parses the first 32 bytes of a request. Does not look at the body. */
export function decodeRequestHeader(bytes: Uint8Array, opts: DecodeRequestHeaderOptions = {}): RequestHeader {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      if (bytes.length < HEADER_LENGTH)
        throw new RaidaError('truncated', Status.INVALID_PACKET_LENGTH, `request header needs 32 bytes, got ${bytes.length}`);
      const r = new ByteReader(bytes.subarray(0, HEADER_LENGTH));
      const version = r.u8();
      if (version !== 1 && !(version === 0 && opts.versionZero?.(bytes[4]!, bytes[5]!)))
        throw new RaidaError('bad_version', Status.INVALID_CLOUD_ID, `unsupported header version ${version}`);
      const splitId = r.u8();
      const raidaId = r.u8();
      const shardId = r.u8();
      const group = r.u8();
      const command = r.u8();
      const coinId = r.u16();
      const bitfield = r.u8();
      const ext = r.u32();
      r.skip(1);
      const packetIndex = r.u8();
      const packetCount = r.u8();
      const encryption = r.u8();
      if (encryption === 3) throw new RaidaError('reserved_encryption', Status.INVALID_ENCRYPTION, 'encryption type 3 is reserved');
      if (encryption > 2 && encryption !== Encryption.AEAD)
        throw new RaidaError('unknown_encryption', Status.INVALID_ENCRYPTION_CODE, `unknown encryption type ${encryption}`);
      const keyDenomination = r.i8();
      const keySerial = r.u32();
      const bl = r.u16();
      const nonce = r.take(8);
      let bodyLength = bl;
      if (bl === EXTENDED_LENGTH_MARK) {
        if (ext < EXTENDED_LENGTH_MARK)
          throw new RaidaError('bad_length', Status.INVALID_PACKET_LENGTH, 'extended body length missing or too small');
        bodyLength = ext;
      }
      return {
        version,
        splitId,
        raidaId,
        shardId,
        group,
        command,
        coinId,
        bitfield,
        packetIndex,
        packetCount,
        encryption: encryption as EncryptionType,
        keyDenomination,
        keySerial,
        bodyLength,
        nonce,
      };
    },
  );
}

/** The 32-byte RAIDA response header. */
export interface ResponseHeader {
  raidaId: number;
  shardId: number;
  status: number;
  group: number;
  udpFrames: number;
  echo: number;
  /** Bytes of body after the header, terminator included; 0 when there is no body. */
  bodySize: number;
  execMicros: number;
  signature: Uint8Array;
}

export const MAX_RESPONSE_BODY = 0xffffff;

export function encodeResponseHeader(h: ResponseHeader): Uint8Array {
  if (h.signature.length !== 16) throw new RaidaError('bad_signature', Status.INVALID_PARAMETER, 'signature must be 16 bytes');
  if (h.bodySize > MAX_RESPONSE_BODY)
    throw new RaidaError('too_large', Status.INVALID_PACKET_LENGTH, `response body ${h.bodySize} exceeds 24-bit size`);
  return new ByteWriter(32)
    .u8(h.raidaId)
    .u8(h.shardId)
    .u8(h.status)
    .u8(h.group)
    .u16(h.udpFrames)
    .u16(h.echo)
    .u8(0)
    .u24(h.bodySize)
    .u32(h.execMicros)
    .bytes(h.signature)
    .finish();
}

export function decodeResponseHeader(bytes: Uint8Array): ResponseHeader {
  return guardDecode(
    (c, s, m) => new RaidaError(c, s, m),
    () => {
      if (bytes.length < HEADER_LENGTH)
        throw new RaidaError('truncated', Status.INVALID_PACKET_LENGTH, `response header needs 32 bytes, got ${bytes.length}`);
      const r = new ByteReader(bytes.subarray(0, HEADER_LENGTH));
      const raidaId = r.u8();
      const shardId = r.u8();
      const status = r.u8();
      const group = r.u8();
      const udpFrames = r.u16();
      const echo = r.u16();
      r.skip(1);
      const bodySize = r.u24();
      if (bodySize === 1)
        throw new RaidaError('bad_length', Status.INVALID_PACKET_LENGTH, 'response body size 1 cannot hold the terminator');
      const execMicros = r.u32();
      const signature = r.take(16);
      return { raidaId, shardId, status, group, udpFrames, echo, bodySize, execMicros, signature };
    },
  );
}
