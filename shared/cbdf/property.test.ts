// Property tests: round trips over random documents, and hostile bytes that may only ever
// produce CbdfError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phase2Arb, metaArb, stylesArb } from './arbitraries.test-helpers.js';
import { styleHeaders, stylesPayloadOf } from './strict-reader.test-helpers.js';
import {
  CbdfError,
  LeReader,
  LeWriter,
  SEPARATOR_COUNT,
  decodeDocument,
  decodeMailbox,
  decodeMeta,
  decodeResources,
  decodeStyles,
  decodeText,
  defaultBackground,
  defaultTextStyle,
  emptyStyles,
  encodeDocument,
  encodeStyles,
  extractPlainText,
  isSeparatorByte,
  padSeparatorCounts,
  validateStyles,
  withContentHash,
  zlibCompress,
  zlibDecompress,
  type CbdfDocument,
  type Phase2Document,
  type Styles,
} from './index.js';

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CbdfError)) throw e;
    expect(typeof e.code).toBe('string');
  }
}

/** What the encoder writes for `doc`: sub-tables of 7 records grown to 8. */
const asWritten = (doc: Phase2Document): Phase2Document => ({ ...doc, styles: padSeparatorCounts(doc.styles) });

const tableSizes = (st: Styles) => [
  st.background.records.length,
  st.border.length,
  st.spacing.length,
  st.shadow.length,
  st.composite.length,
  st.text.records.length,
  st.fontEffects.length,
  st.navBar.length,
  st.table.length,
  st.image.length,
  st.frame.length,
];

describe('round trips', () => {
  it('decode(encode(doc)) equals doc, with 7-record sub-tables grown to 8, for random Phase II documents', () => {
    let sevens = 0;
    fc.assert(
      fc.property(phase2Arb, (doc) => {
        if (tableSizes(doc.styles).includes(SEPARATOR_COUNT)) sevens++;
        const bytes = encodeDocument(doc);
        const back = decodeDocument(bytes);
        expect(back).toEqual(asWritten(doc));
        // Written once, the bytes are stable: encoding what was read gives the same bytes.
        expect(encodeDocument(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    expect(sevens).toBeGreaterThan(30);
  });

  it('with a content hash (MD5 or SHA-256) the document still round-trips and verifies', () => {
    fc.assert(
      fc.property(phase2Arb, fc.constantFrom<1 | 2>(1, 2), (doc, alg) => {
        const hashed = withContentHash(doc, alg);
        const bytes = encodeDocument(hashed);
        expect(decodeDocument(bytes)).toEqual(asWritten(hashed));
        // Flipping a byte in the Text section breaks the hash (or the structure), never silently.
        const flipped = bytes.slice();
        flipped[flipped.length - 12] = flipped[flipped.length - 12]! ^ 0x40;
        onlyTyped(() => decodeDocument(flipped));
      }),
      { numRuns: 100 },
    );
  });

  it('meta-only and Phase I documents round-trip', () => {
    fc.assert(
      fc.property(
        metaArb(0),
        fc.string({ maxLength: 50 }).filter((s) => !/[\ud800-\udfff]/.test(s)),
        (meta, body) => {
          const m = meta.filter((e) => ![31, 32, 37, 40, 42, 43].includes(e.key));
          const mo: CbdfDocument = { kind: 'metaOnly', meta: [...m, { key: 33, value: new Uint8Array([1]) }] };
          expect(decodeDocument(encodeDocument(mo))).toEqual(mo);
          const p1: CbdfDocument = { kind: 'phase1', body };
          expect(decodeDocument(encodeDocument(p1))).toEqual(p1);
          const p1m: CbdfDocument = { kind: 'phase1', meta: m.filter((e) => e.key !== 30), body };
          expect(decodeDocument(encodeDocument(p1m))).toEqual(p1m);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('sub-table headers are never separator bytes (0x1C–0x1F)', () => {
  it('a strict reader walks every random document and finds no separator-valued header', () => {
    fc.assert(
      fc.property(phase2Arb, (doc) => {
        const headers = styleHeaders(stylesPayloadOf(encodeDocument(doc)));
        // Every non-empty table (and the page background) announced itself with a header.
        expect(headers.length).toBe(tableSizes(doc.styles).filter((n) => n > 0).length + (doc.styles.pageBackground ? 1 : 0));
        for (const h of headers) expect(isSeparatorByte(h.value), `table ${h.table} header 0x${h.value.toString(16)}`).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('padding keeps every reference valid and adds exactly one record to each 7-record table', () => {
    fc.assert(
      fc.property(stylesArb, (st) => {
        const p = padSeparatorCounts(st);
        validateStyles(p, true);
        const before = tableSizes(st);
        tableSizes(p).forEach((n, i) => expect(n).toBe(before[i] === SEPARATOR_COUNT ? 8 : before[i]));
        // Only appended: the records that references point at are untouched.
        expect(p.text.records.slice(0, st.text.records.length)).toEqual(st.text.records);
        expect(p.image.slice(0, st.image.length)).toEqual(st.image);
        const ids = p.fontEffects.map((f) => f.effectId);
        expect(new Set(ids).size).toBe(ids.length);
        if (st.fontEffects.length === SEPARATOR_COUNT) {
          const added = p.fontEffects[SEPARATOR_COUNT]!;
          expect(st.text.records.some((t) => t.effectId !== 0 && t.effectId === added.effectId)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('our decoder still reads the 7-record form with a separator-valued header (0x1C at tier 0, 0x1E at tier 2)', () => {
    for (const tier of [0, 2] as const) {
      const sizes = [8, 12, 16] as const;
      const w = new LeWriter();
      w.u16(0).u8(0x1d); // LayoutID, GS: background empty
      for (let t = 1; t < 5; t++) w.u8(0x1d);
      w.u8(0x1d).u8((SEPARATOR_COUNT << 2) | tier); // Text Styles: 7 records
      for (let i = 0; i < SEPARATOR_COUNT; i++) {
        const rec = new Uint8Array(sizes[tier]);
        rec[2] = 10 + i; // font size
        rec[6] = 0x0c; // background: transparent
        w.bytes(rec);
      }
      for (let t = 6; t < 12; t++) w.u8(0x1d);
      const payload = w.finish();
      expect(payload[2 + 6]).toBe(tier === 0 ? 0x1c : 0x1e);
      const st = decodeStyles(payload, 0);
      expect(st.text.tier).toBe(tier);
      expect(st.text.records.map((r) => r.fontSize)).toEqual([10, 11, 12, 13, 14, 15, 16]);
      // Written again, it takes the padded form, which decodes to the same 7 plus one copy.
      const again = new LeWriter();
      encodeStyles(st, again);
      const back = decodeStyles(again.finish(), 0);
      expect(back.text.records).toEqual([...st.text.records, st.text.records[6]]);
    }
  });

  it('the padded form is what we write for 7 text styles, 7 backgrounds and 7 font effects', () => {
    const st = emptyStyles();
    st.text = { tier: 0, records: Array.from({ length: 7 }, (_, i) => ({ ...defaultTextStyle(), fontSize: 10 + i })) };
    st.background = { tier: 1, records: Array.from({ length: 7 }, () => defaultBackground()) };
    st.fontEffects = Array.from({ length: 7 }, (_, i) => ({ effectId: i, intensity: 1, paramA: 0, paramB: 0 }));
    const w = new LeWriter();
    encodeStyles(st, w);
    const bytes = w.finish();
    const headers = styleHeaders(bytes);
    expect(headers.map((h) => [h.table, h.value])).toEqual([
      [1, (8 << 2) | 1],
      [6, 8 << 2],
      [7, 8 << 2],
    ]);
    const back = decodeStyles(bytes, 0);
    expect(back.fontEffects[7]).toEqual({ effectId: 7, intensity: 0, paramA: 0, paramB: 0 });
  });
});

describe('hostile input only produces CbdfError', () => {
  const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
    ['document', (b) => decodeDocument(b)],
    ['meta', (b) => decodeMeta(new LeReader(b))],
    ['styles', (b) => decodeStyles(b, 0)],
    ['text', (b) => decodeText(b, 0, { text: 2, composite: 2, table: 1, image: 1, navBar: 1 })],
    ['resources', (b) => decodeResources(b, 0)],
    ['mailbox', (b) => decodeMailbox(b)],
    ['zlib', (b) => zlibDecompress(b, 1000, 1 << 20)],
  ];

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const [, d] of decoders) onlyTyped(() => d(bytes));
        expect(typeof extractPlainText(bytes, 'degraded')).toBe('string');
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid documents (flips, truncations, insertions)', () => {
    const mutation = fc.record({
      doc: phase2Arb,
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('flip', 'cut', 'insert', 'delete'),
    });
    fc.assert(
      fc.property(mutation, ({ doc, at, byte, kind }) => {
        const b = encodeDocument(doc);
        const i = at % b.length;
        let m: Uint8Array;
        if (kind === 'flip') {
          m = b.slice();
          m[i] = byte;
        } else if (kind === 'cut') m = b.slice(0, i);
        else if (kind === 'insert') m = new Uint8Array([...b.subarray(0, i), byte, ...b.subarray(i)]);
        else m = new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]);
        onlyTyped(() => decodeDocument(m));
        expect(typeof extractPlainText(m)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('a zip bomb is refused before it is inflated', () => {
    const bomb = zlibCompress(new Uint8Array(8 * 1024 * 1024));
    const meta = new Uint8Array([2, 0, 30, 1, 1, 31, 1, 1]);
    const w = new LeWriter();
    w.bytes(meta)
      .u8(0x1c)
      .u32(bomb.length)
      .u32(8 * 1024 * 1024)
      .bytes(bomb)
      .u8(0x1c)
      .u32(0)
      .u8(0x1c)
      .u32(0);
    const doc = w.finish();
    const t0 = Date.now();
    expect(() => decodeDocument(doc, { maxDecompressed: 1024 * 1024 })).toThrow(expect.objectContaining({ code: 'ZIP_BOMB' }));
    // Under-declared size: inflation stops as soon as the declared size is passed.
    const w2 = new LeWriter();
    w2.bytes(meta).u8(0x1c).u32(bomb.length).u32(1000).bytes(bomb).u8(0x1c).u32(0).u8(0x1c).u32(0);
    expect(() => decodeDocument(w2.finish())).toThrow(expect.objectContaining({ code: 'ZIP_BOMB' }));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('specific hard failures carry their codes', () => {
    const minimal = '02000001001e01011c0e00000000001d1d1d1d1d1d1d1d1d1d1d1d1c0200000002031c000000001c';
    const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));
    const code = (h: string) => {
      try {
        decodeDocument(hex(h));
        return 'ok';
      } catch (e) {
        return (e as CbdfError).code;
      }
    };
    expect(code(minimal + '00000000')).toBe('ok');
    expect(code(minimal + '0100000000')).toBe('LOGIC_NOT_ALLOWED');
    expect(code('02000001001e01021c')).toBe('UNSUPPORTED_VERSION');
    expect(code('01002101011c')).toBe('TRAILING_BYTES');
    expect(code('0100220100')).toBe('RETIRED_KEY');
    expect(code('0100220100')).toBe('RETIRED_KEY');
    // Receiver annotations (keys 200–219) are stripped on receive, never trusted.
    expect(decodeDocument(hex('0200c801ff210101'))).toEqual({ kind: 'metaOnly', meta: [{ key: 33, value: new Uint8Array([1]) }] });
    expect(code('02001e01011e0101')).toBe('DUPLICATE_KEY');
    expect(code('02000d0300060121010103')).toBe('BAD_META');
  });
});
