// The Text section control language (CBDF/1.0 §4.5): STX, tokens, ETX. Decoding is strict
// (reserved controls, unbalanced styles, bad payloads and bad UTF-8 are refused); the
// §4.5.2 plain-text extraction works on raw bytes and never needs a valid document.
import { fail } from './errors.js';
import type { LeWriter } from './le.js';
import { LeReader, isWellFormed, utf8Decode, utf8Encode } from './le.js';

export const C = {
  NOP: 0x00,
  SOH: 0x01,
  STX: 0x02,
  ETX: 0x03,
  DOC_END: 0x04,
  TAB: 0x09,
  LF: 0x0a,
  PARA: 0x0b,
  PAGE: 0x0c,
  HR: 0x0d,
  LINK: 0x0e,
  LINK_END: 0x0f,
  DATA: 0x10,
  STYLE_TEXT: 0x11,
  STYLE_CONTAINER: 0x12,
  STYLE_TABLE: 0x13,
  STYLE_END: 0x14,
  ELEMENT_ID: 0x15,
  IMAGE: 0x16,
  BLOCK_END: 0x17,
  ITEM_BLOCK: 0x19,
  AI_PROMPT: 0x1a,
  FS: 0x1c,
  GS: 0x1d,
  RS: 0x1e,
  US: 0x1f,
} as const;

export const LinkType = { URL: 0, QWEB: 1, MAILBOX: 2, ACTION: 3 } as const;
export const ItemType = { UNORDERED: 0, ORDERED: 1, NAV: 2, DEFINITION: 3 } as const;
export const MAX_STYLE_DEPTH = 32;

export type Token =
  | { t: 'text'; s: string }
  | { t: 'nop' }
  | { t: 'subject' }
  | { t: 'docEnd' }
  | { t: 'para' }
  | { t: 'page' }
  | { t: 'hr'; style: number }
  | { t: 'link'; type: number; target: Uint8Array }
  | { t: 'linkEnd' }
  | { t: 'data'; data: Uint8Array }
  | { t: 'styleText'; index: number }
  | { t: 'styleContainer'; index: number }
  | { t: 'styleTable'; index: number }
  | { t: 'styleEnd' }
  | { t: 'elementId'; id: number }
  | { t: 'image'; index: number }
  | { t: 'blockEnd' }
  | { t: 'itemBlock'; type: number; style: number }
  | { t: 'aiPrompt'; type: number; prompt: string }
  | { t: 'row' }
  | { t: 'cell' };

/** Table sizes that style indices are checked against (explicit styles only). */
export interface StyleCounts {
  text: number;
  composite: number;
  table: number;
  image: number;
  navBar: number;
}

const SIMPLE: Record<number, Token['t']> = {
  [C.NOP]: 'nop',
  [C.SOH]: 'subject',
  [C.DOC_END]: 'docEnd',
  [C.PARA]: 'para',
  [C.PAGE]: 'page',
  [C.LINK_END]: 'linkEnd',
  [C.STYLE_END]: 'styleEnd',
  [C.BLOCK_END]: 'blockEnd',
  [C.RS]: 'row',
  [C.US]: 'cell',
};
const SIMPLE_CODE = Object.fromEntries(Object.entries(SIMPLE).map(([k, v]) => [v, Number(k)])) as Record<string, number>;

type Frame = 'text' | 'block';

/** Checks the nesting rules shared by encoder and decoder. */
class Nesting {
  stack: Frame[] = [];
  inLink = false;
  constructor(private readonly counts: StyleCounts | undefined) {}
  index(v: number, limit: keyof StyleCounts, what: string, at?: number, allowNone = false): void {
    if (!this.counts) return;
    if (allowNone && v === 255) return;
    if (v >= this.counts[limit]) fail('STYLE_INDEX', `${what} index ${v} is out of range (${this.counts[limit]} record(s))`, at);
  }
  push(f: Frame, at?: number): void {
    if (this.stack.length >= MAX_STYLE_DEPTH) fail('STYLE_STACK', `style stack deeper than ${MAX_STYLE_DEPTH}`, at);
    this.stack.push(f);
  }
  pop(f: Frame, at?: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) fail('STYLE_STACK', `${f === 'text' ? 'STYLE_END' : 'BLOCK_END'} with an empty style stack`, at);
    if (top !== f)
      fail('STYLE_STACK', f === 'text' ? 'STYLE_END closes a block (use BLOCK_END)' : 'BLOCK_END closes a text style (use STYLE_END)', at);
    this.stack.pop();
  }
  token(tok: Token, at?: number): void {
    switch (tok.t) {
      case 'styleText':
        this.index(tok.index, 'text', 'text style', at);
        this.push('text', at);
        break;
      case 'styleContainer':
        this.index(tok.index, 'composite', 'container style', at);
        this.push('block', at);
        break;
      case 'styleTable':
        this.index(tok.index, 'table', 'table style', at);
        this.push('block', at);
        break;
      case 'itemBlock':
        this.index(tok.style, tok.type === ItemType.NAV ? 'navBar' : 'text', 'item-block style', at, true);
        this.push('block', at);
        break;
      case 'styleEnd':
        this.pop('text', at);
        break;
      case 'blockEnd':
        this.pop('block', at);
        break;
      case 'image':
        this.index(tok.index, 'image', 'image definition', at);
        break;
      case 'hr':
        this.index(tok.style, 'composite', 'rule style', at, true);
        break;
      case 'link':
        if (this.inLink) fail('BAD_TEXT', 'links cannot nest', at);
        this.inLink = true;
        break;
      case 'linkEnd':
        if (!this.inLink) fail('BAD_TEXT', 'LINK_END without LINK_START', at);
        this.inLink = false;
        break;
      default:
        break;
    }
  }
  end(at?: number): void {
    if (this.inLink) fail('BAD_TEXT', 'unclosed link at ETX', at);
    if (this.stack.includes('block')) fail('STYLE_STACK', 'unclosed block at ETX', at);
  }
}

function checkText(s: string): void {
  if (s.length === 0) fail('BAD_TEXT', 'empty text token');
  if (!isWellFormed(s)) fail('BAD_TEXT', 'text is not well-formed Unicode');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a)
      fail('BAD_TEXT', `control character 0x${c.toString(16)} inside a text token (use tokens; CR must be normalised to LF)`);
  }
}

function checkLink(type: number, target: Uint8Array, at?: number): void {
  if (type > 3) fail('BAD_TEXT', `link type ${type} is reserved`, at);
  if (type === LinkType.MAILBOX && target.length !== 7) fail('BAD_TEXT', 'a mailbox link target is 7 bytes', at);
  if (type === LinkType.URL || type === LinkType.QWEB) utf8Decode(target, 'link target', at);
}

/** Encodes the Text payload: STX tokens ETX. */
export function encodeText(tokens: readonly Token[], w: LeWriter, counts?: StyleCounts): void {
  const nest = new Nesting(counts);
  w.u8(C.STX);
  let prevText = false;
  for (const tok of tokens) {
    nest.token(tok);
    if (tok.t === 'text') {
      if (prevText) fail('BAD_TEXT', 'adjacent text tokens are not canonical; merge them');
      checkText(tok.s);
      w.bytes(utf8Encode(tok.s));
      prevText = true;
      continue;
    }
    prevText = false;
    const simple = SIMPLE_CODE[tok.t];
    if (simple !== undefined) {
      w.u8(simple);
      continue;
    }
    switch (tok.t) {
      case 'hr':
        w.u8(C.HR).u8(tok.style, 'rule style');
        break;
      case 'link':
        checkLink(tok.type, tok.target);
        if (tok.target.length > 255) fail('BAD_TEXT', 'link target longer than 255 bytes');
        w.u8(C.LINK).u8(tok.type, 'link type').u8(tok.target.length).bytes(tok.target);
        break;
      case 'data':
        if (tok.data.length > 0xffff) fail('BAD_TEXT', 'DATA_ESCAPE payload longer than 65535 bytes');
        w.u8(C.DATA).u16(tok.data.length).bytes(tok.data);
        break;
      case 'styleText':
        w.u8(C.STYLE_TEXT).u8(tok.index, 'style index');
        break;
      case 'styleContainer':
        w.u8(C.STYLE_CONTAINER).u8(tok.index, 'style index');
        break;
      case 'styleTable':
        w.u8(C.STYLE_TABLE).u8(tok.index, 'style index');
        break;
      case 'elementId':
        if (tok.id < 255) w.u8(C.ELEMENT_ID).u8(tok.id, 'element id');
        else w.u8(C.ELEMENT_ID).u8(0xff).u16(tok.id, 'element id');
        break;
      case 'image':
        w.u8(C.IMAGE).u8(tok.index, 'image index');
        break;
      case 'itemBlock':
        if (tok.type > 3) fail('BAD_TEXT', `item-block type ${tok.type} is reserved`);
        w.u8(C.ITEM_BLOCK).u8(tok.type).u8(tok.style, 'item style');
        break;
      case 'aiPrompt': {
        if (tok.type > 2) fail('BAD_TEXT', `AI-prompt type ${tok.type} is reserved`);
        if (!isWellFormed(tok.prompt)) fail('BAD_TEXT', 'AI prompt is not well-formed Unicode');
        const b = utf8Encode(tok.prompt);
        if (b.length > 0xffff) fail('BAD_TEXT', 'AI prompt longer than 65535 bytes');
        w.u8(C.AI_PROMPT).u8(tok.type).u16(b.length).bytes(b);
        break;
      }
      default:
        fail('BAD_TEXT', `unknown token ${(tok as { t: string }).t}`);
    }
  }
  nest.end();
  w.u8(C.ETX);
}

const RESERVED = new Set([0x05, 0x06, 0x07, 0x08, 0x18, 0x1b]);

/** Decodes a Text payload (STX … ETX) into tokens, enforcing every §4.5 rule. */
export function decodeText(payload: Uint8Array, base: number, counts?: StyleCounts): Token[] {
  if (payload.length < 2 || payload[0] !== C.STX) fail('BAD_TEXT', 'the Text section must start with STX', base);
  if (payload[payload.length - 1] !== C.ETX)
    fail('BAD_TEXT', 'the Text section must end with ETX where its length says', base + payload.length - 1);
  const r = new LeReader(payload.subarray(0, payload.length - 1), base);
  r.pos = 1;
  const nest = new Nesting(counts);
  const out: Token[] = [];
  while (!r.done) {
    const at = r.at;
    const b = r.bytes[r.pos]!;
    if (b >= 0x20 || b === C.TAB || b === C.LF) {
      let end = r.pos;
      while (end < r.bytes.length && (r.bytes[end]! >= 0x20 || r.bytes[end] === C.TAB || r.bytes[end] === C.LF)) end++;
      out.push({ t: 'text', s: utf8Decode(r.bytes.subarray(r.pos, end), 'text', at) });
      r.pos = end;
      continue;
    }
    r.pos++;
    let tok: Token;
    const simple = SIMPLE[b];
    if (simple) tok = { t: simple } as Token;
    else {
      switch (b) {
        case C.HR:
          tok = { t: 'hr', style: r.u8('rule style') };
          break;
        case C.LINK: {
          const type = r.u8('link type');
          const target = r.take(r.u8('link length'), 'link target');
          checkLink(type, target, at);
          tok = { t: 'link', type, target };
          break;
        }
        case C.DATA:
          tok = { t: 'data', data: r.take(r.u16('escape length'), 'escape data') };
          break;
        case C.STYLE_TEXT:
          tok = { t: 'styleText', index: r.u8('style index') };
          break;
        case C.STYLE_CONTAINER:
          tok = { t: 'styleContainer', index: r.u8('style index') };
          break;
        case C.STYLE_TABLE:
          tok = { t: 'styleTable', index: r.u8('style index') };
          break;
        case C.ELEMENT_ID: {
          let id = r.u8('element id');
          if (id === 0xff) {
            id = r.u16('element id');
            if (id < 255) fail('BAD_TEXT', 'element id below 255 must use the one-byte form', at);
          }
          tok = { t: 'elementId', id };
          break;
        }
        case C.IMAGE:
          tok = { t: 'image', index: r.u8('image index') };
          break;
        case C.ITEM_BLOCK: {
          const type = r.u8('item type');
          if (type > 3) fail('BAD_TEXT', `item-block type ${type} is reserved`, at);
          tok = { t: 'itemBlock', type, style: r.u8('item style') };
          break;
        }
        case C.AI_PROMPT: {
          const type = r.u8('prompt type');
          if (type > 2) fail('BAD_TEXT', `AI-prompt type ${type} is reserved`, at);
          const len = r.u16('prompt length');
          tok = { t: 'aiPrompt', type, prompt: utf8Decode(r.view(len, 'prompt'), 'AI prompt', at) };
          break;
        }
        case C.STX:
          fail('BAD_TEXT', 'STX inside the body', at);
          break;
        case C.ETX:
          fail('BAD_TEXT', 'ETX before the end of the Text section', at);
          break;
        case C.FS:
        case C.GS:
          fail('BAD_TEXT', `separator 0x${b.toString(16)} inside Text`, at);
          break;
        default:
          if (RESERVED.has(b)) fail('RESERVED_CONTROL', `control 0x${b.toString(16)} is reserved for Phase III`, at);
          fail('BAD_TEXT', `unexpected control 0x${b.toString(16)}`, at);
      }
    }
    nest.token(tok, at);
    out.push(tok);
  }
  nest.end(r.at);
  return out;
}

/** Payload sizes after a control byte, for the §4.5.2 skip table. −1: variable (handled). */
function skipPayload(body: Uint8Array, i: number): number {
  const b = body[i]!;
  switch (b) {
    case C.HR:
    case C.STYLE_TEXT:
    case C.STYLE_CONTAINER:
    case C.STYLE_TABLE:
    case C.IMAGE:
      return 1;
    case C.ITEM_BLOCK:
      return 2;
    case C.LINK:
      return 2 + (body[i + 2] ?? 0);
    case C.DATA:
      return 2 + ((body[i + 1] ?? 0) | ((body[i + 2] ?? 0) << 8));
    case C.ELEMENT_ID:
      return body[i + 1] === 0xff ? 3 : 1;
    case C.AI_PROMPT:
      return 3 + ((body[i + 2] ?? 0) | ((body[i + 3] ?? 0) << 8));
    default:
      return 0;
  }
}

export type ExtractMode = 'strict' | 'degraded';

/**
 * §4.5.2 degrade-to-text over raw Text bytes (STX … ETX, or a Phase I body): keeps bytes
 * ≥ 0x20, TAB and LF, skips every other control with its payload. `degraded` also maps
 * US → TAB, RS → LF and PARA_BREAK → blank line. Invalid UTF-8 becomes U+FFFD.
 */
export function extractPlainText(body: Uint8Array, mode: ExtractMode = 'strict'): string {
  let i = 0;
  if (body[0] === C.STX) i = 1;
  const out: number[] = [];
  while (i < body.length) {
    const b = body[i]!;
    if (b === C.ETX) break;
    if (b >= 0x20 || b === C.TAB || b === C.LF) {
      out.push(b);
      i++;
      continue;
    }
    if (mode === 'degraded') {
      if (b === C.US) out.push(C.TAB);
      else if (b === C.RS) out.push(C.LF);
      else if (b === C.PARA) out.push(C.LF, C.LF);
    }
    i += 1 + skipPayload(body, i);
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(out));
}

/** Splits plain text into canonical tokens: CRLF/CR → LF, other controls dropped. */
export function plainToTokens(text: string): Token[] {
  const normalised = text.replace(/\r\n?/g, '\n');
  let clean = '';
  for (let i = 0; i < normalised.length; i++) {
    const c = normalised.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = normalised.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        clean += normalised[i]! + normalised[i + 1]!;
        i++;
      } else clean += '\ufffd';
      continue;
    }
    clean += c >= 0xdc00 && c <= 0xdfff ? '\ufffd' : normalised[i]!;
  }
  return clean ? [{ t: 'text', s: clean }] : [];
}

/** Merges adjacent text tokens and drops empty ones (the canonical token stream). */
export function canonicalTokens(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (const tok of tokens) {
    if (tok.t === 'text') {
      if (!tok.s) continue;
      const prev = out[out.length - 1];
      if (prev && prev.t === 'text') out[out.length - 1] = { t: 'text', s: prev.s + tok.s };
      else out.push(tok);
    } else out.push(tok);
  }
  return out;
}
