// Property tests: round trips over random documents, and hostile bytes that may only ever
// produce CbdfError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phase2Arb, metaArb } from './arbitraries.test-helpers.js';
import {
  CbdfError, LeReader, LeWriter, decodeDocument, decodeMailbox, decodeMeta, decodeResources, decodeStyles, decodeText,
  encodeDocument, extractPlainText, withContentHash, zlibCompress, zlibDecompress, type CbdfDocument,
} from './index.js';

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CbdfError)) throw e;
    expect(typeof e.code).toBe('string');
  }
}

describe('round trips', () => {
  it('decode(encode(doc)) equals doc for random Phase II documents', () => {
    fc.assert(
      fc.property(phase2Arb, (doc) => {
        const bytes = encodeDocument(doc);
        expect(decodeDocument(bytes)).toEqual(doc);
      }),
      { numRuns: 300 },
    );
  });

  it('with a content hash (MD5 or SHA-256) the document still round-trips and verifies', () => {
    fc.assert(
      fc.property(phase2Arb, fc.constantFrom<1 | 2>(1, 2), (doc, alg) => {
        const hashed = withContentHash(doc, alg);
        const bytes = encodeDocument(hashed);
        expect(decodeDocument(bytes)).toEqual(hashed);
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
      fc.property(metaArb(0), fc.string({ maxLength: 50 }).filter((s) => !/[\ud800-\udfff]/.test(s)), (meta, body) => {
        const m = meta.filter((e) => ![31, 32, 37, 40, 42, 43].includes(e.key));
        const mo: CbdfDocument = { kind: 'metaOnly', meta: [...m, { key: 33, value: new Uint8Array([1]) }] };
        expect(decodeDocument(encodeDocument(mo))).toEqual(mo);
        const p1: CbdfDocument = { kind: 'phase1', body };
        expect(decodeDocument(encodeDocument(p1))).toEqual(p1);
        const p1m: CbdfDocument = { kind: 'phase1', meta: m.filter((e) => e.key !== 30), body };
        expect(decodeDocument(encodeDocument(p1m))).toEqual(p1m);
      }),
      { numRuns: 150 },
    );
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
    const mutation = fc.record({ doc: phase2Arb, at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('flip', 'cut', 'insert', 'delete') });
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
    w.bytes(meta).u8(0x1c).u32(bomb.length).u32(8 * 1024 * 1024).bytes(bomb).u8(0x1c).u32(0).u8(0x1c).u32(0);
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
