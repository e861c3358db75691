// The Meta section (CBDF/1.0 §4.3): [pair count: 2 LE] then [key:1][len:1][value:len] × count.
// The model keeps the pairs in wire order (the canonical encoding is "what you gave, in
// that order"); `metaView` reads them as typed fields, `buildMeta` writes typed fields in
// the recommended order (key 0, key 30 first).
import { decodeMailbox, encodeMailbox, type Mailbox } from './address.js';
import { CbdfError, fail } from './errors.js';
import type { LeReader, LeWriter } from './le.js';
import { isWellFormed, utf8Decode, utf8Encode } from './le.js';

export interface MetaEntry {
  key: number;
  value: Uint8Array;
}

export const MetaKey = {
  FILE_TYPE: 0,
  QMAIL_ID: 1,
  SUBJECT: 2,
  ATTACHMENT_NAME: 3,
  ATTACHMENT_TOTAL_PAGES: 4,
  PAGE_HASH: 5,
  ATTACHMENT_COUNT: 12,
  TO: 13,
  CC: 14,
  FROM: 19,
  TIMESTAMP: 25,
  VERSION: 30,
  COMPRESSION: 31,
  DEFAULT_STYLE_SET: 32,
  EOF_FLAG: 33,
  RETIRED_34: 34,
  AI_SUMMARY: 35,
  PREVIEW_TEXT: 36,
  SUBJECT_STYLE_ID: 37,
  SEMANTIC_MODEL: 38,
  SEMANTIC_FLAGS: 39,
  TEXT_OFFSET: 40,
  TIMESTAMP64: 41,
  REQUIRED_FEATURES: 42,
  OPTIONAL_FEATURES: 43,
  CONTENT_LANGUAGE: 44,
  CONTENT_HASH: 45,
} as const;

export const FileType = { GENERIC: 0, QMAIL: 1, SMS: 2, QWEB: 3, PRESENTATION: 4, FORM: 5 } as const;
export const Compression = { NONE: 0, ZLIB: 1, LZ4: 2, ZSTD: 3, BROTLI: 4, SEMANTIC: 5 } as const;

export const Feature = {
  EXPLICIT_STYLES: 0,
  IMAGES: 1,
  TABLES: 2,
  ITEM_BLOCKS: 3,
  CUSTOM_FONTS: 4,
  FONT_EFFECTS: 5,
  FRAMES: 6,
  AI_PROMPTS: 7,
  SEMANTIC: 8,
  EXTENSIONS: 9,
  RARE_TIER: 10,
  CATALOG_LAYOUT: 11,
} as const;

/** Hard limit on Meta pairs. 1024 pairs × 257 bytes bounds Meta near 256 KiB; a 0x1C1C count
 * (7196) would also be ambiguous with a Phase I body object, which begins `1C 1C 02`. */
export const MAX_META_PAIRS = 1024;

type KeyKind = 'u8' | 'u16' | 'u32' | 'u64' | 'utf8' | 'mailbox' | 'guid' | 'features' | 'hash' | 'bytes';
interface KeySpec {
  name: string;
  kind: KeyKind;
  /** Exact size, or [min, max]. */
  size?: number | [number, number];
  repeat?: boolean;
}

export const META_REGISTRY: ReadonlyMap<number, KeySpec> = new Map<number, KeySpec>([
  [0, { name: 'fileType', kind: 'u8', size: 1 }],
  [1, { name: 'qmailId', kind: 'guid', size: 16 }],
  [2, { name: 'subject', kind: 'utf8' }],
  [3, { name: 'attachmentName', kind: 'utf8', repeat: true }],
  [4, { name: 'attachmentTotalPages', kind: 'u16', size: 2, repeat: true }],
  [5, { name: 'pageHash', kind: 'u32', size: 4, repeat: true }],
  [12, { name: 'attachmentCount', kind: 'u8', size: 1 }],
  [13, { name: 'to', kind: 'mailbox', size: 7, repeat: true }],
  [14, { name: 'cc', kind: 'mailbox', size: 7, repeat: true }],
  [19, { name: 'from', kind: 'mailbox', size: 7 }],
  [25, { name: 'timestamp', kind: 'u32', size: 4 }],
  [30, { name: 'version', kind: 'u8', size: 1 }],
  [31, { name: 'compression', kind: 'u8', size: 1 }],
  [32, { name: 'defaultStyleSet', kind: 'u8', size: 1 }],
  [33, { name: 'eofFlag', kind: 'u8', size: 1 }],
  [35, { name: 'aiSummary', kind: 'utf8' }],
  [36, { name: 'previewText', kind: 'utf8' }],
  [37, { name: 'subjectStyleId', kind: 'u8', size: 1 }],
  [38, { name: 'semanticModel', kind: 'bytes', size: 20 }],
  [39, { name: 'semanticFlags', kind: 'u8', size: 1 }],
  [40, { name: 'textOffset', kind: 'u32', size: 4 }],
  [41, { name: 'timestamp64', kind: 'u64', size: 8 }],
  [42, { name: 'requiredFeatures', kind: 'features', size: [1, 4] }],
  [43, { name: 'optionalFeatures', kind: 'features', size: [1, 4] }],
  [44, { name: 'contentLanguage', kind: 'utf8', size: [0, 35] }],
  [45, { name: 'contentHash', kind: 'hash', size: [17, 33] }],
]);

export function metaKeyName(key: number): string {
  const spec = META_REGISTRY.get(key);
  if (spec) return spec.name;
  if (key === 34) return 'retired34';
  if (key >= 200 && key <= 219) return `receiverAnnotation${key}`;
  return `key${key}`;
}

export function metaKeyByName(name: string): number | undefined {
  for (const [k, s] of META_REGISTRY) if (s.name === name) return k;
  const m = /^key(\d{1,3})$/.exec(name);
  if (m && Number(m[1]) <= 255) return Number(m[1]);
  return undefined;
}

export function isRepeatableKey(key: number): boolean {
  const spec = META_REGISTRY.get(key);
  return spec ? spec.repeat === true : true;
}

function readLe(v: Uint8Array): number {
  let n = 0;
  for (let i = v.length - 1; i >= 0; i--) n = n * 256 + v[i]!;
  return n;
}

/** Validates one pair's value against the registry (sizes, UTF-8, hash shape). */
export function validateMetaValue(key: number, value: Uint8Array, offset?: number): void {
  if (key === 34) fail('RETIRED_KEY', 'Meta key 34 is retired and must never appear', offset);
  if (key >= 200 && key <= 219) fail('ANNOTATION_ON_WIRE', `receiver-annotation key ${key} is never valid on the wire`, offset);
  if (value.length > 255) fail('BAD_META', `Meta value for key ${key} is ${value.length} bytes; the limit is 255`, offset);
  const spec = META_REGISTRY.get(key);
  if (!spec) return;
  if (typeof spec.size === 'number' && value.length !== spec.size)
    fail('BAD_META', `Meta key ${key} (${spec.name}) must be ${spec.size} byte(s), got ${value.length}`, offset);
  if (Array.isArray(spec.size) && (value.length < spec.size[0] || value.length > spec.size[1]))
    fail('BAD_META', `Meta key ${key} (${spec.name}) must be ${spec.size[0]}–${spec.size[1]} bytes, got ${value.length}`, offset);
  if (spec.kind === 'utf8') utf8Decode(value, `Meta key ${key} (${spec.name})`, offset);
  if (spec.kind === 'features' && value[value.length - 1] === 0)
    fail('BAD_META', `feature bitfield (key ${key}) must omit trailing zero bytes`, offset);
  if (spec.kind === 'hash') {
    const alg = value[0];
    const want = alg === 1 ? 17 : alg === 2 ? 33 : -1;
    if (want < 0) fail('BAD_META', `content hash algorithm ${alg} is not registered (1 MD5, 2 SHA-256)`, offset);
    if (value.length !== want) fail('BAD_META', `content hash with algorithm ${alg} must be ${want} bytes, got ${value.length}`, offset);
  }
}

/** Rules about the whole set of pairs (duplicates, combinations). */
export function validateMetaSet(entries: readonly MetaEntry[]): void {
  const seen = new Set<number>();
  for (const e of entries) {
    if (seen.has(e.key) && !isRepeatableKey(e.key))
      fail('DUPLICATE_KEY', `Meta key ${e.key} (${metaKeyName(e.key)}) appears more than once`);
    seen.add(e.key);
  }
  const one = (k: number) => entries.find((e) => e.key === k)?.value;
  const eof = one(MetaKey.EOF_FLAG);
  if (eof && eof[0] !== 1) fail('BAD_META', `Meta key 33 (EOF flag) must be 1 when present, got ${eof[0]}`);
  if (eof) {
    for (const k of [31, 32, 37, 40, 42, 43])
      if (seen.has(k)) fail('FORBIDDEN_KEY', `Meta key ${k} must be absent in a meta-only document`);
  }
  const comp = one(MetaKey.COMPRESSION)?.[0] ?? 0;
  if (comp !== 0 && seen.has(MetaKey.TEXT_OFFSET)) fail('FORBIDDEN_KEY', 'Meta key 40 (Text Offset) must be absent when compression is on');
  if (comp !== Compression.SEMANTIC && (seen.has(38) || seen.has(39)))
    fail('FORBIDDEN_KEY', 'Meta keys 38/39 are only valid with semantic compression (5)');
  const ts32 = one(MetaKey.TIMESTAMP);
  const ts64 = one(MetaKey.TIMESTAMP64);
  if (ts32 && ts64 && !ts32.every((b, i) => b === ts64[i])) fail('BAD_META', 'Meta key 25 must equal the low 32 bits of key 41');
}

export function encodeMeta(entries: readonly MetaEntry[], w: LeWriter): void {
  if (entries.length > MAX_META_PAIRS) fail('TOO_LARGE', `${entries.length} Meta pairs; the limit is ${MAX_META_PAIRS}`);
  for (const e of entries) {
    if (!Number.isInteger(e.key) || e.key < 0 || e.key > 255) fail('BAD_META', `Meta key out of range: ${e.key}`);
    validateMetaValue(e.key, e.value);
  }
  validateMetaSet(entries);
  w.u16(entries.length);
  for (const e of entries) w.u8(e.key).u8(e.value.length).bytes(e.value);
}

export interface DecodeMetaOptions {
  /** Receiver-annotation keys 200–219 are stripped on receive (§4.3.4) rather than rejected. */
  stripAnnotations?: boolean;
}

export function decodeMeta(r: LeReader, opts: DecodeMetaOptions = {}): MetaEntry[] {
  const count = r.u16('Meta pair count');
  if (count > MAX_META_PAIRS) fail('TOO_LARGE', `Meta pair count ${count} exceeds ${MAX_META_PAIRS}`, r.at - 2);
  const out: MetaEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.at;
    const key = r.u8('Meta key');
    const len = r.u8('Meta value length');
    const value = r.take(len, `Meta value for key ${key}`);
    if (key >= 200 && key <= 219 && opts.stripAnnotations !== false) continue;
    validateMetaValue(key, value, at);
    out.push({ key, value });
  }
  validateMetaSet(out);
  return out;
}

// ---- typed view ----------------------------------------------------------------------

export interface MetaFields {
  fileType?: number;
  qmailId?: Uint8Array;
  subject?: string;
  attachmentNames?: string[];
  attachmentTotalPages?: number[];
  pageHashes?: number[];
  attachmentCount?: number;
  to?: Mailbox[];
  cc?: Mailbox[];
  from?: Mailbox;
  timestamp?: number;
  version?: number;
  compression?: number;
  defaultStyleSet?: number;
  metaOnly?: boolean;
  aiSummary?: string;
  previewText?: string;
  subjectStyleId?: number;
  textOffset?: number;
  timestamp64?: bigint;
  requiredFeatures?: number;
  optionalFeatures?: number;
  contentLanguage?: string;
  contentHash?: { alg: number; digest: Uint8Array };
}

export function metaView(entries: readonly MetaEntry[]): MetaFields {
  const f: MetaFields = {};
  const dec = (v: Uint8Array) => utf8Decode(v, 'Meta text');
  for (const { key, value: v } of entries) {
    switch (key) {
      case 0:
        f.fileType = v[0];
        break;
      case 1:
        f.qmailId = v;
        break;
      case 2:
        f.subject = dec(v);
        break;
      case 3:
        (f.attachmentNames ??= []).push(dec(v));
        break;
      case 4:
        (f.attachmentTotalPages ??= []).push(readLe(v));
        break;
      case 5:
        (f.pageHashes ??= []).push(readLe(v));
        break;
      case 12:
        f.attachmentCount = v[0];
        break;
      case 13:
        (f.to ??= []).push(decodeMailbox(v));
        break;
      case 14:
        (f.cc ??= []).push(decodeMailbox(v));
        break;
      case 19:
        f.from = decodeMailbox(v);
        break;
      case 25:
        f.timestamp = readLe(v);
        break;
      case 30:
        f.version = v[0];
        break;
      case 31:
        f.compression = v[0];
        break;
      case 32:
        f.defaultStyleSet = v[0];
        break;
      case 33:
        f.metaOnly = v[0] === 1;
        break;
      case 35:
        f.aiSummary = dec(v);
        break;
      case 36:
        f.previewText = dec(v);
        break;
      case 37:
        f.subjectStyleId = v[0];
        break;
      case 40:
        f.textOffset = readLe(v);
        break;
      case 41:
        f.timestamp64 = BigInt(readLe(v.subarray(0, 4))) + (BigInt(readLe(v.subarray(4, 8))) << 32n);
        break;
      case 42:
        f.requiredFeatures = readLe(v);
        break;
      case 43:
        f.optionalFeatures = readLe(v);
        break;
      case 44:
        f.contentLanguage = dec(v);
        break;
      case 45:
        f.contentHash = { alg: v[0]!, digest: v.slice(1) };
        break;
      default:
        break;
    }
  }
  return f;
}

function leBytes(n: number, size: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** (8 * size)) throw new CbdfError('BAD_INPUT', `value ${n} does not fit in ${size} byte(s)`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

export function featureBytes(bits: number): Uint8Array {
  const full = leBytes(bits >>> 0, 4);
  let len = 4;
  while (len > 1 && full[len - 1] === 0) len--;
  return full.slice(0, len);
}

function text(s: string, max = 255): Uint8Array {
  if (!isWellFormed(s)) throw new CbdfError('BAD_INPUT', 'text is not well-formed Unicode');
  const b = utf8Encode(s);
  if (b.length > max) throw new CbdfError('BAD_META', `Meta text is ${b.length} bytes; the limit is ${max}`);
  return b;
}

/** Truncates a string to at most `max` UTF-8 bytes on a code-point boundary. */
export function truncateUtf8(s: string, max: number): string {
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = utf8Encode(ch).length;
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/** Builds Meta pairs from typed fields, key 0 and key 30 first, then ascending keys. */
export function buildMeta(f: MetaFields): MetaEntry[] {
  const e: MetaEntry[] = [];
  const add = (key: number, value: Uint8Array) => e.push({ key, value });
  if (f.fileType !== undefined) add(0, leBytes(f.fileType, 1));
  if (f.version !== undefined) add(30, leBytes(f.version, 1));
  if (f.metaOnly) add(33, new Uint8Array([1]));
  if (f.compression !== undefined) add(31, leBytes(f.compression, 1));
  if (f.qmailId !== undefined) add(1, f.qmailId);
  if (f.subject !== undefined) add(2, text(f.subject));
  for (const n of f.attachmentNames ?? []) add(3, text(n));
  for (const p of f.attachmentTotalPages ?? []) add(4, leBytes(p, 2));
  for (const h of f.pageHashes ?? []) add(5, leBytes(h, 4));
  if (f.attachmentCount !== undefined) add(12, leBytes(f.attachmentCount, 1));
  for (const m of f.to ?? []) add(13, encodeMailbox(m));
  for (const m of f.cc ?? []) add(14, encodeMailbox(m));
  if (f.from !== undefined) add(19, encodeMailbox(f.from));
  if (f.timestamp !== undefined) add(25, leBytes(f.timestamp, 4));
  if (f.defaultStyleSet !== undefined) add(32, leBytes(f.defaultStyleSet, 1));
  if (f.aiSummary !== undefined) add(35, text(f.aiSummary));
  if (f.previewText !== undefined) add(36, text(f.previewText));
  if (f.subjectStyleId !== undefined) add(37, leBytes(f.subjectStyleId, 1));
  if (f.textOffset !== undefined) add(40, leBytes(f.textOffset, 4));
  if (f.timestamp64 !== undefined) {
    const t = f.timestamp64;
    if (t < 0n || t > 0xffffffffffffffffn) throw new CbdfError('BAD_INPUT', 'timestamp64 out of range');
    add(41, new Uint8Array([...leBytes(Number(t & 0xffffffffn), 4), ...leBytes(Number(t >> 32n), 4)]));
  }
  if (f.requiredFeatures) add(42, featureBytes(f.requiredFeatures));
  if (f.optionalFeatures) add(43, featureBytes(f.optionalFeatures));
  if (f.contentLanguage !== undefined) add(44, text(f.contentLanguage, 35));
  if (f.contentHash !== undefined) add(45, new Uint8Array([f.contentHash.alg, ...f.contentHash.digest]));
  for (const x of e) validateMetaValue(x.key, x.value);
  validateMetaSet(e);
  return e;
}

export function metaGet(entries: readonly MetaEntry[], key: number): Uint8Array | undefined {
  return entries.find((e) => e.key === key)?.value;
}
