import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeCodecProperties, expectOnlyTyped, type CodecCase } from '../../tests/support/codec-suite.js';
import { LegacyQMailCommand } from '../raida/commands.js';
import {
  QMailError,
  checkManifestOrder,
  decodeDownload,
  decodeDownloadResponse,
  decodePeek,
  decodePing,
  decodeRegister,
  decodeTell,
  decodeTellList,
  decodeUpload,
  decodeUploadPage,
  encodeDownload,
  encodeDownloadResponse,
  encodePeek,
  encodePing,
  encodeRegister,
  encodeTell,
  encodeTellList,
  encodeUpload,
  encodeUploadPage,
  legacyBody,
  noticeWithoutManifest,
  pageCount,
  pageSlice,
  peekPreamble,
  PingFlags,
  MAX_PING_ACKS,
  type ManifestEntry,
  type Preamble,
  type TellList,
} from './index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const dn = fc.integer({ min: -128, max: 127 });
const mailbox = fc.record({ coinGroup: u16, denomination: dn, serial: u32 });
const preamble: fc.Arbitrary<Preamble> = fc.record({
  challenge: bytes(16),
  sessionId: bytes(8),
  coinGroup: u16,
  denomination: dn,
  serial: u32,
  reserved: u8,
  an: bytes(16),
});
const server = fc.record({ stripeIndex: u8, stripeType: u8, raidaId: u8, ipv4: bytes(4), port: u16 });
const manifest: fc.Arbitrary<ManifestEntry[]> = fc.oneof(
  fc.constant<ManifestEntry[]>([]),
  fc
    .uniqueArray(
      fc.integer({ min: 2, max: 255 }).filter((t) => t < 6 || t > 9),
      { maxLength: 6 },
    )
    .map((rest) => [0, 1, ...rest.sort((a, b) => a - b)])
    .chain((types) =>
      fc
        .tuple(...types.map((fileType) => fc.record({ fileType: fc.constant(fileType), size: u32, crc32: u32 })))
        .map((t): ManifestEntry[] => [...t]),
    ),
);
const tell = fc.record({
  preamble,
  fileGroupGuid: bytes(16),
  timestamp: u32,
  tellType: u8,
  beaconPaymentLocker: bytes(8),
  totalFileSize: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: undefined }),
  recipients: fc.array(fc.record({ addressType: u8, address: mailbox, lockerKey: bytes(16) }), { minLength: 1, maxLength: 5 }),
  servers: fc.array(server, { maxLength: 8 }),
  manifest,
});
const notice = fc.record({
  clusterId: u32,
  sender: mailbox,
  timestamp: u32,
  tellType: u8,
  fileGroupGuid: bytes(16),
  totalSize: u32,
  servers: fc.array(server, { maxLength: 4 }),
  lockerKey: bytes(16),
  manifest,
});
const nonZero16 = bytes(16).filter((b) => b.some((x) => x !== 0));

/** Each codec: an arbitrary value, its encoder, its decoder. */
const codecs: CodecCase[] = [
  ['tell', tell, encodeTell, decodeTell],
  [
    'ping',
    fc.record({ preamble, since: fc.option(u32, { nil: undefined }) }).map((p) => (p.since === undefined ? { preamble: p.preamble } : p)),
    encodePing,
    decodePing,
  ],
  [
    'ping with capability flags',
    fc.record({ preamble, since: u32, flags: fc.constantFrom(0, PingFlags.MANIFEST) }),
    encodePing,
    decodePing,
  ],
  ['peek', fc.record({ preamble, since: u32 }), encodePeek, decodePeek],
  [
    'peek with capability flags',
    fc.record({ preamble, since: u32, flags: fc.constantFrom(0, PingFlags.MANIFEST) }),
    encodePeek,
    decodePeek,
  ],
  [
    'ping and peek acknowledging Tells (EXT-6 bit 1)',
    fc.record({
      preamble,
      since: u32,
      flags: fc.constantFrom(PingFlags.ACKNOWLEDGED, PingFlags.ACKNOWLEDGED | PingFlags.MANIFEST),
      ack: fc.array(u32, { maxLength: MAX_PING_ACKS }),
    }),
    encodePing,
    decodePeek,
  ],
  ['tell list', fc.record({ remaining: u16, tells: fc.array(notice, { maxLength: 3 }) }), encodeTellList, decodeTellList],
  [
    'tell list without manifests',
    fc.record({
      remaining: u16,
      tells: fc.array(
        notice.map((n) => ({ ...n, manifest: [] })),
        { maxLength: 3 },
      ),
    }),
    (l: TellList) => encodeTellList(l, { manifest: false }),
    (b: Uint8Array) => decodeTellList(b, { manifest: false }),
  ],
  [
    'download',
    fc.record({ preamble, fileGroupGuid: bytes(16), fileType: u8, version: fc.constant(1), bytesPerPage: u8, page: u16 }),
    encodeDownload,
    decodeDownload,
  ],
  [
    'download response',
    fc.record({ fileType: u8, version: u8, bytesPerPage: u8, page: u16, data: fc.uint8Array({ maxLength: 1024 }) }),
    encodeDownloadResponse,
    decodeDownloadResponse,
  ],
  [
    'upload',
    fc.record({
      preamble,
      fileGroupGuid: bytes(16),
      lockerCode: bytes(8),
      fileType: u8,
      storageDuration: u8,
      data: fc.uint8Array({ maxLength: 2048 }),
    }),
    encodeUpload,
    decodeUpload,
  ],
  [
    'upload page',
    fc
      .record({
        preamble,
        fileGroupGuid: bytes(16),
        fileType: u8,
        storageDuration: u8,
        totalPages: fc.integer({ min: 1, max: 0xffff }),
        data: fc.uint8Array({ maxLength: 2048 }),
      })
      .chain((u) => fc.integer({ min: 0, max: u.totalPages - 1 }).map((page) => ({ ...u, page }))),
    encodeUploadPage,
    decodeUploadPage,
  ],
  ['register', fc.record({ preamble, newAn: nonZero16, flags: u8 }), encodeRegister, decodeRegister],
];

describeCodecProperties('Group 6 codecs: properties', QMailError, codecs);

describe('Group 6 codecs: specific cases', () => {
  it('peekPreamble reads the first 48 bytes of any Group 6 body or raises QMailError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (junk) => expectOnlyTyped(QMailError, () => peekPreamble(junk))));
  });
});

describe('manifest on request (EXT-6)', () => {
  it('a stored notice cut with noticeWithoutManifest is the entry encodeTellList writes without manifests', () => {
    fc.assert(
      fc.property(notice, (n) => {
        const full = encodeTellList({ remaining: 0, tells: [n] }).subarray(8);
        const bare = encodeTellList({ remaining: 0, tells: [n] }, { manifest: false }).subarray(8);
        expect(Buffer.from(noticeWithoutManifest(full)).equals(Buffer.from(bare))).toBe(true);
      }),
    );
  });
  it('noticeWithoutManifest raises only QMailError on junk', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => expectOnlyTyped(QMailError, () => noticeWithoutManifest(junk))));
  });
  it('unknown capability bits and a byte after them are refused', () => {
    const body = encodePing({
      preamble: {
        challenge: new Uint8Array(16),
        sessionId: new Uint8Array(8),
        coinGroup: 6,
        denomination: 0,
        serial: 1,
        reserved: 0,
        an: new Uint8Array(16),
      },
      since: 0,
      flags: 1,
    });
    const bad = body.slice();
    bad[52] = 0x04;
    expect(() => decodePing(bad)).toThrow(QMailError);
    const long = new Uint8Array(body.length + 1);
    long.set(body.subarray(0, 53));
    long.set([0, 0x3e, 0x3e], 53);
    expect(() => decodePeek(long)).toThrow(QMailError);
    expect(() => encodePing({ preamble: decodePing(body).preamble, since: 0, flags: 4 })).toThrow(QMailError);
  });
  it('an ack list is read only after the acknowledged bit, exactly as long as its count says, and never over 255 ids', () => {
    const pre = decodePing(
      encodePing({
        preamble: {
          challenge: new Uint8Array(16),
          sessionId: new Uint8Array(8),
          coinGroup: 6,
          denomination: 0,
          serial: 1,
          reserved: 0,
          an: new Uint8Array(16),
        },
      }),
    ).preamble;
    const acked = encodePing({ preamble: pre, since: 0, flags: PingFlags.ACKNOWLEDGED, ack: [7, 0xffffffff] });
    expect(decodePing(acked).ack).toEqual([7, 0xffffffff]);
    const short = acked.slice();
    short[53] = 3; // claims three ids, carries two
    expect(() => decodePing(short)).toThrow(QMailError);
    const noCount = encodePing({ preamble: pre, since: 0, flags: PingFlags.MANIFEST });
    noCount[52] = PingFlags.ACKNOWLEDGED; // the bit without a count byte
    expect(() => decodePing(noCount)).toThrow(QMailError);
    expect(() => encodePing({ preamble: pre, since: 0, flags: PingFlags.MANIFEST, ack: [1] })).toThrow(QMailError);
    expect(() =>
      encodePing({ preamble: pre, since: 0, flags: PingFlags.ACKNOWLEDGED, ack: new Array<number>(MAX_PING_ACKS + 1).fill(1) }),
    ).toThrow(QMailError);
  });
  it('a legacy Tell may carry anything in routing bytes 20–23; ours must leave them zero', () => {
    fc.assert(
      fc.property(
        tell,
        bytes(4).filter((b) => b.some((x) => x !== 0)),
        (t, junk) => {
          const body = encodeTell(t);
          body.set(junk, 48 + 20);
          expect(() => decodeTell(body)).toThrow(QMailError);
          expect(decodeTell(body, { legacy: true }).totalFileSize).toBe(t.totalFileSize);
        },
      ),
    );
  });
});

describe('legacy bodies (the CloudCoin client)', () => {
  const doubled = (b: Uint8Array) => {
    const out = new Uint8Array(b.length + 2);
    out.set(b);
    out.set([0x3e, 0x3e], b.length);
    return out;
  };
  const p0 = {
    challenge: new Uint8Array(16),
    sessionId: new Uint8Array(8),
    coinGroup: 6,
    denomination: 0,
    serial: 1,
    reserved: 0,
    an: new Uint8Array(16),
  };
  it('undoes the doubled terminator of each legacy command, and nothing else', () => {
    fc.assert(
      fc.property(
        tell.map((t) => ({ ...t, manifest: [] })),
        fc.uint8Array({ maxLength: 300 }),
        u32,
        (t, data, since) => {
          const forms: [number, Uint8Array][] = [
            [LegacyQMailCommand.TELL, encodeTell(t)],
            [
              LegacyQMailCommand.UPLOAD,
              encodeUpload({
                preamble: p0,
                fileGroupGuid: new Uint8Array(16),
                lockerCode: new Uint8Array(8),
                fileType: 0,
                storageDuration: 1,
                data,
              }),
            ],
            [LegacyQMailCommand.PING, encodePing({ preamble: p0 })],
            [LegacyQMailCommand.PING, encodePing({ preamble: p0, since })],
            [LegacyQMailCommand.PEEK, encodePeek({ preamble: p0, since })],
            [
              LegacyQMailCommand.DOWNLOAD,
              encodeDownload({ preamble: p0, fileGroupGuid: new Uint8Array(16), fileType: 1, version: 1, bytesPerPage: 0, page: 2 }),
            ],
          ];
          for (const [cmd, body] of forms) {
            expect(Buffer.from(legacyBody(cmd, doubled(body))).equals(Buffer.from(body))).toBe(true);
            expect(legacyBody(cmd, body)).toBe(body);
            expect(legacyBody(cmd + 10, doubled(body)).length).toBe(body.length + 2); // 70–74 are never rewritten
          }
        },
      ),
    );
  });
  it('never throws and never drops more than the inner terminator', () => {
    fc.assert(
      fc.property(fc.integer({ min: 55, max: 75 }), fc.uint8Array({ maxLength: 400 }), (cmd, junk) => {
        const out = legacyBody(cmd, junk);
        expect(
          out === junk || (out.length === junk.length - 2 && Buffer.from(junk.subarray(-4)).equals(Buffer.from([0x3e, 0x3e, 0x3e, 0x3e]))),
        ).toBe(true);
      }),
    );
  });
});

describe('download paging', () => {
  it('pages cover the object exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), (size, ps) => {
        const obj = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
        const n = pageCount(size, ps);
        const parts: number[] = [];
        for (let p = 0; p < n; p++) parts.push(...pageSlice(obj, p, ps)!);
        expect(parts).toEqual([...obj]);
        expect(pageSlice(obj, n, ps)).toBeUndefined();
      }),
    );
  });
  it('manifest order: meta, body, then ascending; reserved types refused', () => {
    expect(() => checkManifestOrder([0, 1, 2, 10, 11])).not.toThrow();
    for (const bad of [[1], [0], [0, 2], [0, 1, 10, 10], [0, 1, 11, 10], [0, 1, 7]])
      expect(() => checkManifestOrder(bad)).toThrow(QMailError);
  });
});
