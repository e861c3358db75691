// Shared shapes of the codec test suites: conformance vector files (every file in a
// directory must have a check, and be readable) and codec properties (round trip,
// canonical encode, hostile bytes raise only the module's typed error).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vector files are free-form JSON
export type Json = Record<string, any>;

/** The conformance folder beside the repository, as CI lays it out (../shared/…). */
export function conformanceDir(family: string): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/conformance/qmail-open-standard', family, 'vectors');
}

export function loadVector(dir: string, name: string): Json {
  return JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as Json;
}

export function describeVectorFiles(title: string, dir: string, handlers: Record<string, (v: Json) => void>): void {
  describe(title, () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    it('reads every vector file and has a check for each', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(files).toEqual(Object.keys(handlers).sort());
      for (const f of files) expect(() => loadVector(dir, f)).not.toThrow();
    });
    for (const f of Object.keys(handlers)) it(f, () => handlers[f]!(loadVector(dir, f)));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each row pairs its own value type
export type CodecCase = [label: string, arbitrary: fc.Arbitrary<any>, encode: (x: any) => Uint8Array, decode: (b: Uint8Array) => unknown];

export function expectOnlyTyped(errorClass: new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(errorClass);
    expect(typeof (e as { code?: unknown }).code).toBe('string');
  }
}

/** Round trips, canonical encoding, and random/truncated/mutated bytes for each codec. */
export function describeCodecProperties(title: string, errorClass: new (...args: never[]) => Error, codecs: CodecCase[]): void {
  const u8 = fc.integer({ min: 0, max: 255 });
  describe(title, () => {
    for (const [label, arb, enc, dec] of codecs) {
      it(`${label}: decode(encode(x)) = x and encode is canonical`, () => {
        fc.assert(
          fc.property(arb, (x) => {
            const b = enc(x);
            expect(dec(b)).toEqual(x);
            expect(enc(dec(b))).toEqual(b);
          }),
          { numRuns: 60 },
        );
      });
      it(`${label}: random, truncated and mutated bytes only raise ${errorClass.name}`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 400 }), (junk) => {
            expectOnlyTyped(errorClass, () => dec(junk));
            expectOnlyTyped(errorClass, () => dec(Uint8Array.from([...junk, 0x3e, 0x3e])));
          }),
          { numRuns: 150 },
        );
        fc.assert(
          fc.property(arb, fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }), fc.nat(), (x, edits, cut) => {
            const b = enc(x).slice();
            if (b.length === 0) return;
            for (const [at, v] of edits) b[at % b.length] = v;
            expectOnlyTyped(errorClass, () => dec(b));
            expectOnlyTyped(errorClass, () => dec(b.subarray(0, cut % (b.length + 1))));
          }),
          { numRuns: 100 },
        );
      });
    }
  });
}
