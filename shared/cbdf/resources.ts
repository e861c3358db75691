// The Resources section (CBDF/1.0 §4.8): packed [id:1][type:1][len:4 LE][data] records,
// walked until the section length is used up. IDs are unique.
import { fail } from './errors.js';
import type { LeWriter } from './le.js';
import { LeReader } from './le.js';

export const ResourceType = { PNG: 0, JPEG: 1, WEBP: 2, SVG: 3, FONT: 4, AUDIO: 5, VIDEO: 6, CBDF: 7 } as const;
export const RESOURCE_MIME = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/svg+xml',
  'font/otf',
  'audio/*',
  'video/*',
  'application/cbdf',
];

export interface Resource {
  id: number;
  type: number;
  data: Uint8Array;
}

export function encodeResources(list: readonly Resource[], w: LeWriter): void {
  const ids = new Set<number>();
  for (const r of list) {
    if (ids.has(r.id)) fail('BAD_RESOURCE', `duplicate resource id ${r.id}`);
    ids.add(r.id);
    w.u8(r.id, 'resource id').u8(r.type, 'resource type').u32(r.data.length).bytes(r.data);
  }
}

export function decodeResources(payload: Uint8Array, base: number): Resource[] {
  const r = new LeReader(payload, base);
  const out: Resource[] = [];
  const ids = new Set<number>();
  while (!r.done) {
    const at = r.at;
    if (r.remaining < 6) fail('BAD_RESOURCE', `${r.remaining} stray byte(s) after the last resource record`, at);
    const id = r.u8();
    const type = r.u8();
    const len = r.u32();
    if (len > r.remaining) fail('BAD_RESOURCE', `resource ${id} claims ${len} bytes, ${r.remaining} left in the section`, at);
    if (ids.has(id)) fail('BAD_RESOURCE', `duplicate resource id ${id}`, at);
    ids.add(id);
    out.push({ id, type, data: r.take(len, 'resource data') });
  }
  return out;
}
