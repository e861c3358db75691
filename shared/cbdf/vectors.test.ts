// Every CBDF vector file in the conformance directory is loaded and checked byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  LeReader,
  LeWriter,
  alphaOf565,
  decodeDocument,
  decodeMailbox,
  decodeResources,
  encodeDocument,
  encodeResources,
  extractPlainText,
  metaView,
  rgbFrom565,
  rgbTo565,
  decodeText,
  encodeText,
} from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '../../../shared/conformance/qmail-open-standard/cbdf/vectors');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const handled = new Set<string>();

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
}
function byVector(kind: string): Record<string, unknown> {
  for (const f of files) {
    const v = load(f);
    if (v.vector === kind) {
      handled.add(f);
      return v;
    }
  }
  throw new Error(`vector ${kind} not found`);
}

describe('CBDF conformance vectors', () => {
  it('finds the vector directory and reads every file', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(() => load(f)).not.toThrow();
  });

  it('meta-only SMS document', () => {
    const v = byVector('meta-only-sms');
    const bytes = fromHex(v.bytes_hex as string);
    expect(bytes.length).toBe(v.length_bytes);
    const doc = decodeDocument(bytes);
    expect(doc.kind).toBe('metaOnly');
    if (doc.kind !== 'metaOnly') return;
    const f = metaView(doc.meta);
    expect(f.fileType).toBe(2);
    expect(f.version).toBe(1);
    expect(f.metaOnly).toBe(true);
    expect(f.subject).toBe('On my way');
    expect(f.from).toEqual({ coinGroup: 6, denomination: 1, serial: 42 });
    expect(f.to).toEqual([{ coinGroup: 6, denomination: 1, serial: 100 }]);
    expect(f.timestamp).toBe(1785312000);
    expect(toHex(encodeDocument(doc))).toBe(v.bytes_hex);
  });

  it('Phase I body object', () => {
    const v = byVector('phase1-body-object');
    const bytes = fromHex(v.bytes_hex as string);
    expect(bytes.length).toBe(v.length_bytes);
    const doc = decodeDocument(bytes);
    expect(doc).toEqual({ kind: 'phase1', body: 'Hello, world.' });
    expect(toHex(encodeDocument(doc))).toBe(v.bytes_hex);
  });

  it('Phase II minimal document', () => {
    const v = byVector('phase2-minimal-document');
    const bytes = fromHex(v.bytes_hex as string);
    expect(bytes.length).toBe(v.length_bytes);
    const doc = decodeDocument(bytes);
    expect(doc.kind).toBe('phase2');
    if (doc.kind !== 'phase2') return;
    expect(doc.styles.layoutId).toBe(0);
    expect(doc.text).toEqual([]);
    expect(doc.resources).toEqual([]);
    expect(metaView(doc.meta)).toEqual({ fileType: 0, version: 1 });
    expect(toHex(encodeDocument(doc))).toBe(v.bytes_hex);
  });

  it('R5G6B5 colours and transparency codes', () => {
    const v = byVector('colors-r5g6b5');
    const colors = v.colors as Array<{ rgb8_in: [number, number, number]; r5g6b5: string; le_bytes: string; rgb8_decoded: number[] }>;
    expect(colors.length).toBeGreaterThan(0);
    for (const c of colors) {
      const code = rgbTo565(...c.rgb8_in);
      expect(code).toBe(parseInt(c.r5g6b5, 16));
      const le = new LeWriter(2).u16(code).finish();
      expect(toHex(le)).toBe(toHex(fromHex(c.le_bytes)));
      expect(new LeReader(le).u16()).toBe(code);
      expect(rgbFrom565(code)).toEqual(c.rgb8_decoded);
    }
    for (const t of v.transparency_codes as Array<{ code: string; alpha: number }>) expect(alphaOf565(parseInt(t.code, 16))).toBe(t.alpha);
    const safe = parseInt(v.reserved_safe_code as string, 16);
    // Every RGB input landing on a transparency code is diverted to the safe code.
    for (let b = 0; b < 256; b++) {
      const c = rgbTo565(0, 0, b);
      expect(c < 0x0c || c > 0x10).toBe(true);
      if (Math.round((b * 31) / 255) >= 0x0c && Math.round((b * 31) / 255) <= 0x10) expect(c).toBe(safe);
    }
  });

  it('resource record framing', () => {
    const v = byVector('resource-record');
    const bytes = fromHex(v.bytes_hex as string);
    const r = new LeReader(bytes);
    const len = r.u32();
    const list = decodeResources(r.view(len, 'resources'), 4);
    expect(list).toEqual([{ id: 0, type: 0, data: fromHex('deadbeef') }]);
    const w = new LeWriter();
    encodeResources(list, w);
    const payload = w.finish();
    expect(toHex(new LeWriter().u32(payload.length).bytes(payload).finish())).toBe(v.bytes_hex);
  });

  it('plain-text extraction (strict and degraded) and the body it comes from', () => {
    const v = byVector('plaintext-extraction');
    const body = fromHex(v.text_body_hex as string);
    expect(extractPlainText(body, 'strict')).toBe(v.expected_plain_strict);
    expect(extractPlainText(body, 'degraded')).toBe(v.expected_plain_degraded);
    // The body is also a valid Text payload for a client-default style set; it re-encodes exactly.
    const tokens = decodeText(body, 0);
    const w = new LeWriter();
    encodeText(tokens, w);
    expect(toHex(w.finish())).toBe(v.text_body_hex);
  });

  it('handled every vector file in the directory', () => {
    expect([...handled].sort()).toEqual(files);
  });
});

// Guard against silent mailbox drift: the vector's 7-byte From value decodes as expected.
it('mailbox codec matches the vector bytes', () => {
  expect(decodeMailbox(fromHex('00 06 01 2A 00 00 00'))).toEqual({ coinGroup: 6, denomination: 1, serial: 42 });
});
