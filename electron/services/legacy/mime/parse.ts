// Reading one RFC 822 message with mailparser's streaming parser. Every size is bounded
// (the whole message, each header block, the part count, the text, what is held in
// memory) and a bound passed ends the parse with MimeError('too_large'). Attachments are
// never buffered here: each is handed to the caller's sink as a stream (the sealed
// attachment store, or a drain); only inline images (for cid: links) and the parts of our
// encrypted format stay in memory, within `maxMemoryBytes` together.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailParser, type AddressObject, type AttachmentStream, type HeaderValue, type MessageText } from 'mailparser';
import { MimeError } from './errors.js';

export interface MimeLimits {
  /** The whole message as it arrives (encoded). */
  maxMessageBytes: number;
  /** One part's header block. */
  maxHeadBytes: number;
  /** MIME parts, nested ones included. */
  maxParts: number;
  /** Text and HTML bodies, in characters once decoded. */
  maxTextChars: number;
  /** Inline images and encrypted-format parts held in memory, together. */
  maxMemoryBytes: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxHeadBytes: 256 * 1024,
  maxParts: 512,
  maxTextChars: 8 * 1024 * 1024,
  maxMemoryBytes: 48 * 1024 * 1024,
};

export interface MailAddress {
  address: string;
  name?: string;
}

export interface AttachmentInfo {
  /** Position among the message's attachments. */
  index: number;
  filename: string;
  contentType: string;
  inline: boolean;
  cid?: string;
}

export interface ParsedAttachment extends AttachmentInfo {
  size: number;
  /** Kept in memory: inline images and the parts of our encrypted format. */
  data?: Uint8Array;
  /** What the sink answered for this attachment (e.g. its id in the attachment store). */
  stored?: string;
}

/** Receives each attachment's decoded bytes as a stream; must read it to the end. */
export type AttachmentSink = (info: AttachmentInfo, content: Readable) => Promise<string | undefined>;

export interface ParsedMessage {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  from?: MailAddress;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Unix ms, when the Date header parses. */
  date?: number;
  text?: string;
  html?: string;
  attachments: ParsedAttachment[];
  /** The top-level Content-Type (lower case, no parameters) and our X-QKD-* headers, raw. */
  contentType: string;
  qkdHeaders: Record<string, string>;
}

export interface ParseOptions {
  limits?: Partial<MimeLimits>;
  sink?: AttachmentSink;
  /** Content types kept in memory whatever their disposition (the encrypted format's parts). */
  keepTypes?: readonly string[];
}

class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) done(new MimeError('too_large', `the message is over ${this.max} bytes`));
    else done(null, chunk);
  }
}

function addresses(v: HeaderValue | undefined): MailAddress[] {
  if (!v || typeof v !== 'object' || v instanceof Date) return [];
  const objs = (Array.isArray(v) ? v : [v]) as AddressObject[];
  const out: MailAddress[] = [];
  const walk = (list: AddressObject['value']): void => {
    for (const a of list ?? []) {
      if (a.group) walk(a.group);
      else if (a.address) out.push(a.name ? { address: a.address, name: a.name } : { address: a.address });
    }
  };
  for (const o of objs) if (o && typeof o === 'object' && 'value' in o) walk(o.value);
  return out;
}

function text(v: HeaderValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function ids(v: HeaderValue | undefined): string[] {
  const s = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').join(' ') : typeof v === 'string' ? v : '';
  return s.match(/<[^<>\s]{1,998}>/g) ?? [];
}

function readStream(content: Readable, budget: () => number, take: (n: number) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    content.on('data', (c: Buffer) => {
      if (c.length > budget()) {
        content.destroy(new MimeError('too_large', 'inline parts are over the memory bound'));
        return;
      }
      take(c.length);
      chunks.push(c);
    });
    content.once('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    content.once('error', reject);
  });
}

async function drain(content: Readable): Promise<undefined> {
  for await (const _ of content) void _;
  return undefined;
}

function asError(e: unknown): MimeError {
  if (e instanceof MimeError) return e;
  const err = e as { code?: string; message?: string };
  if (err?.code === 'EMAXLEN') return new MimeError('too_large', err.message ?? 'a MIME bound was passed');
  return new MimeError('malformed', `the message cannot be parsed: ${err?.message ?? String(e)}`);
}

/** Parses one message from bytes or a stream; see the file comment for the bounds. */
export async function parseMime(source: Uint8Array | Readable, opts: ParseOptions = {}): Promise<ParsedMessage> {
  const limits = { ...DEFAULT_MIME_LIMITS, ...opts.limits };
  const keep = new Set((opts.keepTypes ?? []).map((t) => t.toLowerCase()));
  const parser = new MailParser({
    maxHeadSize: limits.maxHeadBytes,
    maxChildNodes: limits.maxParts,
    maxHtmlLengthToParse: limits.maxTextChars,
    skipTextToHtml: true,
    skipImageLinks: true,
    checksumAlgo: false,
  });
  const out: ParsedMessage = {
    references: [],
    subject: '',
    replyTo: [],
    to: [],
    cc: [],
    attachments: [],
    contentType: 'text/plain',
    qkdHeaders: {},
  };
  let memory = 0;
  const work: Promise<unknown>[] = [];
  let failed: MimeError | undefined;
  const fail = (e: unknown): void => {
    failed ??= asError(e);
    parser.destroy();
  };

  parser.on('headers', (h: Map<string, HeaderValue>) => {
    out.messageId = ids(h.get('message-id'))[0];
    out.inReplyTo = ids(h.get('in-reply-to'))[0];
    out.references = ids(h.get('references')).slice(-100);
    out.subject = (text(h.get('subject')) ?? '').slice(0, 998);
    out.from = addresses(h.get('from'))[0];
    out.replyTo = addresses(h.get('reply-to')).slice(0, 100);
    out.to = addresses(h.get('to')).slice(0, 1000);
    out.cc = addresses(h.get('cc')).slice(0, 1000);
    const d = h.get('date');
    if (d instanceof Date && !Number.isNaN(d.getTime())) out.date = d.getTime();
    const ct = h.get('content-type');
    if (ct && typeof ct === 'object' && 'value' in ct && typeof ct.value === 'string') out.contentType = ct.value.toLowerCase();
    for (const [k, v] of h) if (k.startsWith('x-qkd-') && typeof v === 'string') out.qkdHeaders[k] = v.slice(0, 998);
  });

  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'text') {
      for (const [k, v] of [
        ['text', data.text],
        ['html', data.html],
      ] as const) {
        if (v === undefined) continue;
        if (v.length > limits.maxTextChars)
          return fail(new MimeError('too_large', `the ${k} body is over ${limits.maxTextChars} characters`));
        out[k] = v;
      }
      return;
    }
    if (out.attachments.length >= limits.maxParts) return fail(new MimeError('too_large', `more than ${limits.maxParts} attachments`));
    const contentType = (data.contentType || 'application/octet-stream').toLowerCase();
    const inline = data.contentDisposition === 'inline' || data.related === true;
    const cid = data.cid ? data.cid.replace(/^<|>$/g, '').slice(0, 998) : undefined;
    const info: AttachmentInfo = {
      index: out.attachments.length,
      filename: (data.filename ?? '').slice(0, 255),
      contentType,
      inline,
      ...(cid ? { cid } : {}),
    };
    const entry: ParsedAttachment = { ...info, size: 0 };
    out.attachments.push(entry);
    const content = data.content;
    let size = 0;
    content.on('data', (c: Buffer) => (size += c.length));
    const inMemory = keep.has(contentType) || (inline && cid !== undefined && contentType.startsWith('image/'));
    const job = (
      inMemory
        ? readStream(
            content,
            () => limits.maxMemoryBytes - memory,
            (n) => (memory += n),
          ).then((b) => void (entry.data = b))
        : (opts.sink ? opts.sink(info, content) : drain(content)).then((id) => void (id !== undefined && (entry.stored = id)))
    )
      .then(() => void (entry.size = size))
      .catch(fail)
      .finally(() => data.release?.());
    work.push(job);
  });

  const input = source instanceof Uint8Array ? Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]) : source;
  try {
    await pipeline(input, new ByteLimit(limits.maxMessageBytes), parser);
  } catch (e) {
    fail(e);
  }
  await Promise.allSettled(work);
  if (failed) throw failed;
  return out;
}
