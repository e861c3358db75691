// Group 6 (QMail/1.0) request bodies as a node reads them — ping, peek, download, upload,
// upload page, register, the gate query (EXT-11) and its answer, the preamble peek before dispatch, the legacy-framing fix-up —
// and the responses a client reads: Tell lists (with and without manifests) and download
// pages. Whatever decodes must survive encode → decode unchanged.
import {
  QMailError,
  decodeDownload,
  decodeDownloadResponse,
  decodePeek,
  decodePing,
  decodeRegister,
  decodeTellList,
  decodeUpload,
  decodeUploadPage,
  encodeDownload,
  encodeDownloadResponse,
  encodePeek,
  encodePing,
  encodeRegister,
  encodeTellList,
  encodeUpload,
  encodeUploadPage,
  legacyBody,
  peekPreamble,
} from '../../shared/qmail/index.js';
import { decodeGateAnswer, decodeGateQuery, encodeGateAnswer, encodeGateQuery } from '../../shared/qmail/gate-query.js';
import { type FuzzTarget, invariant, byFirstByte, roundTrip, tokens } from '../engine/target.js';

const CODECS: ((b: Uint8Array) => void)[] = [
  (b) => roundTrip('ping', decodePing, encodePing, b),
  (b) => roundTrip('peek', decodePeek, encodePeek, b),
  (b) => roundTrip('download', decodeDownload, encodeDownload, b),
  (b) => roundTrip('download response', decodeDownloadResponse, encodeDownloadResponse, b),
  (b) => roundTrip('upload', decodeUpload, encodeUpload, b),
  (b) => roundTrip('upload page', decodeUploadPage, encodeUploadPage, b),
  (b) => roundTrip('register', decodeRegister, encodeRegister, b),
  (b) =>
    roundTrip(
      'tell list',
      (x) => decodeTellList(x),
      (l) => encodeTellList(l),
      b,
    ),
  (b) =>
    roundTrip(
      'tell list without manifests',
      (x) => decodeTellList(x, { manifest: false }),
      (l) => encodeTellList(l, { manifest: false }),
      b,
    ),
  (b) => roundTrip('gate query', decodeGateQuery, encodeGateQuery, b),
  (b) => roundTrip('gate answer', decodeGateAnswer, encodeGateAnswer, b),
  (b) => void peekPreamble(b),
  (b) => {
    // The node undoes the legacy client's doubled terminator, then decodes as usual.
    for (const command of [60, 61, 62, 63, 64]) {
      const fixed = legacyBody(command, b);
      invariant(fixed.length === b.length || fixed.length === b.length - 2, 'legacyBody may only drop the doubled terminator');
    }
    decodePing(legacyBody(60, b));
  },
];

export const target: FuzzTarget = {
  name: 'qmail-bodies',
  about:
    'Group 6 bodies: ping, peek, download (+ response), upload, upload page, register, gate query (+ answer), Tell lists, preamble, legacy framing',
  sources: ['/shared/qmail/', '/shared/bytes/', '/shared/raida/'],
  fuzz: byFirstByte(CODECS),
  expected: (e) => e instanceof QMailError,
  dictionary: tokens([0x3e, 0x3e], [0x00, 0x06], [0x3e, 0x3e, 0x3e, 0x3e], [0x00, 0x00, 0x00, 0x01], [0x01], [0xff, 0xff, 0xff, 0xff]),
  maxLength: 4096,
};
