// Object Transfer, Group 6 commands 76–81: our extension EXT-OT (docs/server.md).
// QMail/1.0 §4.2 names the purposes of 76–84 (resumable byte-range transfer, object info,
// capability discovery, owner-authorized deletion) but publishes no layout, so we define
// one here, in the draft's conventions: 48-byte preamble, big-endian integers, 3E 3E.
//
//   76 capabilities   challenge(16)                                   → version(1) flags(1) page size(4) max object(8) max range(4)
//   77 object_info    preamble(48) GUID(16) file_type(1) reserved(3)   → size(8) pages stored(4) complete(1) reserved(3) created(8, Unix s)
//   78 put_range      preamble GUID file_type reserved(3) total(8) offset(8) length(4) data
//   79 get_range      preamble GUID file_type reserved(3) offset(8) length(4) → offset(8) length(4) data
//   80 received       preamble GUID file_type reserved(3)              → page size(4) count(4) count × page number(4)
//   81 delete         preamble GUID file_type reserved(3)
// 77 and 79 are not AN-checked (like download: the GUID is the capability); 78, 80, 81 are
// the owner's. put_range offsets are page-aligned and each chunk covers whole pages (or runs
// to `total`), so a sender resumes by asking 80 which pages arrived and sending the rest.
import { ByteReader, ByteWriter } from '../../shared/bytes/index.js';
import { Group, Status } from '../../shared/raida/index.js';
import {
  bodyReader,
  check,
  expectDone,
  expectZeros,
  fixed,
  qmailDecode,
  readPreamble,
  writePreamble,
  type Preamble,
  QMAIL_COIN_GROUP,
} from '../../shared/qmail/index.js';
import type { Dispatcher } from '../dispatch.js';
import { PAGE_SIZE, type Mailbox } from '../storage/index.js';
import { AuthError, authenticate } from './auth.js';

export const TransferCommand = { CAPABILITIES: 76, OBJECT_INFO: 77, PUT_RANGE: 78, GET_RANGE: 79, RECEIVED: 80, DELETE: 81 } as const;
export const TRANSFER_VERSION = 1;
/** Largest get_range answer / put_range chunk. */
export const MAX_RANGE = 4 * PAGE_SIZE;
const END = new Uint8Array([0x3e, 0x3e]);

export interface ObjectRef {
  preamble: Preamble;
  guid: Uint8Array;
  fileType: number;
}
export interface PutRange extends ObjectRef {
  total: number;
  offset: number;
  data: Uint8Array;
}
export interface GetRange extends ObjectRef {
  offset: number;
  length: number;
}

function writeRef(w: ByteWriter, r: ObjectRef): void {
  fixed(r.guid, 16, 'GUID');
  writePreamble(w, r.preamble);
  w.bytes(r.guid).u8(r.fileType).zeros(3);
}
function readRef(r: ByteReader): ObjectRef {
  const preamble = readPreamble(r);
  const guid = r.take(16);
  const fileType = r.u8();
  expectZeros(r.bytes_(3), 'object reference');
  return { preamble, guid, fileType };
}
function u64n(r: ByteReader, what: string): number {
  const v = r.u64();
  check(v <= BigInt(Number.MAX_SAFE_INTEGER), 'too_large', Status.INVALID_PARAMETER, `${what} out of range`);
  return Number(v);
}

export const encodeObjectRef = (r: ObjectRef): Uint8Array => {
  const w = new ByteWriter(72);
  writeRef(w, r);
  return w.bytes(END).finish();
};
export const decodeObjectRef = (body: Uint8Array): ObjectRef =>
  qmailDecode(() => {
    const r = bodyReader(body, 'object transfer');
    const ref = readRef(r);
    expectDone(r, 'object transfer');
    return ref;
  });

export function encodePutRange(p: PutRange): Uint8Array {
  const w = new ByteWriter(92 + p.data.length);
  writeRef(w, p);
  return w.u64(BigInt(p.total)).u64(BigInt(p.offset)).u32(p.data.length).bytes(p.data).bytes(END).finish();
}
export function decodePutRange(body: Uint8Array): PutRange {
  return qmailDecode(() => {
    const r = bodyReader(body, 'put_range');
    const ref = readRef(r);
    const total = u64n(r, 'total');
    const offset = u64n(r, 'offset');
    const n = r.u32();
    check(n === r.remaining, 'length_mismatch', Status.INVALID_PACKET_LENGTH, `put_range declares ${n} bytes, body holds ${r.remaining}`);
    check(n <= MAX_RANGE, 'too_large', Status.INVALID_PACKET_LENGTH, `put_range chunk over ${MAX_RANGE} bytes`);
    return { ...ref, total, offset, data: r.take(n) };
  });
}
export function encodeGetRange(g: GetRange): Uint8Array {
  const w = new ByteWriter(86);
  writeRef(w, g);
  return w.u64(BigInt(g.offset)).u32(g.length).bytes(END).finish();
}
export function decodeGetRange(body: Uint8Array): GetRange {
  return qmailDecode(() => {
    const r = bodyReader(body, 'get_range');
    const ref = readRef(r);
    const offset = u64n(r, 'offset');
    const length = r.u32();
    expectDone(r, 'get_range');
    check(length <= MAX_RANGE, 'too_large', Status.INVALID_PARAMETER, `get_range length over ${MAX_RANGE}`);
    return { ...ref, offset, length };
  });
}

export interface Capabilities {
  version: number;
  flags: number;
  pageSize: number;
  maxObject: number;
  maxRange: number;
}
export function decodeCapabilities(p: Uint8Array): Capabilities {
  return qmailDecode(() => {
    const r = new ByteReader(p);
    const out = { version: r.u8(), flags: r.u8(), pageSize: r.u32(), maxObject: u64n(r, 'max object'), maxRange: r.u32() };
    expectDone(r, 'capabilities');
    return out;
  });
}
export interface ObjectInfoAnswer {
  size: number;
  pages: number;
  complete: boolean;
  createdAt: number;
}
export function decodeObjectInfo(p: Uint8Array): ObjectInfoAnswer {
  return qmailDecode(() => {
    const r = new ByteReader(p);
    const size = u64n(r, 'size');
    const pages = r.u32();
    const complete = r.u8() === 1;
    r.skip(3);
    const createdAt = u64n(r, 'created');
    expectDone(r, 'object info');
    return { size, pages, complete, createdAt };
  });
}
export function decodeReceived(p: Uint8Array): { pageSize: number; pages: number[] } {
  return qmailDecode(() => {
    const r = new ByteReader(p);
    const pageSize = r.u32();
    const n = r.u32();
    check(r.remaining === n * 4, 'length_mismatch', Status.INVALID_PACKET_LENGTH, 'received list length');
    const pages: number[] = [];
    for (let i = 0; i < n; i++) pages.push(r.u32());
    return { pageSize, pages };
  });
}
export function decodeGetRangeAnswer(p: Uint8Array): { offset: number; data: Uint8Array } {
  return qmailDecode(() => {
    const r = new ByteReader(p);
    const offset = u64n(r, 'offset');
    const n = r.u32();
    check(n === r.remaining, 'length_mismatch', Status.INVALID_PACKET_LENGTH, 'get_range answer length');
    return { offset, data: r.take(n) };
  });
}

function mailboxOf(p: Preamble): Mailbox {
  if (p.coinGroup !== QMAIL_COIN_GROUP)
    throw new AuthError('bad_coin_group', Status.INVALID_PARAMETER, `coin type ${p.coinGroup} is not QMail (6)`);
  return { denomination: p.denomination, serial: p.serial };
}

export function registerTransfer(d: Dispatcher): void {
  const G = Group.QMAIL;

  d.on(G, TransferCommand.CAPABILITIES, async (req, ctx) => {
    qmailDecode(() => {
      const r = bodyReader(req.body, 'capabilities');
      r.skip(16);
      expectDone(r, 'capabilities');
    });
    const w = new ByteWriter(18).u8(TRANSFER_VERSION).u8(0).u32(PAGE_SIZE).u64(BigInt(ctx.config.limits.maxObjectBytes)).u32(MAX_RANGE);
    return { status: Status.SUCCESS, payload: w.finish() };
  });

  d.on(G, TransferCommand.OBJECT_INFO, async (req, ctx) => {
    const q = decodeObjectRef(req.body);
    const info = await ctx.storage.getObject({ guid: q.guid, fileType: q.fileType });
    if (!info) return { status: Status.FILE_NOT_EXIST };
    const w = new ByteWriter(24)
      .u64(BigInt(info.size))
      .u32(info.pages)
      .u8(info.complete ? 1 : 0)
      .zeros(3)
      .u64(BigInt(Math.floor(info.createdAt / 1000)));
    return { status: Status.SUCCESS, payload: w.finish() };
  });

  d.on(G, TransferCommand.PUT_RANGE, async (req, ctx) => {
    const p = decodePutRange(req.body);
    const owner = mailboxOf(p.preamble);
    await authenticate(ctx.storage, owner, p.preamble.an, req.header);
    const { total, offset, data } = p;
    if (total > ctx.config.limits.maxObjectBytes) return { status: Status.INVALID_PACKET_LENGTH };
    if (offset % PAGE_SIZE !== 0 || offset + data.length > total || (data.length === 0 && total !== 0))
      return { status: Status.INVALID_PARAMETER };
    const firstPage = offset / PAGE_SIZE;
    const pages: Uint8Array[] = [];
    for (let at = 0; at < data.length || (total === 0 && pages.length === 0); at += PAGE_SIZE) {
      const want = Math.min(PAGE_SIZE, total - (offset + at));
      const chunk = data.subarray(at, at + PAGE_SIZE);
      if (chunk.length !== want) return { status: Status.INVALID_PARAMETER }; // chunks cover whole pages
      pages.push(chunk);
    }
    const expectPages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    await ctx.storage.writePages(
      { owner, key: { guid: p.guid, fileType: p.fileType }, firstPage, pages, expectPages },
      { maxObjectBytes: ctx.config.limits.maxObjectBytes, quotaBytes: ctx.config.limits.mailboxQuotaBytes },
    );
    return { status: Status.SUCCESS };
  });

  d.on(G, TransferCommand.GET_RANGE, async (req, ctx) => {
    const g = decodeGetRange(req.body);
    const key = { guid: g.guid, fileType: g.fileType };
    const info = await ctx.storage.getObject(key);
    if (!info || !info.complete || g.offset > info.size) return { status: Status.FILE_NOT_EXIST };
    const data = await ctx.storage.readRange(key, g.offset, g.length);
    if (!data) return { status: Status.FILE_NOT_EXIST };
    if (g.offset + data.length === info.size) await ctx.storage.markDownloaded(key, ctx.now());
    return {
      status: Status.SUCCESS,
      payload: new ByteWriter(12 + data.length).u64(BigInt(g.offset)).u32(data.length).bytes(data).finish(),
    };
  });

  d.on(G, TransferCommand.RECEIVED, async (req, ctx) => {
    const q = decodeObjectRef(req.body);
    const owner = mailboxOf(q.preamble);
    await authenticate(ctx.storage, owner, q.preamble.an, req.header);
    const info = await ctx.storage.getObject({ guid: q.guid, fileType: q.fileType });
    if (info && (info.owner.denomination !== owner.denomination || info.owner.serial !== owner.serial))
      return { status: Status.FILE_EXISTS };
    const pages = info ? await ctx.storage.pageNumbers({ guid: q.guid, fileType: q.fileType }) : [];
    const w = new ByteWriter(8 + 4 * pages.length).u32(PAGE_SIZE).u32(pages.length);
    for (const p of pages) w.u32(p);
    return { status: Status.SUCCESS, payload: w.finish() };
  });

  d.on(G, TransferCommand.DELETE, async (req, ctx) => {
    const q = decodeObjectRef(req.body);
    const owner = mailboxOf(q.preamble);
    await authenticate(ctx.storage, owner, q.preamble.an, req.header);
    const key = { guid: q.guid, fileType: q.fileType };
    const info = await ctx.storage.getObject(key);
    if (!info) return { status: Status.FILE_NOT_EXIST };
    if (info.owner.denomination !== owner.denomination || info.owner.serial !== owner.serial) return { status: Status.INVALID_AN };
    await ctx.storage.deleteObject(key);
    return { status: Status.SUCCESS };
  });
}
