// A deliberately strict, independent reading of a Styles section, for tests: it walks the
// framing of CBDF/1.0 §4.4 the way the strictest decoder we know of does (after a GS, the
// next byte being GS or FS means an empty sub-table) and returns every header byte it read.
// It shares no code with styles.ts, so it checks the encoder rather than agreeing with it.
import { LeReader } from './le.js';
import { decodeMeta, metaGet } from './meta.js';
import { zlibDecompress } from './compression.js';

const FS = 0x1c;
const GS = 0x1d;
/** Record sizes per tier, §4.4.2, in sub-table order (Forms carries no records). */
const SIZES: ReadonlyArray<readonly number[]> = [[6, 12, 20], [9], [4], [4], [5], [8, 12, 16], [4], [12], [6], [8], [8], []];

export interface HeaderByte {
  /** 'page background' or the sub-table's position, 1–12. */
  table: string | number;
  at: number;
  value: number;
}

/** The header bytes of a Styles payload; throws where a strict reader would fail. */
export function styleHeaders(styles: Uint8Array): HeaderByte[] {
  const out: HeaderByte[] = [];
  let i = 2; // LayoutID
  const byte = (what: string): number => {
    if (i >= styles.length) throw new Error(`strict reader: truncated at ${what}`);
    return styles[i++]!;
  };
  if (i < styles.length && styles[i] !== GS) {
    const at = i;
    const h = byte('page background header');
    out.push({ table: 'page background', at, value: h });
    if ((h & 3) === 3 || h >> 2 !== 1) throw new Error(`strict reader: bad page background header 0x${h.toString(16)}`);
    i += SIZES[0]![h & 3]!;
  }
  for (let t = 0; t < 12; t++) {
    const sep = byte(`GS before sub-table ${t + 1}`);
    if (sep !== GS) throw new Error(`strict reader: expected GS before sub-table ${t + 1} at ${i - 1}, found 0x${sep.toString(16)}`);
    if (i >= styles.length || styles[i] === GS || styles[i] === FS) continue;
    const at = i;
    const h = byte(`sub-table ${t + 1} header`);
    out.push({ table: t + 1, at, value: h });
    const tier = h & 3;
    const count = h >> 2;
    if (tier === 3) throw new Error(`strict reader: reserved tier in sub-table ${t + 1}`);
    if (count === 0) continue;
    const size = SIZES[t]![tier] ?? SIZES[t]![0];
    if (size === undefined) throw new Error(`strict reader: sub-table ${t + 1} cannot hold records`);
    i += count * size;
  }
  if (i !== styles.length) throw new Error(`strict reader: ${styles.length - i} byte(s) after the twelfth sub-table`);
  return out;
}

/** The Styles payload of an encoded Phase II document, inflated when key 31 = 1. */
export function stylesPayloadOf(doc: Uint8Array): Uint8Array {
  const r = new LeReader(doc);
  const meta = decodeMeta(r);
  if (r.u8() !== FS) throw new Error('strict reader: no FS after Meta');
  if ((metaGet(meta, 31)?.[0] ?? 0) === 0) return r.view(r.u32(), 'Styles');
  const packed = r.u32();
  const declared = r.u32();
  const blob = new LeReader(zlibDecompress(r.view(packed, 'compressed blob'), declared, declared));
  return blob.view(blob.u32(), 'Styles');
}
