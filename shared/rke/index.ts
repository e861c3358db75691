// RKE/1.0 (RAIDA Group 15): preload_master_key (01) and get_key_share (02) bodies.
import type { ByteReader } from '../bytes/index.js';
import { ByteWriter } from '../bytes/index.js';
import { WireError } from '../raida/errors.js';
import { type CodecKit, codecKit } from '../raida/kit.js';
import { type CoinRef, readPq, writePq } from '../raida/coin.js';
import { Status } from '../raida/status.js';

export class RkeError extends WireError {
  override readonly name = 'RkeError';
}
const kit: CodecKit = codecKit((c, s, m) => new RkeError(c, s, m));
const check: CodecKit['check'] = kit.check;
const END = new Uint8Array([0x3e, 0x3e]);

/** Content Server IDs in preload are length-prefixed; we cap them (docs/protocol.md, RKE). */
export const MAX_CSID_LENGTH = 255;
export const MASTER_SECRET_LENGTH = 32;
export const KEY_SHARE_CSID_LENGTH = 16;

export interface KeyRecord {
  kid: number;
  /** 32-byte master secret. Travels only inside an encrypted envelope (RKE §5). */
  secret: Uint8Array;
}

/**
 * preload_master_key (01), the source layout: CSID length(4 BE) CSID NS(1)
 * NS × [KID(1) secret(32)] 3E3E. On our wire the 16-byte RAIDA challenge precedes it
 * (see encodePreloadRequestBody).
 */
export interface PreloadMasterKey {
  contentServerId: Uint8Array;
  records: KeyRecord[];
}

export function encodePreloadMasterKey(p: PreloadMasterKey): Uint8Array {
  check(
    p.contentServerId.length >= 1 && p.contentServerId.length <= MAX_CSID_LENGTH,
    'bad_csid',
    Status.INVALID_CS_ID,
    `content server id must be 1–${MAX_CSID_LENGTH} bytes`,
  );
  check(p.records.length >= 1 && p.records.length <= 255, 'bad_count', Status.INVALID_PARAMETER, 'preload carries 1–255 key records');
  const w = new ByteWriter(8 + p.contentServerId.length + 33 * p.records.length);
  w.u32(p.contentServerId.length).bytes(p.contentServerId).u8(p.records.length);
  for (const r of p.records) {
    kit.fixed(r.secret, MASTER_SECRET_LENGTH, 'master secret');
    w.u8(r.kid).bytes(r.secret);
  }
  return w.bytes(END).finish();
}

export function decodePreloadMasterKey(body: Uint8Array): PreloadMasterKey {
  return kit.decode(() => readPreload(kit.bodyReader(body, 'preload_master_key')));
}

function readPreload(r: ByteReader): PreloadMasterKey {
  const n = r.u32();
  check(n >= 1 && n <= MAX_CSID_LENGTH, 'bad_csid', Status.INVALID_CS_ID, `content server id length ${n} outside 1–${MAX_CSID_LENGTH}`);
  const contentServerId = r.take(n);
  const ns = r.u8();
  check(ns >= 1, 'bad_count', Status.INVALID_PARAMETER, 'preload carries at least one key record');
  check(
    r.remaining === ns * 33,
    'length_mismatch',
    Status.INVALID_PACKET_LENGTH,
    `NS=${ns} needs ${ns * 33} record bytes, body holds ${r.remaining}`,
  );
  const records: KeyRecord[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < ns; i++) {
    const kid = r.u8();
    check(!seen.has(kid), 'duplicate_kid', Status.INVALID_KEY_ID, `key id ${kid} repeats`);
    seen.add(kid);
    records.push({ kid, secret: r.take(MASTER_SECRET_LENGTH) });
  }
  return { contentServerId, records };
}

/** Our wire form (EXT-5): RAIDA challenge(16) + the source body. */
export function encodePreloadRequestBody(challenge: Uint8Array, p: PreloadMasterKey): Uint8Array {
  kit.fixed(challenge, 16, 'challenge');
  const inner = encodePreloadMasterKey(p);
  const out = new Uint8Array(16 + inner.length);
  out.set(challenge, 0);
  out.set(inner, 16);
  return out;
}
export function decodePreloadRequestBody(body: Uint8Array): { challenge: Uint8Array } & PreloadMasterKey {
  return kit.decode(() => {
    const r = kit.bodyReader(body, 'preload_master_key');
    const challenge = r.take(16);
    return { challenge, ...readPreload(r) };
  });
}

/**
 * get_key_share (02): challenge(16) Content Server ID(16) KID(1) client PQ(5: DN + SN BE)
 * timestamp(8 BE) 3E3E = 48 bytes.
 */
export interface GetKeyShare {
  challenge: Uint8Array;
  contentServerId: Uint8Array;
  kid: number;
  client: CoinRef;
  timestamp: number;
}
export const GET_KEY_SHARE_LENGTH = 48;

export function encodeGetKeyShare(g: GetKeyShare): Uint8Array {
  kit.fixed(g.challenge, 16, 'challenge');
  kit.fixed(g.contentServerId, KEY_SHARE_CSID_LENGTH, 'content server id');
  check(Number.isSafeInteger(g.timestamp) && g.timestamp >= 0, 'bad_timestamp', Status.INVALID_PARAMETER, 'timestamp out of range');
  const w = new ByteWriter(48).bytes(g.challenge).bytes(g.contentServerId).u8(g.kid);
  writePq(w, g.client);
  return w.u64(BigInt(g.timestamp)).bytes(END).finish();
}

export function decodeGetKeyShare(body: Uint8Array): GetKeyShare {
  return kit.decode(() => {
    check(
      body.length === GET_KEY_SHARE_LENGTH,
      'bad_length',
      Status.INVALID_PACKET_LENGTH,
      `get_key_share is exactly 48 bytes, got ${body.length}`,
    );
    const r = kit.bodyReader(body, 'get_key_share');
    const challenge = r.take(16);
    const contentServerId = r.take(16);
    const kid = r.u8();
    const client = readPq(r);
    const t = r.u64();
    check(t <= BigInt(Number.MAX_SAFE_INTEGER), 'bad_timestamp', Status.INVALID_PARAMETER, 'timestamp beyond 2^53');
    return { challenge, contentServerId, kid, client, timestamp: Number(t) };
  });
}

/** get_key_share response body as the source gives it: SK(1) 3E3E. */
export function encodeKeyShareResponse(share: number): Uint8Array {
  check(Number.isInteger(share) && share >= 0 && share <= 255, 'bad_share', Status.INVALID_PARAMETER, 'a key share is one byte');
  return new Uint8Array([share, 0x3e, 0x3e]);
}
export function decodeKeyShareResponse(body: Uint8Array): number {
  return kit.decode(() => {
    check(body.length === 3, 'bad_length', Status.INVALID_PACKET_LENGTH, `key share response is 3 bytes, got ${body.length}`);
    const r = kit.bodyReader(body, 'key share response');
    return r.u8();
  });
}
/** The same share as a RAIDA response payload (encodeResponse adds the terminator). */
export function keySharePayload(share: number): Uint8Array {
  return encodeKeyShareResponse(share).subarray(0, 1);
}
