// Node fast path for the RAIDA envelope: the same bytes as shared/raida's openRequestBody
// and respondTo, with AES-128-CTR done by node:crypto (OpenSSL, AES-NI) instead of the
// pure-JS cipher the shared code must use. envelope.test.ts proves byte equality.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import {
  Encryption,
  HEADER_LENGTH,
  RaidaError,
  Status,
  TERMINATOR,
  decodeResponseHeader,
  decodeResponseTo,
  defaultRandom,
  echoOf,
  encodeRequest,
  encodeRequestHeader,
  encodeResponseHeader,
  openRequestBody,
  respondTo,
  responseSignature,
  type DecodedRequest,
  type DecodedResponse,
  type EncodedRequest,
  type OpenRequestOptions,
  type RequestHeader,
  type RequestOptions,
  type AeadCipher,
  openAeadRequest,
  openAeadResponse,
  sealAeadRequest,
  sealAeadResponse,
} from '../../shared/raida/index.js';
import { constantTimeEqual } from '../../shared/bytes/index.js';

/** AES-128-CTR with the RAIDA counter block: nonce(8) ‖ 0(8), 128-bit big-endian increment. */
export function nodeCtr(key: Uint8Array, nonce8: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const iv = Buffer.alloc(16);
  iv.set(nonce8, 0);
  const c = createCipheriv('aes-128-ctr', key, iv);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

const AEAD_INFO = Buffer.from('qmail-raida-aead/1');
const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** The authenticated envelope (EXT-8) with node:crypto: same bytes as shared/raida's nobleAead. */
export const nodeAead: AeadCipher = {
  deriveKey: (an, nonce8) => new Uint8Array(hkdfSync('sha256', an, nonce8, AEAD_INFO, 32)),
  seal(key, iv, aad, plain) {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    return u8(out);
  },
  open(key, iv, aad, sealed) {
    if (sealed.length < 16) return null;
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const body = d.update(sealed.subarray(0, sealed.length - 16));
    try {
      return u8(Buffer.concat([body, d.final()]));
    } catch {
      return null; // the tag does not verify (OpenSSL compares it in constant time)
    }
  },
};

export function openRequest(
  header: RequestHeader,
  wireBody: Uint8Array,
  key: Uint8Array | undefined,
  opts: OpenRequestOptions = {},
): DecodedRequest {
  if (header.encryption === Encryption.AEAD) {
    try {
      return openAeadRequest(header, wireBody, key, nodeAead);
    } catch (e) {
      if (e instanceof RaidaError) throw e;
      throw new RaidaError('bad_body', Status.INVALID_PACKET_LENGTH, (e as Error).message);
    }
  }
  if (header.encryption === Encryption.NONE || !key || key.length !== 16 || wireBody.length !== header.bodyLength || wireBody.length < 2) {
    return openRequestBody(header, wireBody, key, opts);
  }
  const plain = new Uint8Array(wireBody.length);
  plain.set(nodeCtr(key, header.nonce, wireBody.subarray(0, wireBody.length - 2)), 0);
  plain.set(wireBody.subarray(wireBody.length - 2), wireBody.length - 2);
  let req: DecodedRequest;
  try {
    req = openRequestBody({ ...header, encryption: Encryption.NONE }, plain, undefined);
  } catch (e) {
    if (e instanceof RaidaError && e.code === 'bad_crc')
      throw new RaidaError('bad_crc', Status.INVALID_ENCRYPTION, 'decrypted challenge CRC mismatch (wrong key?)');
    throw e;
  }
  return { ...req, header, key };
}

export function respond(req: DecodedRequest, status: number, payload?: Uint8Array, execMicros = 0): Uint8Array {
  if (req.header.encryption === Encryption.AEAD) return sealAeadResponse(req, status, payload, execMicros, nodeAead);
  if (req.header.encryption === Encryption.NONE || !req.key || !payload || payload.length === 0)
    return respondTo(req, status, payload, execMicros);
  const header = encodeResponseHeader({
    raidaId: req.header.raidaId,
    shardId: 0,
    status,
    group: req.header.group,
    udpFrames: 1,
    echo: echoOf(req.header),
    bodySize: payload.length + 2,
    execMicros,
    signature: responseSignature(req.challenge, req.key),
  });
  const out = new Uint8Array(HEADER_LENGTH + payload.length + 2);
  out.set(header, 0);
  out.set(nodeCtr(req.key, req.header.nonce, payload), HEADER_LENGTH);
  out.set(TERMINATOR, HEADER_LENGTH + payload.length);
  return out;
}

/** Client side: decodeResponseTo with node:crypto for the body. */
export function decodeResponseFast(req: EncodedRequest, packet: Uint8Array): DecodedResponse {
  if (req.header.encryption === Encryption.AEAD) return openAeadResponse(req, packet, nodeAead);
  const h = decodeResponseHeader(packet);
  if (req.header.encryption === Encryption.NONE || !req.key || h.bodySize === 0 || packet.length !== HEADER_LENGTH + h.bodySize)
    return decodeResponseTo(req, packet);
  if (!constantTimeEqual(h.signature, responseSignature(req.challenge, req.key)))
    throw new RaidaError('bad_signature', Status.INVALID_ENCRYPTION, 'response signature does not match our challenge');
  if (packet[packet.length - 2] !== 0x3e || packet[packet.length - 1] !== 0x3e)
    throw new RaidaError('missing_terminator', Status.INVALID_EOF, 'response body does not end with 3E 3E');
  const payload = nodeCtr(req.key, req.header.nonce, packet.subarray(HEADER_LENGTH, packet.length - 2));
  return { header: h, status: h.status, payload, authenticated: true };
}

/** Client side: encodeRequest with node:crypto for the body (same bytes for the same nonce). */
export function encodeRequestFast(o: RequestOptions): EncodedRequest {
  if (o.encryption === Encryption.AEAD) return sealAeadRequest(o, nodeAead);
  if (!o.encryption || !o.key || o.key.length !== 16) return encodeRequest(o);
  const nonce = o.nonce ?? (o.random ?? defaultRandom)(8).slice(0, 8);
  const plain = encodeRequest({ ...o, encryption: Encryption.NONE, nonce });
  const header: RequestHeader = {
    ...plain.header,
    encryption: o.encryption,
    keyDenomination: o.keyDenomination ?? 0,
    keySerial: o.keySerial ?? 0,
    nonce,
  };
  const packet = new Uint8Array(plain.packet.length);
  packet.set(encodeRequestHeader(header), 0);
  packet.set(nodeCtr(o.key, nonce, plain.packet.subarray(HEADER_LENGTH, plain.packet.length - 2)), HEADER_LENGTH);
  packet.set(TERMINATOR, plain.packet.length - 2);
  return { packet, header, challenge: plain.challenge, key: o.key };
}
