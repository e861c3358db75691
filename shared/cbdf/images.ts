// Extension section 0xC1 (a QMail Desktop extension, see docs/protocol/cbdf.md): where each
// image came from and its alternative text. CBDF's Image Definition holds only a Resource
// ID; a remote image is an Image Definition whose resource is absent from Resources and
// listed here with its URL, so other clients show a sized placeholder and we can offer
// "load remote images". Records: [ResourceID:1][UrlLen:2 LE][URL][AltLen:1][Alt], UTF-8.
import { fail } from './errors.js';
import { LeReader, LeWriter, isWellFormed, utf8Decode, utf8Encode } from './le.js';
import { truncateUtf8 } from './meta.js';

export const IMAGE_SOURCES_EXTENSION = 0xc1;

export interface ImageSource {
  resourceId: number;
  /** Remote URL; empty for an embedded image. */
  url: string;
  alt: string;
}

export function encodeImageSources(list: readonly ImageSource[]): Uint8Array {
  const w = new LeWriter();
  const ids = new Set<number>();
  for (const s of list) {
    if (ids.has(s.resourceId)) fail('BAD_EXTENSION', `duplicate image source for resource ${s.resourceId}`);
    ids.add(s.resourceId);
    if (!isWellFormed(s.url) || !isWellFormed(s.alt)) fail('BAD_EXTENSION', 'image source text is not well-formed Unicode');
    const url = utf8Encode(s.url);
    const alt = utf8Encode(s.alt);
    if (url.length > 0xffff) fail('BAD_EXTENSION', 'image URL longer than 65535 bytes');
    if (alt.length > 255) fail('BAD_EXTENSION', 'image alt text longer than 255 bytes');
    w.u8(s.resourceId, 'resource id').u16(url.length).bytes(url).u8(alt.length).bytes(alt);
  }
  return w.finish();
}

export function decodeImageSources(payload: Uint8Array): ImageSource[] {
  const r = new LeReader(payload);
  const out: ImageSource[] = [];
  const ids = new Set<number>();
  while (!r.done) {
    const at = r.at;
    const resourceId = r.u8('resource id');
    if (ids.has(resourceId)) fail('BAD_EXTENSION', `duplicate image source for resource ${resourceId}`, at);
    ids.add(resourceId);
    const url = utf8Decode(r.view(r.u16('url length'), 'url'), 'image URL', at);
    const alt = utf8Decode(r.view(r.u8('alt length'), 'alt'), 'image alt text', at);
    out.push({ resourceId, url, alt });
  }
  return out;
}

export function clampAlt(alt: string): string {
  return truncateUtf8(alt, 255);
}
