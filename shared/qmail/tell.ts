import type { ByteReader } from '../bytes/index.js';
import { ByteWriter } from '../bytes/index.js';
import type { Mailbox } from './address.js';
import { Status } from '../raida/status.js';
import { bodyReader, check, expectDone, expectZeros, fixed, qmailDecode } from './errors.js';
import { checkManifestOrder } from './filetype.js';
import { type Preamble, readPreamble, writePreamble } from './preamble.js';

/**
 * The Tell (cmd 71), as docs/protocol.md §Tell pins it down:
 *
 *   preamble(48)
 *   routing header(40): file group GUID(16) total_file_size(4 BE) reserved(4) timestamp(4 BE)
 *                       tell_type(1) AC(1) QC(1) beacon_payment_locker(8) reserved(1)
 *   AC × recipient(32): address_type(1) coin group(2) DN(1) SN(4 BE) locker key(16) reserved(8)
 *   QC × server(32):    stripe_index(1) stripe_type(1) raida_id(1) reserved(19) IPv4(4) port(2 BE) reserved(4)
 *   [MC(1) MC × manifest entry(12): file_type(1) reserved(3) size(4 BE) CRC32(4 BE)]   (optional, EXT-3)
 *   3E 3E
 */
export const TELL_HEADER_LENGTH = 40;
export const RECIPIENT_LENGTH = 32;
export const SERVER_LENGTH = 32;
export const MANIFEST_ENTRY_LENGTH = 12;
/** Striping spreads an object over 2–32 servers (DESIGN §4.3). */
export const MAX_TELL_SERVERS = 32;

export const TellType = { QMAIL: 0, QTEXT: 1, QCHAT: 2, PEER_SECRET: 3, GROUP_SECRET: 4, QPACKET: 5, QDATA: 6 } as const;
export const AddressType = { TO: 0, CC: 1, BCC: 2 } as const;
export const StripeType = { DATA: 0, PARITY_XOR: 1, PARITY_RS: 2 } as const;

export interface TellRecipient {
  addressType: number;
  address: Mailbox;
  /** The funded locker key paying this recipient's inbox fee; 16 zero bytes when none. */
  lockerKey: Uint8Array;
}

export interface ServerEntry {
  stripeIndex: number;
  stripeType: number;
  raidaId: number;
  /** IPv4 address, 4 bytes, network order. */
  ipv4: Uint8Array;
  port: number;
}

export interface ManifestEntry {
  fileType: number;
  size: number;
  crc32: number;
}

export interface TellRequest {
  preamble: Preamble;
  fileGroupGuid: Uint8Array;
  timestamp: number;
  tellType: number;
  /** The beacon's copy of the payment locker (first 8 bytes of the beacon recipient's key). */
  beaconPaymentLocker: Uint8Array;
  /**
   * Sum of the stored objects' sizes, as the CloudCoin client's Tell states it (routing
   * header bytes 16–19). Absent = 0; a beacon prefers the manifest's sum when there is one.
   */
  totalFileSize?: number;
  recipients: TellRecipient[];
  servers: ServerEntry[];
  manifest: ManifestEntry[];
}

export interface TellDecodeOptions {
  /**
   * The legacy Tell (command 61): routing header bytes 20–23 are read and ignored instead
   * of having to be zero (older CloudCoin clients put other data in that reserved run).
   */
  legacy?: boolean;
}

export function writeMailboxBE(w: ByteWriter, m: Mailbox): void {
  check(
    Number.isInteger(m.denomination) && m.denomination >= -128 && m.denomination <= 127,
    'bad_denomination',
    Status.INVALID_SN_OR_DENOMINATION,
    'denomination out of range',
  );
  w.u16(m.coinGroup).i8(m.denomination).u32(m.serial);
}
export function readMailboxBE(r: ByteReader): Mailbox {
  const coinGroup = r.u16();
  const denomination = r.i8();
  const serial = r.u32();
  return { coinGroup, denomination, serial };
}

export function writeServerEntry(w: ByteWriter, s: ServerEntry): void {
  fixed(s.ipv4, 4, 'IPv4 address');
  w.u8(s.stripeIndex).u8(s.stripeType).u8(s.raidaId).zeros(19).bytes(s.ipv4).u16(s.port).zeros(4);
}
export function readServerEntry(r: ByteReader): ServerEntry {
  const stripeIndex = r.u8();
  const stripeType = r.u8();
  const raidaId = r.u8();
  expectZeros(r.bytes_(19), 'server entry');
  const ipv4 = r.take(4);
  const port = r.u16();
  expectZeros(r.bytes_(4), 'server entry');
  return { stripeIndex, stripeType, raidaId, ipv4, port };
}

export function writeManifest(w: ByteWriter, entries: readonly ManifestEntry[]): void {
  check(entries.length <= 255, 'too_many', Status.INVALID_PARAMETER, 'at most 255 manifest entries');
  checkManifestOrder(entries.map((e) => e.fileType));
  w.u8(entries.length);
  for (const e of entries) w.u8(e.fileType).zeros(3).u32(e.size).u32(e.crc32);
}
export function readManifest(r: ByteReader): ManifestEntry[] {
  const n = r.u8();
  check(n > 0, 'bad_manifest', Status.INVALID_PARAMETER, 'an empty manifest is omitted, not sent with count 0');
  if (r.remaining < n * MANIFEST_ENTRY_LENGTH) r.skip(n * MANIFEST_ENTRY_LENGTH); // raises truncated
  const out: ManifestEntry[] = [];
  for (let i = 0; i < n; i++) {
    const fileType = r.u8();
    expectZeros(r.bytes_(3), 'manifest entry');
    out.push({ fileType, size: r.u32(), crc32: r.u32() });
  }
  checkManifestOrder(out.map((e) => e.fileType));
  return out;
}

export function encodeTell(t: TellRequest): Uint8Array {
  fixed(t.fileGroupGuid, 16, 'file group GUID');
  fixed(t.beaconPaymentLocker, 8, 'beacon payment locker');
  check(t.recipients.length >= 1 && t.recipients.length <= 255, 'bad_count', Status.INVALID_PARAMETER, 'a Tell names 1–255 recipients');
  check(t.servers.length <= MAX_TELL_SERVERS, 'bad_count', Status.INVALID_PARAMETER, `a Tell lists at most ${MAX_TELL_SERVERS} servers`);
  const total = t.totalFileSize ?? 0;
  check(
    Number.isInteger(total) && total >= 0 && total <= 0xffffffff,
    'bad_field',
    Status.INVALID_PARAMETER,
    'total file size must fit 32 bits',
  );
  const w = new ByteWriter(100 + 32 * (t.recipients.length + t.servers.length) + 12 * t.manifest.length);
  writePreamble(w, t.preamble);
  w.bytes(t.fileGroupGuid)
    .u32(total)
    .zeros(4)
    .u32(t.timestamp)
    .u8(t.tellType)
    .u8(t.recipients.length)
    .u8(t.servers.length)
    .bytes(t.beaconPaymentLocker)
    .u8(0);
  for (const rc of t.recipients) {
    fixed(rc.lockerKey, 16, 'recipient locker key');
    w.u8(rc.addressType);
    writeMailboxBE(w, rc.address);
    w.bytes(rc.lockerKey).zeros(8);
  }
  for (const s of t.servers) writeServerEntry(w, s);
  if (t.manifest.length > 0) writeManifest(w, t.manifest);
  return w.bytes(new Uint8Array([0x3e, 0x3e])).finish();
}

export function decodeTell(body: Uint8Array, opts: TellDecodeOptions = {}): TellRequest {
  return qmailDecode(() => {
    const r = bodyReader(body, 'tell');
    const preamble = readPreamble(r);
    const fileGroupGuid = r.take(16);
    const totalFileSize = r.u32();
    const reserved = r.bytes_(4);
    if (!opts.legacy) expectZeros(reserved, 'tell header');
    const timestamp = r.u32();
    const tellType = r.u8();
    const ac = r.u8();
    const qc = r.u8();
    const beaconPaymentLocker = r.take(8);
    expectZeros(r.bytes_(1), 'tell header');
    check(ac >= 1, 'bad_count', Status.INVALID_PARAMETER, 'a Tell names at least one recipient');
    check(qc <= MAX_TELL_SERVERS, 'bad_count', Status.INVALID_PARAMETER, `a Tell lists at most ${MAX_TELL_SERVERS} servers`);
    check(
      r.remaining >= (ac + qc) * 32,
      'truncated',
      Status.INVALID_PACKET_LENGTH,
      'tell: body shorter than its recipient and server lists',
    );
    const recipients: TellRecipient[] = [];
    for (let i = 0; i < ac; i++) {
      const addressType = r.u8();
      const address = readMailboxBE(r);
      const lockerKey = r.take(16);
      expectZeros(r.bytes_(8), 'recipient entry');
      recipients.push({ addressType, address, lockerKey });
    }
    const servers: ServerEntry[] = [];
    for (let i = 0; i < qc; i++) servers.push(readServerEntry(r));
    const manifest = r.done ? [] : readManifest(r);
    expectDone(r, 'tell');
    return {
      preamble,
      fileGroupGuid,
      timestamp,
      tellType,
      beaconPaymentLocker,
      ...(totalFileSize ? { totalFileSize } : {}),
      recipients,
      servers,
      manifest,
    };
  });
}
