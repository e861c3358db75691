// CBDF documents as a recipient reads them from a downloaded stripe set: Phase I, meta-only
// and Phase II documents (Meta, Styles, Text, Resources, extensions, zlib), then what the
// app does with one — plain text, the JSON view, image sources — and the 8-byte mailbox
// field. decodeDocument turns any stray exception into CbdfError('BAD_INPUT',
// 'malformed document: …'); the target counts that as a crash, so the safety net hides
// nothing. What decodes must survive encode → decode unchanged.
import { isDeepStrictEqual } from 'node:util';
import {
  CbdfError,
  decodeDocument,
  decodeMailbox,
  documentFromJson,
  documentToJson,
  encodeDocument,
  encodeMailbox,
  toPlainText,
} from '../../shared/cbdf/index.js';
import { type FuzzTarget, invariant, tokens } from '../engine/target.js';

const LIMITS = { maxBytes: 1 << 20, maxDecompressed: 1 << 20, maxExtensions: 64 };

export const target: FuzzTarget = {
  name: 'cbdf',
  about: 'CBDF documents (Phase I, meta-only, Phase II, zlib, extensions), plain text, JSON view, mailbox field',
  sources: ['/shared/cbdf/', '/shared/bytes/'],
  fuzz(data) {
    if (data.length === 9 && data[0] === 0xad) {
      const m = decodeMailbox(data.subarray(1));
      invariant(isDeepStrictEqual(decodeMailbox(encodeMailbox(m)), m), 'mailbox does not survive encode → decode');
      return;
    }
    const doc = decodeDocument(data, LIMITS);
    toPlainText(doc);
    const json = JSON.parse(JSON.stringify(documentToJson(doc))) as unknown;
    const again = decodeDocument(encodeDocument(doc), LIMITS);
    invariant(isDeepStrictEqual(again, doc), 'a decoded document does not survive encode → decode');
    documentFromJson(json);
  },
  expected: (e) => e instanceof CbdfError && !(e.code === 'BAD_INPUT' && e.message.startsWith('malformed document:')),
  dictionary: tokens(
    [0x1c, 0x1c],
    [0x1c, 0x1c, 0x02],
    [0x1e],
    [0x1f],
    [0x1d],
    [0x02],
    [0x03],
    [0x04],
    [0x78, 0x9c],
    [0x1e, 0x00],
    [0x21, 0x00],
    [0x00, 0x00, 0x00, 0x00],
  ),
  maxLength: 4096,
};
