// A lean reader of IMAP server responses for the bulk initial FETCH (imap/bulk.ts): bytes in,
// whole responses out (a line with its literals), and the FETCH responses turned into what
// the sync stores (flags, size, envelope, whether there are attachments).
//
// It reads hostile input: a response larger than MAX_RESPONSE or a literal larger than
// MAX_LITERAL is `oversized` before it is buffered, lists nested deeper than MAX_DEPTH are
// `too_deep`, anything that is not IMAP syntax is `malformed`; memory stays within one
// response. The envelope fields the store keeps are read as imapflow's parseEnvelope reads
// them, with imapflow's own decoders wherever a value holds an RFC 2047 encoded word (the
// same strings the imapflow path stores; tests/integration/legacy-bulk.test.ts compares the
// two); the body structure is only walked for the attachment bit, with imapflow's parameter
// decoding where a name or filename parameter is present.
// Longer than 400 lines on purpose: framing, tokens and the FETCH items are one reader of one
// kind of server answer, bounded and tested together (fetch-parser.test.ts, the fuzz target).
import { decodeText, getStructuredParams, parseEnvelope, processName } from 'imapflow/lib/tools.js';
import type { MessageAddressObject, MessageEnvelopeObject } from 'imapflow';

export const MAX_RESPONSE = 2 * 1024 * 1024;
export const MAX_LITERAL = 1024 * 1024;
export const MAX_DEPTH = 48;

export type ImapParseErrorCode = 'malformed' | 'oversized' | 'too_deep';

export class ImapParseError extends Error {
  override readonly name = 'ImapParseError';
  constructor(
    readonly code: ImapParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A string, atom or literal (imapflow's token shape, so its decoders read it), NIL, or a list. */
export type Token = { value: string } | null | Token[];

const CR = 13;
const LF = 10;
const SP = 32;
const DQUOTE = 34;
const LPAREN = 40;
const RPAREN = 41;
const BACKSLASH = 92;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const TILDE = 126;

/** `{n}` (or `{n+}`, `~{n}`) ending a line at `end` (the byte before CR LF): n, else -1. */
function literalAt(b: Buffer, lineStart: number, end: number): number {
  if (end <= lineStart || b[end - 1] !== RBRACE) return -1;
  let i = end - 2;
  if (i >= lineStart && b[i] === 43 /* + */) i--;
  let n = 0;
  let digits = 0;
  let scale = 1;
  while (i >= lineStart && b[i]! >= 48 && b[i]! <= 57) {
    n += (b[i]! - 48) * scale;
    scale *= 10;
    digits++;
    i--;
  }
  if (!digits || i < lineStart || b[i] !== LBRACE) return -1;
  if (digits > 10) throw new ImapParseError('oversized', 'literal length out of range');
  return n;
}

/**
 * Splits a byte stream into whole responses. `push` hands each complete response (without
 * its final CRLF) to `out` synchronously; the buffer passed is only valid during the call.
 */
export class ResponseFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the current response's current line starts, and where to look for its end. */
  private lineStart = 0;
  private scanFrom = 0;
  /** Literal bytes of the current response still to come. */
  private need = 0;

  constructor(
    private readonly maxResponse = MAX_RESPONSE,
    private readonly maxLiteral = MAX_LITERAL,
  ) {}

  /** Bytes held for a response not complete yet. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer, out: (response: Buffer) => void): void {
    const b = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let start = 0; // where the current response starts
    let i = this.scanFrom;
    let lineStart = this.lineStart;
    for (;;) {
      if (this.need) {
        const avail = b.length - i;
        if (avail < this.need) {
          this.need -= avail;
          i = b.length;
          break;
        }
        i += this.need;
        this.need = 0;
        lineStart = i;
      }
      const nl = b.indexOf(LF, i);
      if (nl < 0) {
        i = b.length;
        break;
      }
      const end = nl > lineStart && b[nl - 1] === CR ? nl - 1 : nl;
      const lit = literalAt(b, lineStart, end);
      if (lit >= 0) {
        if (lit > this.maxLiteral) throw new ImapParseError('oversized', `a literal of ${lit} bytes`);
        if (nl + 1 - start + lit > this.maxResponse) throw new ImapParseError('oversized', 'a response over its bound');
        this.need = lit;
        i = nl + 1;
        if (!lit) lineStart = i;
        continue;
      }
      out(b.subarray(start, end));
      start = nl + 1;
      i = start;
      lineStart = start;
    }
    if (b.length - start > this.maxResponse) throw new ImapParseError('oversized', 'a response over its bound');
    // Keep only the incomplete response (copied, so the socket's chunk is not held).
    this.buf = start < b.length ? Buffer.from(b.subarray(start)) : Buffer.alloc(0);
    this.scanFrom = i - start;
    this.lineStart = lineStart - start;
  }
}

function atomEnd(b: Buffer, i: number, end: number): number {
  let bracket = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === LBRACKET) bracket++;
    else if (c === RBRACKET) bracket--;
    else if (bracket > 0) {
      if (c < SP || c === 127) break;
    } else if (c === SP || c === LPAREN || c === RPAREN || c === DQUOTE || c === LBRACE || c < SP || c === 127) break;
  }
  return i;
}

/** The tokens of `b[start, end)`: atoms, strings and literals as {value}, NIL as null, lists as arrays. */
export function tokenize(b: Buffer, start: number, end: number): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  let cur = root;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c === SP) {
      i++;
    } else if (c === LPAREN) {
      if (stack.length > MAX_DEPTH) throw new ImapParseError('too_deep', 'lists nested too deep');
      const l: Token[] = [];
      cur.push(l);
      stack.push(l);
      cur = l;
      i++;
    } else if (c === RPAREN) {
      if (stack.length === 1) throw new ImapParseError('malformed', 'unbalanced )');
      stack.pop();
      cur = stack[stack.length - 1]!;
      i++;
    } else if (c === DQUOTE) {
      let j = i + 1;
      let escaped = false;
      for (; j < end; j++) {
        const d = b[j]!;
        if (d === DQUOTE) break;
        if (d === CR || d === LF) throw new ImapParseError('malformed', 'a line break in a quoted string');
        if (d === BACKSLASH) {
          escaped = true;
          j++;
        }
      }
      if (j >= end) throw new ImapParseError('malformed', 'an unterminated quoted string');
      let value: string;
      if (!escaped) value = b.toString('utf8', i + 1, j);
      else {
        const out = Buffer.allocUnsafe(j - i - 1);
        let k = 0;
        for (let p = i + 1; p < j; p++) {
          if (b[p] === BACKSLASH) p++;
          out[k++] = b[p]!;
        }
        value = out.toString('utf8', 0, k);
      }
      cur.push({ value });
      i = j + 1;
    } else if (c === LBRACE || (c === TILDE && b[i + 1] === LBRACE)) {
      let j = c === TILDE ? i + 2 : i + 1;
      let n = 0;
      const digits = j;
      while (j < end && b[j]! >= 48 && b[j]! <= 57) n = n * 10 + (b[j++]! - 48);
      if (j === digits || j - digits > 10) throw new ImapParseError('malformed', 'a bad literal length');
      if (b[j] === 43 /* + */) j++;
      if (b[j] !== RBRACE) throw new ImapParseError('malformed', 'a bad literal');
      j++;
      if (b[j] === CR) j++;
      if (b[j] !== LF) throw new ImapParseError('malformed', 'a literal not followed by a line break');
      j++;
      if (j + n > end) throw new ImapParseError('malformed', 'a literal longer than its response');
      cur.push({ value: b.toString('utf8', j, j + n) });
      i = j + n;
    } else {
      const j = atomEnd(b, i, end);
      if (j === i) throw new ImapParseError('malformed', `an unexpected byte ${c}`);
      if (j - i === 3 && (b[i]! | 32) === 110 && (b[i + 1]! | 32) === 105 && (b[i + 2]! | 32) === 108) cur.push(null);
      else cur.push({ value: b.toString('latin1', i, j) });
      i = j;
    }
  }
  if (stack.length !== 1) throw new ImapParseError('malformed', 'unbalanced (');
  return root;
}

/** What a response is, read from its first bytes (only a FETCH is tokenized further). */
export type Response =
  | { kind: 'fetch'; seq: number; body: Buffer }
  | { kind: 'untagged'; text: string }
  | { kind: 'continue'; text: string }
  | { kind: 'tagged'; tag: string; status: 'OK' | 'NO' | 'BAD'; text: string };

const FETCH_HEAD = /^\* (\d{1,10}) FETCH /i;
const TAGGED = /^([\x21-\x7e]+) (OK|NO|BAD)(?: (.*))?$/is;
/** Only so much of a status line is kept as text (error messages, response codes). */
const MAX_TEXT = 4096;

export function classifyResponse(r: Buffer): Response {
  const head = r.toString('latin1', 0, Math.min(r.length, 32));
  const f = FETCH_HEAD.exec(head);
  if (f) return { kind: 'fetch', seq: Number(f[1]), body: r.subarray(f[0].length) };
  const text = r.toString('utf8', 0, Math.min(r.length, MAX_TEXT));
  if (r[0] === 42 /* * */ && r[1] === SP) return { kind: 'untagged', text: text.slice(2) };
  if (r[0] === 43 /* + */) return { kind: 'continue', text: text.slice(2) };
  const t = TAGGED.exec(text);
  if (!t) throw new ImapParseError('malformed', 'not an IMAP response');
  return { kind: 'tagged', tag: t[1]!, status: t[2]!.toUpperCase() as 'OK' | 'NO' | 'BAD', text: t[3] ?? '' };
}

/** What the sync keeps of one FETCH response. */
export interface FetchedHeaders {
  seq: number;
  /** 0 when the answer carried no UID. */
  uid: number;
  flags: string[];
  size: number;
  envelope?: MessageEnvelopeObject;
  internalDate?: string;
  hasAttachments: boolean;
}

const str = (t: Token | undefined): string => (t && !Array.isArray(t) ? t.value : '');

function uint(t: Token | undefined, what: string): number {
  const v = str(t);
  if (!/^\d{1,10}$/.test(v)) throw new ImapParseError('malformed', `a bad ${what}`);
  const n = Number(v);
  if (n > 0xffffffff) throw new ImapParseError('malformed', `a bad ${what}`);
  return n;
}

/** A body parameter as imapflow decodes it (RFC 2047 words, RFC 2231 continuations), or undefined. */
function param(list: Token | undefined, key: string): string | undefined {
  if (!Array.isArray(list)) return undefined;
  let present = false;
  for (let j = 0; j < list.length; j += 2) {
    const k = str(list[j]).toLowerCase();
    if (k === key || k.startsWith(`${key}*`)) present = true;
  }
  if (!present) return undefined;
  return (getStructuredParams(list as never) as Record<string, unknown>)[key] as string | undefined;
}

/**
 * Whether a BODYSTRUCTURE has an attachment, by the rule the imapflow path applies to its
 * parsed structure: a multipart asks its parts, a message/rfc822 its inner message; a leaf
 * has one when its disposition is `attachment` or it names a file (disposition `filename`,
 * else content-type `name`). The positions read are imapflow's parseBodystructure's.
 */
export function hasAttachment(node: Token[]): boolean {
  if (Array.isArray(node[0])) {
    for (let i = 0; Array.isArray(node[i]); i++) if (hasAttachment(node[i] as Token[])) return true;
    return false;
  }
  const type = `${str(node[0]).toLowerCase()}/${str(node[1]).toLowerCase()}`;
  const params = node[2];
  let i = 7;
  if (type === 'message/rfc822') {
    const inner = node[8];
    if (inner) return Array.isArray(inner) ? hasAttachment(inner) : false;
    i = 10;
  }
  if (type.startsWith('text/') && !(node.length === 11 && Array.isArray(node[i + 1]) && !Array.isArray(node[i + 2]))) i++;
  if (i < node.length) i++; // md5
  let disposition = '';
  let dispositionParams: Token | undefined;
  if (i < node.length) {
    const d = node[i];
    if (Array.isArray(d) && d.length) {
      disposition = str(d[0]).toLowerCase();
      if (Array.isArray(d[1])) dispositionParams = d[1];
    }
  }
  if (disposition === 'attachment') return true;
  const filename = dispositionParams ? param(dispositionParams, 'filename') : undefined;
  return Boolean(filename ?? param(params, 'name'));
}

/** An ENVELOPE name: encoded words decoded, surrounding quotes dropped (imapflow's decodeText). */
const text = (v: string): string => (v.includes('=?') ? decodeText(v) : processName(v));

function addresses(list: Token | undefined): MessageAddressObject[] | undefined {
  if (!Array.isArray(list) || !list.length) return undefined;
  const out: MessageAddressObject[] = [];
  for (const a of list) {
    if (!Array.isArray(a)) continue;
    const name = text(str(a[0]));
    const mailbox = str(a[2]);
    const host = str(a[3]);
    // A NIL host is RFC 5322 group syntax: the group's name, no address.
    const entry = host ? { name, address: `${mailbox}@${host}` } : { name: name || (mailbox && text(mailbox)), address: '' };
    if (entry.name || entry.address) out.push(entry);
  }
  return out;
}

/**
 * The envelope fields the store keeps (date, subject, from, to, cc, in-reply-to, message-id),
 * as imapflow's parseEnvelope gives them; sender, reply-to and bcc are not read.
 */
export function readEnvelope(e: Token[]): MessageEnvelopeObject {
  const out: MessageEnvelopeObject = {};
  const date = str(e[0]);
  if (date) {
    const d = new Date(date);
    out.date = Number.isNaN(d.getTime()) ? (date as unknown as Date) : d;
  }
  const subject = str(e[1]);
  if (subject) out.subject = subject.includes('=?') ? (parseEnvelope([null, e[1]!] as never).subject ?? '') : subject;
  const from = addresses(e[2]);
  if (from) out.from = from;
  const to = addresses(e[5]);
  if (to) out.to = to;
  const cc = addresses(e[6]);
  if (cc) out.cc = cc;
  const inReplyTo = str(e[8]);
  if (inReplyTo) out.inReplyTo = inReplyTo.trim();
  const messageId = str(e[9]);
  if (messageId) out.messageId = messageId.trim();
  return out;
}

/** Whatever imapflow's decoders throw on a shape they did not expect becomes a typed error. */
function typed<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch {
    throw new ImapParseError('malformed', `a bad ${what}`);
  }
}

/** The parts of a FETCH response's attribute list the initial sync asked for. */
export function readFetch(seq: number, body: Buffer): FetchedHeaders {
  const top = tokenize(body, 0, body.length);
  const attrs = top[0];
  if (top.length !== 1 || !Array.isArray(attrs) || attrs.length % 2) throw new ImapParseError('malformed', 'a bad FETCH response');
  const out: FetchedHeaders = { seq, uid: 0, flags: [], size: 0, hasAttachments: false };
  for (let j = 0; j < attrs.length; j += 2) {
    const v = attrs[j + 1];
    switch (str(attrs[j]).toUpperCase()) {
      case 'UID':
        out.uid = uint(v, 'UID');
        break;
      case 'FLAGS':
        if (!Array.isArray(v)) throw new ImapParseError('malformed', 'a bad FLAGS list');
        out.flags = v.map(str);
        break;
      case 'RFC822.SIZE':
        out.size = uint(v, 'size');
        break;
      case 'INTERNALDATE':
        if (v) out.internalDate = str(v);
        break;
      case 'ENVELOPE':
        if (Array.isArray(v)) out.envelope = typed('ENVELOPE', () => readEnvelope(v));
        break;
      case 'BODYSTRUCTURE':
        if (Array.isArray(v)) out.hasAttachments = typed('BODYSTRUCTURE', () => hasAttachment(v));
        break;
      default:
        break;
    }
  }
  // An unsolicited FETCH (another session changed flags) may come without a UID: uid stays 0.
  return out;
}
