import { ByteReader, ByteWriter } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { bodyReader, check, expectDone, expectZeros, fixed, qmailDecode } from './errors.js';
import type { ManifestEntry, ServerEntry } from './tell.js';
import {
  MAX_TELL_SERVERS,
  SERVER_LENGTH,
  readMailboxBE,
  readManifest,
  readServerEntry,
  writeMailboxBE,
  writeManifest,
  writeServerEntry,
} from './tell.js';
import type { Mailbox } from './address.js';
import { type Preamble, readPreamble, writePreamble } from './preamble.js';
import { REGISTER_PROOF_LENGTH } from './register-proof.js';

const END = new Uint8Array([0x3e, 0x3e]);

// ---------------------------------------------------------------- ping (72) / peek (73)

/**
 * ping: preamble + optional since-timestamp (4 BE); peek: preamble + since-timestamp.
 * Either may add one capability byte after the timestamp (EXT-6, docs/protocol.md):
 * bit 0 asks for the manifest (EXT-3) after each Tell of the answer; bit 1 is the
 * acknowledged mode: the answer deletes nothing, and an ack list follows the byte,
 * `count(1)` then `count × cluster id(4)`, naming the Tells the caller has kept.
 */
export interface PingRequest {
  preamble: Preamble;
  /** Only Tells newer than this Unix second; absent (ping only) = everything pending. */
  since?: number;
  /** EXT-6 capability bits (`PingFlags`); absent = none (the answer carries no manifest). */
  flags?: number;
  /** With `PingFlags.ACKNOWLEDGED`: cluster ids of Tells the caller has kept, for the beacon to delete (at most `MAX_PING_ACKS`). */
  ack?: number[];
}

export const PingFlags = {
  /** Append the manifest (EXT-3) after each Tell's locker footer. */
  MANIFEST: 0x01,
  /** Acknowledged mode: the answer deletes nothing; the ack list after the byte names what to delete. */
  ACKNOWLEDGED: 0x02,
} as const;
const KNOWN_PING_FLAGS = PingFlags.MANIFEST | PingFlags.ACKNOWLEDGED;
/** Most cluster ids one ping/peek acknowledges (the count is one byte, as is an answer's). */
export const MAX_PING_ACKS = 255;

function writePingTail(w: ByteWriter, since: number | undefined, flags: number | undefined, ack: number[] | undefined): void {
  if (flags === undefined) {
    check(!ack?.length, 'bad_ack', Status.INVALID_PARAMETER, 'an ack list needs the acknowledged flag');
    if (since !== undefined) w.u32(since);
    return;
  }
  check(
    Number.isInteger(flags) && (flags & ~KNOWN_PING_FLAGS & 0xff) === 0 && flags >= 0 && flags <= 0xff,
    'bad_flags',
    Status.INVALID_PARAMETER,
    `unknown ping flags ${flags}`,
  );
  w.u32(since ?? 0).u8(flags);
  const ids = ack ?? [];
  if ((flags & PingFlags.ACKNOWLEDGED) === 0) {
    check(ids.length === 0, 'bad_ack', Status.INVALID_PARAMETER, 'an ack list needs the acknowledged flag');
    return;
  }
  check(ids.length <= MAX_PING_ACKS, 'bad_ack', Status.INVALID_PARAMETER, `at most ${MAX_PING_ACKS} acks in one request`);
  w.u8(ids.length);
  for (const id of ids) {
    check(Number.isInteger(id) && id >= 0 && id <= 0xffffffff, 'bad_ack', Status.INVALID_PARAMETER, `ack ${id} is not a cluster id`);
    w.u32(id);
  }
}
function readPingTail(r: ByteReader, what: string): { since: number; flags?: number; ack?: number[] } {
  const since = r.u32();
  if (r.done) return { since };
  const flags = r.u8();
  check(
    (flags & ~KNOWN_PING_FLAGS) === 0,
    'bad_flags',
    Status.INVALID_PARAMETER,
    `${what}: unknown capability flags 0x${flags.toString(16)}`,
  );
  if ((flags & PingFlags.ACKNOWLEDGED) === 0) {
    expectDone(r, what);
    return { since, flags };
  }
  // The count is one byte, so the list is bounded by the layout itself (at most 1 020 bytes).
  const count = r.u8();
  check(r.remaining === count * 4, 'bad_ack', Status.INVALID_PACKET_LENGTH, `${what}: ack list of ${count} ids in ${r.remaining} bytes`);
  const ack: number[] = [];
  for (let i = 0; i < count; i++) ack.push(r.u32());
  return { since, flags, ack };
}

export function encodePing(p: PingRequest): Uint8Array {
  const w = new ByteWriter(57 + 4 * (p.ack?.length ?? 0));
  writePreamble(w, p.preamble);
  writePingTail(w, p.since, p.flags, p.ack);
  return w.bytes(END).finish();
}
export function decodePing(body: Uint8Array): PingRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'ping');
    const preamble = readPreamble(r);
    if (r.done) return { preamble };
    return { preamble, ...readPingTail(r, 'ping') };
  });
}
export function encodePeek(p: PingRequest & { since: number }): Uint8Array {
  return encodePing(p);
}
export function decodePeek(body: Uint8Array): PingRequest & { since: number } {
  return qmailDecode(() => {
    const r = bodyReader(body, 'peek');
    const preamble = readPreamble(r);
    return { preamble, ...readPingTail(r, 'peek') };
  });
}

/** Whether a ping/peek asked for the manifest after each Tell (EXT-6 bit 0). */
export function wantsManifest(p: PingRequest): boolean {
  return ((p.flags ?? 0) & PingFlags.MANIFEST) !== 0;
}

/** Whether a ping/peek is in the acknowledged mode (EXT-6 bit 1): its answer deletes nothing. */
export function isAcknowledged(p: PingRequest): boolean {
  return ((p.flags ?? 0) & PingFlags.ACKNOWLEDGED) !== 0;
}

/**
 * One pending Tell as the beacon hands it to the recipient:
 *   cluster id(4) sender coin group(2) sender DN(1) sender SN(4) timestamp(4) tell_type(1)
 *   file group GUID(16) total size(4) server count(4)   = 40 bytes
 *   server count × server entry(32)
 *   locker footer: tag 0x50, length 0x10, locker key(16)
 *   manifest: MC(1) MC × 12                              (EXT-3; MC may be 0 here)
 *
 * The manifest is present only when the caller asked for it (EXT-6); the CloudCoin
 * client's parser reads the next Tell right after the locker footer.
 */
export interface TellNotice {
  clusterId: number;
  sender: Mailbox;
  timestamp: number;
  tellType: number;
  fileGroupGuid: Uint8Array;
  totalSize: number;
  servers: ServerEntry[];
  lockerKey: Uint8Array;
  manifest: ManifestEntry[];
}

export interface TellList {
  /** How many more Tells wait on the beacon after these. */
  remaining: number;
  tells: TellNotice[];
}

export const TELL_LIST_HEADER_LENGTH = 8;
export const LOCKER_FOOTER_TAG = 0x50;
/** A notice's fixed head: cluster id … server count. */
export const TELL_NOTICE_HEAD_LENGTH = 40;
export const LOCKER_FOOTER_LENGTH = 18;

export interface TellListOptions {
  /** Each Tell carries its manifest (EXT-3) after the locker footer. Default true. */
  manifest?: boolean;
}

export function encodeTellList(l: TellList, opts: TellListOptions = {}): Uint8Array {
  const withManifest = opts.manifest ?? true;
  check(l.tells.length <= 255, 'too_many', Status.INVALID_PARAMETER, 'at most 255 Tells per response');
  const w = new ByteWriter(8 + l.tells.length * 400);
  w.u8(l.tells.length).u16(l.remaining).zeros(5);
  for (const t of l.tells) {
    fixed(t.fileGroupGuid, 16, 'file group GUID');
    fixed(t.lockerKey, 16, 'locker key');
    check(t.servers.length <= MAX_TELL_SERVERS, 'bad_count', Status.INVALID_PARAMETER, 'too many servers');
    w.u32(t.clusterId);
    writeMailboxBE(w, t.sender);
    w.u32(t.timestamp).u8(t.tellType).bytes(t.fileGroupGuid).u32(t.totalSize).u32(t.servers.length);
    for (const s of t.servers) writeServerEntry(w, s);
    w.u8(LOCKER_FOOTER_TAG).u8(16).bytes(t.lockerKey);
    if (!withManifest) continue;
    if (t.manifest.length === 0) w.u8(0);
    else writeManifest(w, t.manifest);
  }
  return w.finish();
}

/**
 * One stored notice (a list entry with its manifest) cut down to the entry without it:
 * head, servers and locker footer. Throws QMailError when the entry is malformed.
 */
export function noticeWithoutManifest(entry: Uint8Array): Uint8Array {
  return qmailDecode(() => {
    const r = new ByteReader(entry);
    r.skip(TELL_NOTICE_HEAD_LENGTH - 4);
    const n = r.u32();
    check(n <= MAX_TELL_SERVERS, 'bad_count', Status.INVALID_PARAMETER, `server count ${n} exceeds ${MAX_TELL_SERVERS}`);
    const end = TELL_NOTICE_HEAD_LENGTH + n * SERVER_LENGTH + LOCKER_FOOTER_LENGTH;
    check(
      entry.length >= end && entry[end - LOCKER_FOOTER_LENGTH] === LOCKER_FOOTER_TAG && entry[end - LOCKER_FOOTER_LENGTH + 1] === 16,
      'bad_footer',
      Status.INVALID_PARAMETER,
      'missing locker footer (tag 0x50, length 16)',
    );
    return entry.subarray(0, end);
  });
}

export function decodeTellList(payload: Uint8Array, opts: TellListOptions = {}): TellList {
  const withManifest = opts.manifest ?? true;
  return qmailDecode(() => {
    const r = new ByteReader(payload);
    const count = r.u8();
    const remaining = r.u16();
    expectZeros(r.bytes_(5), 'tell list header');
    const tells: TellNotice[] = [];
    for (let i = 0; i < count; i++) {
      const clusterId = r.u32();
      const sender = readMailboxBE(r);
      const timestamp = r.u32();
      const tellType = r.u8();
      const fileGroupGuid = r.take(16);
      const totalSize = r.u32();
      const n = r.u32();
      check(n <= MAX_TELL_SERVERS, 'bad_count', Status.INVALID_PARAMETER, `server count ${n} exceeds ${MAX_TELL_SERVERS}`);
      const servers: ServerEntry[] = [];
      for (let s = 0; s < n; s++) servers.push(readServerEntry(r));
      check(
        r.u8() === LOCKER_FOOTER_TAG && r.u8() === 16,
        'bad_footer',
        Status.INVALID_PARAMETER,
        'missing locker footer (tag 0x50, length 16)',
      );
      const lockerKey = r.take(16);
      let manifest: ManifestEntry[] = [];
      if (!withManifest) manifest = [];
      else if (r.bytes[r.offset] === 0) r.skip(1);
      else manifest = readManifest(r);
      tells.push({ clusterId, sender, timestamp, tellType, fileGroupGuid, totalSize, servers, lockerKey, manifest });
    }
    expectDone(r, 'tell list');
    return { remaining, tells };
  });
}

// ---------------------------------------------------------------- download (74)

/** The server hard-codes 256 KiB pages (QMail/1.0 §4.6). */
export const DOWNLOAD_PAGE_SIZE = 256 * 1024;
export const DOWNLOAD_VERSION = 1;

export interface DownloadRequest {
  preamble: Preamble;
  fileGroupGuid: Uint8Array;
  fileType: number;
  /** Only version 1 exists. */
  version: number;
  /** 0 = the server's page size (256 KiB); n = n KiB pages (EXT-4). */
  bytesPerPage: number;
  page: number;
}

export function encodeDownload(d: DownloadRequest): Uint8Array {
  fixed(d.fileGroupGuid, 16, 'file group GUID');
  const w = new ByteWriter(72);
  writePreamble(w, d.preamble);
  return w.bytes(d.fileGroupGuid).u8(d.fileType).u8(d.version).u8(d.bytesPerPage).u16(d.page).bytes(END).finish();
}
export function decodeDownload(body: Uint8Array): DownloadRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'download');
    const preamble = readPreamble(r);
    const fileGroupGuid = r.take(16);
    const fileType = r.u8();
    const version = r.u8();
    check(version === DOWNLOAD_VERSION, 'bad_version', Status.INVALID_PARAMETER, `download version ${version} unsupported`);
    const bytesPerPage = r.u8();
    const page = r.u16();
    expectDone(r, 'download');
    return { preamble, fileGroupGuid, fileType, version, bytesPerPage, page };
  });
}

export interface DownloadResponse {
  fileType: number;
  version: number;
  bytesPerPage: number;
  page: number;
  data: Uint8Array;
}

export function encodeDownloadResponse(d: DownloadResponse): Uint8Array {
  check(d.data.length <= pageSize(d.bytesPerPage), 'too_large', Status.INVALID_PACKET_LENGTH, 'page data larger than the page size');
  return new ByteWriter(9 + d.data.length)
    .u8(d.fileType)
    .u8(d.version)
    .u8(d.bytesPerPage)
    .u16(d.page)
    .u32(d.data.length)
    .bytes(d.data)
    .finish();
}
export function decodeDownloadResponse(payload: Uint8Array): DownloadResponse {
  return qmailDecode(() => {
    const r = new ByteReader(payload);
    const fileType = r.u8();
    const version = r.u8();
    const bytesPerPage = r.u8();
    const page = r.u16();
    const n = r.u32();
    check(n <= pageSize(bytesPerPage), 'too_large', Status.INVALID_PACKET_LENGTH, `page data of ${n} bytes exceeds the page size`);
    const data = r.take(n);
    expectDone(r, 'download response');
    return { fileType, version, bytesPerPage, page, data };
  });
}

export function pageSize(bytesPerPage: number): number {
  return bytesPerPage === 0 ? DOWNLOAD_PAGE_SIZE : bytesPerPage * 1024;
}
/** Number of pages an object of `size` bytes takes (an empty object is one empty page). */
export function pageCount(size: number, size_ = DOWNLOAD_PAGE_SIZE): number {
  return Math.max(1, Math.ceil(size / size_));
}
/** The bytes of page `page`, or undefined past the end (the server answers FILE_NOT_EXIST). */
export function pageSlice(object: Uint8Array, page: number, size = DOWNLOAD_PAGE_SIZE): Uint8Array | undefined {
  if (page >= pageCount(object.length, size)) return undefined;
  return object.subarray(page * size, Math.min(object.length, (page + 1) * size));
}

// ---------------------------------------------------------------- upload (70) / upload_large_page (75)

/** Storage duration codes (qmail-client StorageDuration). */
export const StorageDuration = {
  ONE_DAY: 0,
  ONE_WEEK: 1,
  ONE_MONTH: 2,
  THREE_MONTHS: 3,
  SIX_MONTHS: 4,
  ONE_YEAR: 5,
  PERMANENT: 255,
} as const;

/** Largest stripe a one-shot upload carries; bigger objects go through upload_large_page. */
export const MAX_UPLOAD_DATA = 4 * 1024 * 1024 - 256;

/**
 * upload (70): preamble(48) GUID(16) locker code(8) file_type(1) reserved(2)
 * storage duration(1) reserved(4) data length(4 BE) data 3E3E.
 */
export interface UploadRequest {
  preamble: Preamble;
  fileGroupGuid: Uint8Array;
  lockerCode: Uint8Array;
  fileType: number;
  storageDuration: number;
  data: Uint8Array;
}

export function encodeUpload(u: UploadRequest): Uint8Array {
  fixed(u.fileGroupGuid, 16, 'file group GUID');
  fixed(u.lockerCode, 8, 'locker code');
  check(u.data.length <= MAX_UPLOAD_DATA, 'too_large', Status.INVALID_PACKET_LENGTH, 'upload data too large; use upload_large_page');
  const w = new ByteWriter(86 + u.data.length);
  writePreamble(w, u.preamble);
  return w
    .bytes(u.fileGroupGuid)
    .bytes(u.lockerCode)
    .u8(u.fileType)
    .zeros(2)
    .u8(u.storageDuration)
    .zeros(4)
    .u32(u.data.length)
    .bytes(u.data)
    .bytes(END)
    .finish();
}
export function decodeUpload(body: Uint8Array): UploadRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'upload');
    const preamble = readPreamble(r);
    const fileGroupGuid = r.take(16);
    const lockerCode = r.take(8);
    const fileType = r.u8();
    expectZeros(r.bytes_(2), 'upload');
    const storageDuration = r.u8();
    expectZeros(r.bytes_(4), 'upload');
    const n = r.u32();
    check(n === r.remaining, 'length_mismatch', Status.INVALID_PACKET_LENGTH, `upload declares ${n} data bytes, body holds ${r.remaining}`);
    const data = r.take(n);
    return { preamble, fileGroupGuid, lockerCode, fileType, storageDuration, data };
  });
}

/**
 * upload_large_page (75): preamble(48) GUID(16) file_type(1) storage duration(1)
 * page(2 BE) total pages(2 BE) reserved(2) data length(4 BE) data 3E3E.
 */
export interface UploadPageRequest {
  preamble: Preamble;
  fileGroupGuid: Uint8Array;
  fileType: number;
  storageDuration: number;
  page: number;
  totalPages: number;
  data: Uint8Array;
}

export function encodeUploadPage(u: UploadPageRequest): Uint8Array {
  fixed(u.fileGroupGuid, 16, 'file group GUID');
  check(u.data.length <= DOWNLOAD_PAGE_SIZE, 'too_large', Status.INVALID_PACKET_LENGTH, 'a page holds at most 256 KiB');
  check(u.totalPages >= 1 && u.page < u.totalPages, 'bad_page', Status.INVALID_PARAMETER, 'page must be below total pages');
  const w = new ByteWriter(80 + u.data.length);
  writePreamble(w, u.preamble);
  return w
    .bytes(u.fileGroupGuid)
    .u8(u.fileType)
    .u8(u.storageDuration)
    .u16(u.page)
    .u16(u.totalPages)
    .zeros(2)
    .u32(u.data.length)
    .bytes(u.data)
    .bytes(END)
    .finish();
}
export function decodeUploadPage(body: Uint8Array): UploadPageRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'upload_large_page');
    const preamble = readPreamble(r);
    const fileGroupGuid = r.take(16);
    const fileType = r.u8();
    const storageDuration = r.u8();
    const page = r.u16();
    const totalPages = r.u16();
    check(totalPages >= 1 && page < totalPages, 'bad_page', Status.INVALID_PARAMETER, `page ${page} of ${totalPages}`);
    expectZeros(r.bytes_(2), 'upload_large_page');
    const n = r.u32();
    check(n <= DOWNLOAD_PAGE_SIZE, 'too_large', Status.INVALID_PACKET_LENGTH, 'a page holds at most 256 KiB');
    check(n === r.remaining, 'length_mismatch', Status.INVALID_PACKET_LENGTH, `page declares ${n} data bytes, body holds ${r.remaining}`);
    const data = r.take(n);
    return { preamble, fileGroupGuid, fileType, storageDuration, page, totalPages, data };
  });
}

// ---------------------------------------------------------------- register (85, EXT-2)

/**
 * register (EXT-2): preamble(48) new AN(16) flags(1) reserved(3) 3E3E = 70 bytes.
 * The preamble AN is the mailbox's current AN on this server, or 16 zero bytes to
 * register an address the server does not know yet.
 */
export interface RegisterRequest {
  preamble: Preamble;
  newAn: Uint8Array;
  flags: number;
  /** EXT-7: the encoded register proof (`encodeRegisterProof`), between the reserved bytes and `3E 3E`. */
  proof?: Uint8Array;
}
export const REGISTER_BODY_LENGTH = 70;

export function encodeRegister(g: RegisterRequest): Uint8Array {
  fixed(g.newAn, 16, 'new AN');
  check(!g.newAn.every((b) => b === 0), 'zero_an', Status.INVALID_PAN, 'the new AN must not be all zeros');
  if (g.proof) fixed(g.proof, REGISTER_PROOF_LENGTH, 'register proof');
  const w = new ByteWriter(REGISTER_BODY_LENGTH + (g.proof?.length ?? 0));
  writePreamble(w, g.preamble);
  w.bytes(g.newAn).u8(g.flags).zeros(3);
  if (g.proof) w.bytes(g.proof);
  return w.bytes(END).finish();
}
export function decodeRegister(body: Uint8Array): RegisterRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'register');
    const preamble = readPreamble(r);
    const newAn = r.take(16);
    const flags = r.u8();
    expectZeros(r.bytes_(3), 'register');
    const proof = r.remaining === REGISTER_PROOF_LENGTH ? r.take(REGISTER_PROOF_LENGTH) : undefined;
    expectDone(r, 'register');
    check(!newAn.every((b) => b === 0), 'zero_an', Status.INVALID_PAN, 'the new AN must not be all zeros');
    return { preamble, newAn, flags, ...(proof ? { proof } : {}) };
  });
}

/** Read just the preamble of any Group 6 body: what a server authenticates before dispatch. */
export function peekPreamble(body: Uint8Array): Preamble {
  return qmailDecode(() => readPreamble(new ByteReader(body)));
}
