// What gets striped: one byte string per message, so one capsule per recipient covers it
// all. Layout (big-endian):
//   "QMB1" ‖ cbdf length u32 ‖ CBDF/1.0 Phase II document ‖ attachment count u8 ‖
//   count × (name length u16 ‖ UTF-8 name ‖ size u32 ‖ bytes)
// The CBDF document carries the Meta (file type QMAIL, id, subject, from, to, cc,
// timestamp, attachment names and count) and the body as Text. See docs/architecture-mail.md.
import {
  buildMeta,
  decodeDocument,
  hasFormatting,
  IMAGE_SOURCES_EXTENSION,
  MAX_RICH_BODY_BYTES,
  metaView as metaFields,
  toPlainText,
  encodeDocument,
  formatMailbox,
  metaView,
  phase2,
  plainToTokens,
  truncateUtf8,
  FileType as CbdfFileType,
  type Mailbox,
  type Phase2Document,
  type Token,
} from '../../../shared/cbdf/index.js';

export interface Attachment {
  name: string;
  data: Uint8Array;
}

export interface Letter {
  id: Uint8Array;
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  subject: string;
  body: string;
  /** A formatted body (CBDF Phase II, as the composer wrote it): its styles, text, resources and image sources travel instead of `body`; the letter writes its own Meta. */
  document?: Uint8Array;
  /** Unix seconds. */
  timestamp: number;
  attachments: Attachment[];
  /** Threading (extension section 0xC2): the QMail id of the message this one answers, and of the conversation's first message. */
  thread?: ThreadRef;
}

/** CBDF ids (Meta key 1) of the answered message and of the conversation's root. */
export interface ThreadRef {
  inReplyTo: Uint8Array;
  root: Uint8Array;
}

/** Extension section carrying a reply's thread reference: version 1 ‖ in-reply-to id (16) ‖ root id (16). */
export const THREAD_EXTENSION = 0xc2;

function encodeThread(t: ThreadRef): Uint8Array {
  if (t.inReplyTo.length !== 16 || t.root.length !== 16) throw new BundleError('thread ids are 16 bytes');
  const out = new Uint8Array(33);
  out[0] = 1;
  out.set(t.inReplyTo, 1);
  out.set(t.root, 17);
  return out;
}

/** Unknown versions and short payloads are ignored: threading is a hint, never a reason to refuse mail. */
function decodeThread(payload: Uint8Array): ThreadRef | undefined {
  if (payload.length < 33 || payload[0] !== 1) return undefined;
  return { inReplyTo: payload.slice(1, 17), root: payload.slice(17, 33) };
}

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

const MAGIC = [0x51, 0x4d, 0x42, 0x31]; // QMB1
export const MAX_ATTACHMENTS = 64;

function tokensToText(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    if (t.t === 'text') out += t.s;
    else if (t.t === 'para') out += '\n\n';
    else if (t.t === 'row') out += '\n';
    else if (t.t === 'cell') out += '\t';
  }
  return out;
}

/** A composed body, checked: a CBDF Phase II document whose features and compression the letter's Meta repeats. */
function composedBody(bytes: Uint8Array): { doc: Phase2Document; features: number; compression: number } {
  const doc = decodeDocument(bytes);
  if (doc.kind !== 'phase2') throw new BundleError('a formatted body is a CBDF Phase II document');
  const f = metaFields(doc.meta);
  return { doc, features: f.optionalFeatures ?? 0, compression: f.compression ?? 0 };
}

/**
 * A formatted body handed over by the UI (base64 of a CBDF Phase II document of at most
 * MAX_RICH_BODY_BYTES), checked; with the plain text that search, previews and notifications use.
 */
export function formattedBody(base64: string): { document: string; body: string } {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.length > MAX_RICH_BODY_BYTES) throw new BundleError(`the formatted text is over ${MAX_RICH_BODY_BYTES / 1048576} MB`);
  let doc;
  try {
    doc = decodeDocument(bytes);
  } catch (e) {
    throw new BundleError(`the formatted text is not a CBDF document: ${(e as Error).message}`);
  }
  if (doc.kind !== 'phase2') throw new BundleError('the formatted text is not a CBDF Phase II document');
  return { document: base64, body: toPlainText(doc).trimEnd() };
}

export function encodeLetter(l: Letter): Uint8Array {
  if (l.attachments.length > MAX_ATTACHMENTS) throw new BundleError(`at most ${MAX_ATTACHMENTS} attachments`);
  const rich = l.document ? composedBody(l.document) : undefined;
  const meta = buildMeta({
    ...(rich?.features ? { optionalFeatures: rich.features } : {}),
    ...(rich?.compression ? { compression: rich.compression } : {}),
    fileType: CbdfFileType.QMAIL,
    version: 1,
    qmailId: l.id,
    subject: truncateUtf8(l.subject, 255),
    from: l.from,
    to: l.to,
    cc: l.cc,
    timestamp: l.timestamp,
    attachmentNames: l.attachments.map((a) => truncateUtf8(a.name, 255)),
    attachmentCount: l.attachments.length,
  });
  // The composed body's own Meta stays behind; its image sources travel, the thread reference is the letter's.
  const parts: Phase2Document = rich
    ? { kind: 'phase2', meta, styles: rich.doc.styles, text: rich.doc.text, resources: rich.doc.resources, extensions: rich.doc.extensions.filter((e) => e.id === IMAGE_SOURCES_EXTENSION) }
    : phase2(meta, plainToTokens(l.body));
  const doc = encodeDocument(l.thread ? { ...parts, extensions: [...parts.extensions, { id: THREAD_EXTENSION, payload: encodeThread(l.thread) }] } : parts);
  const names = l.attachments.map((a) => new TextEncoder().encode(a.name));
  const size = 8 + doc.length + 1 + names.reduce((n, b, i) => n + 6 + b.length + l.attachments[i]!.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, doc.length);
  out.set(doc, 8);
  let at = 8 + doc.length;
  out[at++] = l.attachments.length;
  l.attachments.forEach((a, i) => {
    const n = names[i]!;
    if (n.length > 0xffff) throw new BundleError('attachment name too long');
    dv.setUint16(at, n.length);
    out.set(n, at + 2);
    at += 2 + n.length;
    dv.setUint32(at, a.data.length);
    out.set(a.data, at + 4);
    at += 4 + a.data.length;
  });
  return out;
}

export interface OpenedLetter {
  id?: Uint8Array;
  from?: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  subject: string;
  /** The text (for a formatted letter, its CBDF → text rendering). */
  body: string;
  /** A formatted letter's CBDF document as it arrived (absent for plain text, and over MAX_RICH_BODY_BYTES: then `body` alone is shown). */
  document?: Uint8Array;
  timestamp?: number;
  attachments: Attachment[];
  thread?: ThreadRef;
}

export function decodeLetter(bytes: Uint8Array): OpenedLetter {
  if (bytes.length < 9 || MAGIC.some((b, i) => bytes[i] !== b)) throw new BundleError('not a QMail message bundle');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const docLen = dv.getUint32(4);
  if (8 + docLen + 1 > bytes.length) throw new BundleError('message bundle truncated');
  const doc = decodeDocument(bytes.subarray(8, 8 + docLen));
  if (doc.kind !== 'phase2') throw new BundleError('message body is not a CBDF Phase II document');
  const m = metaView(doc.meta);
  let at = 8 + docLen;
  const count = bytes[at++]!;
  const attachments: Attachment[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 2 > bytes.length) throw new BundleError('attachment table truncated');
    const nl = dv.getUint16(at);
    if (at + 2 + nl + 4 > bytes.length) throw new BundleError('attachment table truncated');
    const name = new TextDecoder().decode(bytes.subarray(at + 2, at + 2 + nl));
    at += 2 + nl;
    const size = dv.getUint32(at);
    at += 4;
    if (at + size > bytes.length) throw new BundleError('attachment truncated');
    attachments.push({ name, data: bytes.slice(at, at + size) });
    at += size;
  }
  if (at !== bytes.length) throw new BundleError('trailing bytes after the attachments');
  const threadExt = doc.extensions.find((e) => e.id === THREAD_EXTENSION);
  const thread = threadExt ? decodeThread(threadExt.payload) : undefined;
  const formatted = hasFormatting(doc);
  return {
    ...(thread ? { thread } : {}),
    ...(m.qmailId ? { id: m.qmailId } : {}),
    ...(m.from ? { from: m.from } : {}),
    to: m.to ?? [],
    cc: m.cc ?? [],
    subject: m.subject ?? '',
    body: formatted ? toPlainText(doc).trimEnd() : tokensToText(doc.text),
    ...(formatted && docLen <= MAX_RICH_BODY_BYTES ? { document: bytes.slice(8, 8 + docLen) } : {}),
    ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
    attachments,
  };
}

export { formatMailbox };
