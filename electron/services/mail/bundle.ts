// What gets striped: one byte string per message, so one capsule per recipient covers it
// all. Layout (big-endian):
//   "QMB1" ‖ cbdf length u32 ‖ CBDF/1.0 Phase II document ‖ attachment count u8 ‖
//   count × (name length u16 ‖ UTF-8 name ‖ size u32 ‖ bytes)
// The CBDF document carries the Meta (file type QMAIL, id, subject, from, to, cc,
// timestamp, attachment names and count) and the body as Text. See docs/architecture-mail.md.
// Longer than 400 lines on purpose: the writer (whole and streamed) and the one incremental
// reader of this layout stay together, so a change to the format touches one file.
import { Readable, Writable } from 'node:stream';
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

/** An attachment read when the letter is striped, never held whole: `open()` streams its `size` bytes. */
export interface StreamedAttachment {
  name: string;
  size: number;
  open(): Readable;
}

/** Bytes per attachment the u32 size field allows. */
export const MAX_ATTACHMENT_BYTES = 0xffffffff;
/** A letter's CBDF document is held in memory while the bundle is read: bounded. */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

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

/** The bundle up to the attachment table: magic, document length, document, attachment count. */
function letterHead(l: Omit<Letter, 'attachments'> & { attachments: readonly { name: string }[] }): Uint8Array {
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
    ? {
        kind: 'phase2',
        meta,
        styles: rich.doc.styles,
        text: rich.doc.text,
        resources: rich.doc.resources,
        extensions: rich.doc.extensions.filter((e) => e.id === IMAGE_SOURCES_EXTENSION),
      }
    : phase2(meta, plainToTokens(l.body));
  const doc = encodeDocument(
    l.thread ? { ...parts, extensions: [...parts.extensions, { id: THREAD_EXTENSION, payload: encodeThread(l.thread) }] } : parts,
  );
  const out = new Uint8Array(9 + doc.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, doc.length);
  out.set(doc, 8);
  out[8 + doc.length] = l.attachments.length;
  return out;
}

/** One attachment's entry before its bytes: name length u16 ‖ UTF-8 name ‖ size u32. */
function attachmentHead(name: string, size: number): Uint8Array {
  const n = new TextEncoder().encode(name);
  if (n.length > 0xffff) throw new BundleError('attachment name too long');
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_BYTES) throw new BundleError('an attachment is over 4 GiB');
  const out = new Uint8Array(6 + n.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, n.length);
  out.set(n, 2);
  dv.setUint32(2 + n.length, size);
  return out;
}

export function encodeLetter(l: Letter): Uint8Array {
  const parts = [letterHead(l), ...l.attachments.flatMap((a) => [attachmentHead(a.name, a.data.length), a.data])];
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The same bytes as encodeLetter, as a stream: attachments are read from their sources while
 * the letter is striped, so none is ever held whole. `open()` may be called once per attempt.
 */
export function letterStream(l: Omit<Letter, 'attachments'> & { attachments: readonly StreamedAttachment[] }): {
  length: number;
  open(): Readable;
} {
  const head = letterHead(l);
  const heads = l.attachments.map((a) => attachmentHead(a.name, a.size));
  const length = head.length + heads.reduce((n, h, i) => n + h.length + l.attachments[i]!.size, 0);
  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield head;
    for (const [i, a] of l.attachments.entries()) {
      yield heads[i]!;
      let got = 0;
      for await (const chunk of a.open()) {
        got += (chunk as Uint8Array).length;
        if (got > a.size) throw new BundleError(`${a.name} grew while it was sent`);
        yield chunk as Uint8Array;
      }
      if (got !== a.size) throw new BundleError(`${a.name} shrank while it was sent`);
    }
  }
  return { length, open: () => Readable.from(bytes(), { objectMode: false }) };
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

/** What the incremental reader of a bundle finds, in order. */
type LetterEvent =
  | { t: 'document'; bytes: Uint8Array }
  | { t: 'attachment'; name: string; size: number }
  | { t: 'data'; bytes: Uint8Array }
  | { t: 'attachment-end' };

/**
 * Reads a bundle in pieces of any size (a whole one, or what a stream decrypts chunk after
 * chunk): the document is held (bounded), attachment bytes are passed through as they come.
 * Every length is checked against what is left; anything malformed is a BundleError.
 */
class LetterReader {
  private state: 'head' | 'document' | 'count' | 'name-length' | 'name' | 'size' | 'data' | 'done' = 'head';
  private want = 8;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private left = 0;
  private nameLength = 0;
  private name = '';
  private attachmentsLeft = 0;

  /** Collects `want` bytes for a fixed field; undefined until all are here. */
  private take(chunk: Uint8Array, at: number): [Uint8Array | undefined, number] {
    const n = Math.min(this.want - this.heldBytes, chunk.length - at);
    this.held.push(chunk.slice(at, at + n));
    this.heldBytes += n;
    if (this.heldBytes < this.want) return [undefined, at + n];
    const field = this.held.length === 1 ? this.held[0]! : new Uint8Array(Buffer.concat(this.held));
    this.held = [];
    this.heldBytes = 0;
    return [field, at + n];
  }

  feed(chunk: Uint8Array): LetterEvent[] {
    const out: LetterEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'done') throw new BundleError('trailing bytes after the attachments');
      if (this.state === 'data') {
        const n = Math.min(this.left, chunk.length - at);
        out.push({ t: 'data', bytes: chunk.subarray(at, at + n) });
        at += n;
        this.left -= n;
        if (this.left === 0) this.endAttachment(out);
        continue;
      }
      const [field, next] = this.take(chunk, at);
      at = next;
      if (field) this.step(field, out);
    }
    return out;
  }

  private step(field: Uint8Array, out: LetterEvent[]): void {
    const dv = new DataView(field.buffer, field.byteOffset, field.byteLength);
    switch (this.state) {
      case 'head': {
        if (MAGIC.some((b, i) => field[i] !== b)) throw new BundleError('not a QMail message bundle');
        const docLength = dv.getUint32(4);
        if (docLength > MAX_DOCUMENT_BYTES) throw new BundleError(`the message's document is over ${MAX_DOCUMENT_BYTES / 1048576} MB`);
        [this.state, this.want] = docLength ? ['document', docLength] : ['count', 1];
        if (!docLength) out.push({ t: 'document', bytes: new Uint8Array(0) });
        return;
      }
      case 'document':
        out.push({ t: 'document', bytes: field });
        [this.state, this.want] = ['count', 1];
        return;
      case 'count':
        this.attachmentsLeft = field[0]!;
        [this.state, this.want] = this.attachmentsLeft ? ['name-length', 2] : ['done', 0];
        return;
      case 'name-length':
        this.nameLength = dv.getUint16(0);
        [this.state, this.want] = this.nameLength ? ['name', this.nameLength] : ['size', 4];
        this.name = '';
        return;
      case 'name':
        this.name = new TextDecoder().decode(field);
        [this.state, this.want] = ['size', 4];
        return;
      case 'size':
        this.left = dv.getUint32(0);
        out.push({ t: 'attachment', name: this.name, size: this.left });
        this.state = 'data';
        if (this.left === 0) this.endAttachment(out);
        return;
      default:
        throw new BundleError('message bundle out of step');
    }
  }

  private endAttachment(out: LetterEvent[]): void {
    out.push({ t: 'attachment-end' });
    this.attachmentsLeft--;
    [this.state, this.want] = this.attachmentsLeft ? ['name-length', 2] : ['done', 0];
  }

  /** At the end of the bytes: the bundle must be whole. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state === 'head' || this.state === 'document' || this.state === 'count') throw new BundleError('message bundle truncated');
    throw new BundleError(this.state === 'data' ? 'attachment truncated' : 'attachment table truncated');
  }
}

/** A letter's fields from its CBDF document (everything but the attachments). */
function letterFields(docBytes: Uint8Array): Omit<OpenedLetter, 'attachments'> {
  let doc;
  try {
    doc = decodeDocument(docBytes);
  } catch (e) {
    throw new BundleError(`message body is not a CBDF document: ${(e as Error).message}`);
  }
  if (doc.kind !== 'phase2') throw new BundleError('message body is not a CBDF Phase II document');
  const m = metaView(doc.meta);
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
    ...(formatted && docBytes.length <= MAX_RICH_BODY_BYTES ? { document: docBytes.slice() } : {}),
    ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
  };
}

export function decodeLetter(bytes: Uint8Array): OpenedLetter {
  const reader = new LetterReader();
  const events = reader.feed(bytes);
  reader.finish();
  let fields: Omit<OpenedLetter, 'attachments'> | undefined;
  const attachments: Attachment[] = [];
  let open: { name: string; parts: Uint8Array[] } | undefined;
  for (const e of events) {
    if (e.t === 'document') fields = letterFields(e.bytes);
    else if (e.t === 'attachment') open = { name: e.name, parts: [] };
    else if (e.t === 'data') open!.parts.push(e.bytes);
    else attachments.push({ name: open!.name, data: new Uint8Array(Buffer.concat(open!.parts)) });
  }
  return { ...fields!, attachments };
}

/** Where a streamed letter's attachment goes, as its bytes are decrypted. */
export interface AttachmentWriter {
  write(bytes: Uint8Array): Promise<void>;
  /** All bytes written: what names the stored attachment. */
  finish(): Promise<string>;
  /** The letter failed: drop what was written. */
  abort(): Promise<void>;
}

export interface StoredLetter extends Omit<OpenedLetter, 'attachments'> {
  attachments: { name: string; size: number; ref: string }[];
}

/**
 * A sink for the decrypted bundle: the document is kept, each attachment is streamed to a
 * writer from `store` as it arrives. `letter()` resolves once the sink has ended whole;
 * on any failure every attachment written so far is dropped.
 */
export function letterSink(store: (name: string, size: number) => AttachmentWriter): { sink: Writable; letter(): Promise<StoredLetter> } {
  const reader = new LetterReader();
  let fields: Omit<OpenedLetter, 'attachments'> | undefined;
  const done: { name: string; size: number; ref: string }[] = [];
  const writers: AttachmentWriter[] = [];
  let current: { name: string; size: number; writer: AttachmentWriter } | undefined;
  let settle!: { resolve: (l: StoredLetter) => void; reject: (e: Error) => void };
  const result = new Promise<StoredLetter>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);
  const fail = async (e: Error) => {
    await Promise.all(writers.map((w) => w.abort().catch(() => undefined)));
    settle.reject(e);
  };
  const sink = new Writable({
    async write(chunk: Buffer, _enc, cb) {
      try {
        for (const e of reader.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
          if (e.t === 'document') fields = letterFields(e.bytes);
          else if (e.t === 'attachment') {
            current = { name: e.name, size: e.size, writer: store(e.name, e.size) };
            writers.push(current.writer);
          } else if (e.t === 'data') await current!.writer.write(e.bytes);
          else {
            done.push({ name: current!.name, size: current!.size, ref: await current!.writer.finish() });
            current = undefined;
          }
        }
        cb();
      } catch (e) {
        await fail(e as Error);
        cb(e as Error);
      }
    },
    final(cb) {
      try {
        reader.finish();
        settle.resolve({ ...fields!, attachments: done });
        cb();
      } catch (e) {
        void fail(e as Error).then(() => cb(e as Error));
      }
    },
    destroy(err, cb) {
      if (err) void fail(err).then(() => cb(err));
      else cb(null);
    },
  });
  return { sink, letter: () => result };
}

export { formatMailbox };
