// JSON form of a document (what `qmail cbdf inspect` prints and `from-json` reads back).
// Byte strings are {"$hex": "…"}; Meta pairs carry a readable `name` and `value` next to
// the authoritative `hex`, and `value` is ignored on input.
import { toHex, fromHex } from '../bytes/index.js';
import { decodeMailbox, formatMailbox } from './address.js';
import { encodeDocument, type CbdfDocument } from './document.js';
import { CbdfError, fail } from './errors.js';
import { IMAGE_SOURCES_EXTENSION, decodeImageSources } from './images.js';
import { META_REGISTRY, metaKeyName, metaView } from './meta.js';

function readable(key: number, value: Uint8Array): unknown {
  const spec = META_REGISTRY.get(key);
  if (!spec) return undefined;
  try {
    if (spec.kind === 'mailbox') return formatMailbox(decodeMailbox(value));
    const view = metaView([{ key, value }]) as Record<string, unknown>;
    const v = Object.values(view)[0];
    if (Array.isArray(v)) return v[0];
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return toHex(v);
    if (v && typeof v === 'object' && 'digest' in v) {
      const h = v as unknown as { alg: number; digest: Uint8Array };
      return { alg: h.alg, digest: toHex(h.digest) };
    }
    return v;
  } catch {
    return undefined;
  }
}

export function documentToJson(doc: CbdfDocument): unknown {
  const conv = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return { $hex: toHex(v) };
    if (Array.isArray(v)) return v.map(conv);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .map(([k, x]) => [k, conv(x)]),
      );
    return v;
  };
  const out = conv(doc) as Record<string, unknown>;
  if ('meta' in doc && doc.meta)
    out.meta = doc.meta.map((e) => ({ key: e.key, name: metaKeyName(e.key), hex: toHex(e.value), value: readable(e.key, e.value) }));
  if (doc.kind === 'phase2') {
    const src = doc.extensions.find((e) => e.id === IMAGE_SOURCES_EXTENSION);
    if (src) {
      try {
        out.imageSources = decodeImageSources(src.payload);
      } catch {
        /* shown as raw extension only */
      }
    }
  }
  return out;
}

export function documentFromJson(json: unknown): CbdfDocument {
  try {
    const conv = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(conv);
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.$hex === 'string' && Object.keys(o).length === 1) return fromHex(o.$hex);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, conv(x)]));
      }
      return v;
    };
    const o = conv(json) as Record<string, unknown>;
    if (!o || typeof o !== 'object' || !['phase1', 'metaOnly', 'phase2'].includes(o.kind as string))
      fail('BAD_JSON', 'kind must be phase1, metaOnly or phase2');
    delete o.imageSources;
    if (o.meta !== undefined) {
      if (!Array.isArray(o.meta)) fail('BAD_JSON', 'meta must be an array');
      o.meta = (o.meta as Array<Record<string, unknown>>).map((e, i) => {
        if (typeof e?.key !== 'number' || typeof e.hex !== 'string') fail('BAD_JSON', `meta[${i}] needs a numeric key and a hex value`);
        return { key: e.key, value: fromHex(e.hex) };
      });
    }
    const doc = o as unknown as CbdfDocument;
    encodeDocument(doc); // validates every field
    return doc;
  } catch (e) {
    if (e instanceof CbdfError) throw e;
    throw new CbdfError('BAD_JSON', `not a CBDF document: ${(e as Error)?.message ?? String(e)}`);
  }
}
