// The CBDF container (CBDF/1.0 §4.1, §4.2, §4.9, §4.10) in its three wire shapes:
//   Phase I body   [Meta without key 30]? FS FS STX text… EOF
//   meta-only      [Meta with key 33 = 1] and nothing else
//   Phase II       [Meta] FS [Styles] FS [Text] FS [Resources] FS [Logic] (FS [id][len][payload])*
// With compression (key 31 = 1) Styles+Text become FS [CompLen:4][DecompLen:4][zlib of
// StylesLen Styles FS TextLen Text].
import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { zlibCompress, zlibDecompress } from './compression.js';
import { CbdfError, fail } from './errors.js';
import { LeReader, LeWriter, utf8Decode, utf8Encode, u32le } from './le.js';
import { Compression, MetaKey, decodeMeta, encodeMeta, metaGet, type MetaEntry } from './meta.js';
import { decodeResources, encodeResources, type Resource } from './resources.js';
import { decodeStyles, emptyStyles, encodeStyles, validateStyles, type Styles } from './styles.js';
import { C, decodeText, encodeText, type StyleCounts, type Token } from './text.js';

export const FS = 0x1c;

export interface Extension {
  id: number;
  payload: Uint8Array;
}

export interface Phase1Document {
  kind: 'phase1';
  /** Meta pairs before `FS FS STX`; absent for a bare QMail body object. */
  meta?: MetaEntry[] | undefined;
  /** Everything after STX up to EOF, verbatim (an ETX, if any, is part of it). */
  body: string;
}
export interface MetaOnlyDocument {
  kind: 'metaOnly';
  meta: MetaEntry[];
}
export interface Phase2Document {
  kind: 'phase2';
  meta: MetaEntry[];
  styles: Styles;
  text: Token[];
  resources: Resource[];
  extensions: Extension[];
}
export type CbdfDocument = Phase1Document | MetaOnlyDocument | Phase2Document;

export interface DecodeOptions {
  /** Largest document accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Largest decompressed Styles+Text blob (default 16 MiB). */
  maxDecompressed?: number;
  /** Largest number of extension sections (default 64). */
  maxExtensions?: number;
}

const DEFAULTS = { maxBytes: 64 * 1024 * 1024, maxDecompressed: 16 * 1024 * 1024, maxExtensions: 64 };

function styleCounts(meta: readonly MetaEntry[], st: Styles): StyleCounts | undefined {
  const set = metaGet(meta, MetaKey.DEFAULT_STYLE_SET)?.[0] ?? 0;
  if (set !== 0) return undefined; // a client-side style set: indices refer to tables we do not see
  return {
    text: st.text.records.length,
    composite: st.composite.length,
    table: st.table.length,
    image: st.image.length,
    navBar: st.navBar.length,
  };
}

function checkPhase2Meta(meta: readonly MetaEntry[]): number {
  const version = metaGet(meta, MetaKey.VERSION);
  if (!version) fail('UNSUPPORTED_VERSION', 'a sectioned document without Meta key 30 must use the Phase I FS FS STX shape');
  if (version[0] !== 1) fail('UNSUPPORTED_VERSION', `wire version ${version[0]} is not supported (this codec implements version 1)`);
  const comp = metaGet(meta, MetaKey.COMPRESSION)?.[0] ?? 0;
  if (comp !== Compression.NONE && comp !== Compression.ZLIB) {
    fail(
      'UNSUPPORTED_COMPRESSION',
      comp <= 5
        ? `compression type ${comp} is optional and unsupported here (0 none and 1 zlib are supported)`
        : `compression type ${comp} is reserved`,
    );
  }
  return comp;
}

function hashInput(stylesPayload: Uint8Array, textPayload: Uint8Array, resourcesPayload: Uint8Array): Uint8Array {
  const w = new LeWriter(stylesPayload.length + textPayload.length + resourcesPayload.length + 16);
  w.u32(stylesPayload.length)
    .bytes(stylesPayload)
    .u8(FS)
    .u32(textPayload.length)
    .bytes(textPayload)
    .u32(resourcesPayload.length)
    .bytes(resourcesPayload);
  return w.finish();
}

/** Computes the key-45 value ([alg][digest]) for the given section payloads (§4.3.5). */
export function contentHash(alg: 1 | 2, stylesPayload: Uint8Array, textPayload: Uint8Array, resourcesPayload: Uint8Array): Uint8Array {
  const input = hashInput(stylesPayload, textPayload, resourcesPayload);
  const digest = alg === 1 ? md5(input) : sha256(input);
  return new Uint8Array([alg, ...digest]);
}

function checkHash(meta: readonly MetaEntry[], s: Uint8Array, t: Uint8Array, r: Uint8Array): void {
  const want = metaGet(meta, MetaKey.CONTENT_HASH);
  if (!want) return;
  const got = contentHash(want[0] as 1 | 2, s, t, r);
  let diff = got.length ^ want.length;
  for (let i = 0; i < got.length && i < want.length; i++) diff |= got[i]! ^ want[i]!;
  if (diff !== 0) fail('CONTENT_HASH_MISMATCH', 'Meta key 45 does not match the document content');
}

function checkSubjectStyle(meta: readonly MetaEntry[], counts: StyleCounts | undefined): void {
  const id = metaGet(meta, MetaKey.SUBJECT_STYLE_ID)?.[0];
  if (id !== undefined && counts && id >= counts.text)
    fail('STYLE_INDEX', `subject style ${id} is out of range (${counts.text} text style(s))`);
}

function sectionPayloads(doc: Phase2Document): { styles: Uint8Array; text: Uint8Array; resources: Uint8Array } {
  const counts = styleCounts(doc.meta, doc.styles);
  validateStyles(doc.styles, counts !== undefined);
  checkSubjectStyle(doc.meta, counts);
  const sw = new LeWriter(64);
  encodeStyles(doc.styles, sw);
  const tw = new LeWriter(256);
  encodeText(doc.text, tw, counts);
  const rw = new LeWriter(64);
  encodeResources(doc.resources, rw);
  return { styles: sw.finish(), text: tw.finish(), resources: rw.finish() };
}

/** Fills in Meta key 45 for a Phase II document (replacing any previous value). */
export function withContentHash(doc: Phase2Document, alg: 1 | 2 = 2): Phase2Document {
  const p = sectionPayloads(doc);
  const value = contentHash(alg, p.styles, p.text, p.resources);
  const meta = doc.meta.filter((e) => e.key !== MetaKey.CONTENT_HASH);
  meta.push({ key: MetaKey.CONTENT_HASH, value });
  return { ...doc, meta };
}

export function encodeDocument(doc: CbdfDocument): Uint8Array {
  const w = new LeWriter(1024);
  if (doc.kind === 'phase1') {
    if (doc.meta) {
      if (doc.meta.some((e) => e.key === MetaKey.VERSION || e.key === MetaKey.EOF_FLAG))
        fail('BAD_META', 'a Phase I document has no Meta key 30 or 33');
      if (doc.meta.length === 0x1c1c) fail('BAD_META', 'a pair count of 0x1C1C is ambiguous with a bare Phase I body');
      encodeMeta(doc.meta, w);
    }
    w.u8(FS).u8(FS).u8(C.STX).bytes(utf8Encode(doc.body));
    return w.finish();
  }
  if (doc.kind === 'metaOnly') {
    if (metaGet(doc.meta, MetaKey.EOF_FLAG)?.[0] !== 1) fail('BAD_META', 'a meta-only document must carry Meta key 33 = 1');
    encodeMeta(doc.meta, w);
    return w.finish();
  }
  if (metaGet(doc.meta, MetaKey.EOF_FLAG)) fail('BAD_META', 'a Phase II document with sections must not carry Meta key 33');
  const comp = checkPhase2Meta(doc.meta);
  const p = sectionPayloads(doc);
  checkHash(doc.meta, p.styles, p.text, p.resources);
  encodeMeta(doc.meta, w);
  w.u8(FS);
  if (comp === Compression.NONE) {
    w.u32(p.styles.length).bytes(p.styles).u8(FS);
    const textOffset = metaGet(doc.meta, MetaKey.TEXT_OFFSET);
    if (textOffset && !textOffset.every((b, i) => b === u32le(w.length)[i]))
      fail('BAD_META', `Meta key 40 must equal the Text section offset ${w.length}`);
    w.u32(p.text.length).bytes(p.text);
  } else {
    const inner = new LeWriter(p.styles.length + p.text.length + 16);
    inner.u32(p.styles.length).bytes(p.styles).u8(FS).u32(p.text.length).bytes(p.text);
    const blob = inner.finish();
    const packed = zlibCompress(blob);
    w.u32(packed.length).u32(blob.length).bytes(packed);
  }
  w.u8(FS).u32(p.resources.length).bytes(p.resources);
  w.u8(FS).u32(0);
  for (const ext of doc.extensions) {
    w.u8(FS).u8(ext.id, 'extension id').u32(ext.payload.length).bytes(ext.payload);
  }
  return w.finish();
}

function readSection(r: LeReader, what: string): { payload: Uint8Array; at: number } {
  r.expect(FS, `FS before ${what}`);
  const len = r.u32(`${what} length`);
  const at = r.at;
  if (len > r.remaining) fail('TRUNCATED', `${what} claims ${len} bytes, ${r.remaining} left`, at - 4);
  return { payload: r.view(len, what), at };
}

export function decodeDocument(bytes: Uint8Array, options: DecodeOptions = {}): CbdfDocument {
  const opts = { ...DEFAULTS, ...options };
  try {
    return decodeInner(bytes, opts);
  } catch (e) {
    if (e instanceof CbdfError) throw e;
    // Defence in depth: nothing else may escape a decoder.
    throw new CbdfError('BAD_INPUT', `malformed document: ${(e as Error)?.message ?? String(e)}`);
  }
}

function decodeInner(bytes: Uint8Array, opts: typeof DEFAULTS): CbdfDocument {
  if (bytes.length > opts.maxBytes) fail('TOO_LARGE', `document is ${bytes.length} bytes; the limit is ${opts.maxBytes}`);
  if (bytes[0] === FS && bytes[1] === FS && bytes[2] === C.STX) {
    return { kind: 'phase1', body: utf8Decode(bytes.subarray(3), 'Phase I body', 3) };
  }
  const r = new LeReader(bytes);
  const meta = decodeMeta(r);
  if (metaGet(meta, MetaKey.EOF_FLAG)) {
    if (!r.done) fail('TRAILING_BYTES', 'a meta-only document ends after Meta', r.at);
    return { kind: 'metaOnly', meta };
  }
  if (!metaGet(meta, MetaKey.VERSION)) {
    const at = r.at;
    if (r.remaining < 3 || r.u8() !== FS || r.u8() !== FS || r.u8() !== C.STX)
      fail('BAD_SEPARATOR', 'a document without Meta key 30 must continue with FS FS STX (Phase I)', at);
    return { kind: 'phase1', meta, body: utf8Decode(r.view(r.remaining, 'body'), 'Phase I body', r.at) };
  }
  const comp = checkPhase2Meta(meta);
  let stylesPayload: Uint8Array;
  let stylesAt: number;
  let textPayload: Uint8Array;
  let textAt: number;
  if (comp === Compression.NONE) {
    ({ payload: stylesPayload, at: stylesAt } = readSection(r, 'Styles'));
    const textLenAt = r.at + 1;
    ({ payload: textPayload, at: textAt } = readSection(r, 'Text'));
    const textOffset = metaGet(meta, MetaKey.TEXT_OFFSET);
    if (textOffset && !textOffset.every((b, i) => b === u32le(textLenAt)[i]))
      fail('BAD_META', `Meta key 40 does not point at the Text section (offset ${textLenAt})`);
  } else {
    r.expect(FS, 'FS before the compressed Styles+Text blob');
    const at = r.at;
    const compLen = r.u32('compressed length');
    const decompLen = r.u32('decompressed length');
    if (compLen > r.remaining) fail('TRUNCATED', `compressed blob claims ${compLen} bytes, ${r.remaining} left`, at);
    const blob = zlibDecompress(r.view(compLen, 'compressed blob'), decompLen, opts.maxDecompressed, at);
    // Offsets inside the blob are reported relative to the decompressed blob, marked negative-free by base 0.
    const ir = new LeReader(blob);
    const sl = ir.u32('Styles length');
    if (sl > ir.remaining) fail('TRUNCATED', `Styles claims ${sl} bytes inside the compressed blob`);
    stylesAt = ir.at;
    stylesPayload = ir.view(sl, 'Styles');
    ({ payload: textPayload, at: textAt } = readSection(ir, 'Text'));
    if (!ir.done) fail('TRAILING_BYTES', 'bytes after Text inside the compressed blob');
  }
  const styles = decodeStyles(stylesPayload, stylesAt);
  const counts = styleCounts(meta, styles);
  validateStyles(styles, counts !== undefined);
  checkSubjectStyle(meta, counts);
  const text = decodeText(textPayload, textAt, counts);
  if (r.done) {
    // Lenient decode (§4.1): EOF right after Text means empty Resources and Logic.
    checkHash(meta, stylesPayload, textPayload, new Uint8Array(0));
    return { kind: 'phase2', meta, styles, text, resources: [], extensions: [] };
  }
  const res = readSection(r, 'Resources');
  const resources = decodeResources(res.payload, res.at);
  const logic = readSection(r, 'Logic');
  if (logic.payload.length !== 0) fail('LOGIC_NOT_ALLOWED', 'a non-zero Logic length is a hard failure in version 1', logic.at - 4);
  checkHash(meta, stylesPayload, textPayload, res.payload);
  const extensions: Extension[] = [];
  while (!r.done) {
    if (extensions.length >= opts.maxExtensions) fail('TOO_LARGE', `more than ${opts.maxExtensions} extension sections`, r.at);
    r.expect(FS, 'FS before an extension section');
    const id = r.u8('extension id');
    const len = r.u32('extension length');
    if (len > r.remaining) fail('BAD_EXTENSION', `extension ${id} claims ${len} bytes, ${r.remaining} left`, r.at - 5);
    extensions.push({ id, payload: r.take(len, 'extension') });
  }
  return { kind: 'phase2', meta, styles, text, resources, extensions };
}

/** A fresh Phase II document with the minimum Styles section. */
export function phase2(meta: MetaEntry[], text: Token[] = [], styles: Styles = emptyStyles()): Phase2Document {
  return { kind: 'phase2', meta, styles, text, resources: [], extensions: [] };
}
