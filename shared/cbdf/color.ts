// R5G6B5 colours (CBDF/1.0 §4.6) and the five reserved transparency codes.
export const TRANSPARENCY_CODES: ReadonlyMap<number, number> = new Map([
  [0x000c, 0.0],
  [0x000d, 0.2],
  [0x000e, 0.4],
  [0x000f, 0.6],
  [0x0010, 0.8],
]);
export const SAFE_NEAR_TRANSPARENT = 0x0011;
export const TRANSPARENT = 0x000c;

/** 8-bit RGB → R5G6B5, diverting results that land on a transparency code to 0x0011. */
export function rgbTo565(r: number, g: number, b: number): number {
  const c = (Math.round((clamp8(r) * 31) / 255) << 11) | (Math.round((clamp8(g) * 63) / 255) << 5) | Math.round((clamp8(b) * 31) / 255);
  return c >= 0x000c && c <= 0x0010 ? SAFE_NEAR_TRANSPARENT : c;
}

export function rgbFrom565(c: number): [number, number, number] {
  const r5 = (c >>> 11) & 0x1f;
  const g6 = (c >>> 5) & 0x3f;
  const b5 = c & 0x1f;
  return [Math.round((r5 * 255) / 31), Math.round((g6 * 255) / 63), Math.round((b5 * 255) / 31)];
}

/** Alpha of a colour code: the transparency codes are partly transparent, all others opaque. */
export function alphaOf565(c: number): number {
  return TRANSPARENCY_CODES.get(c) ?? 1;
}

/** CSS for a colour code (transparency codes become rgba black with their alpha). */
export function cssOf565(c: number): string {
  const a = TRANSPARENCY_CODES.get(c);
  if (a !== undefined) return `rgba(0, 0, 0, ${a})`;
  const [r, g, b] = rgbFrom565(c);
  return `#${hex2(r)}${hex2(g)}${hex2(b)}`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
function clamp8(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(255, Math.round(n))) : 0;
}

const NAMED: Record<string, [number, number, number]> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  red: [255, 0, 0],
  green: [0, 128, 0],
  blue: [0, 0, 255],
  yellow: [255, 255, 0],
  cyan: [0, 255, 255],
  aqua: [0, 255, 255],
  magenta: [255, 0, 255],
  fuchsia: [255, 0, 255],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  silver: [192, 192, 192],
  maroon: [128, 0, 0],
  olive: [128, 128, 0],
  lime: [0, 255, 0],
  navy: [0, 0, 128],
  purple: [128, 0, 128],
  teal: [0, 128, 128],
  orange: [255, 165, 0],
};

/** Parses a CSS colour (#rgb, #rrggbb, rgb(), a few names). Returns undefined for anything else. */
export function parseCssColor(text: string): number | undefined {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/\s*!important$/, '');
  if (t === 'transparent') return TRANSPARENT;
  let m = /^#([0-9a-f]{3})$/.exec(t);
  if (m) {
    const [r, g, b] = [...m[1]!].map((h) => parseInt(h + h, 16)) as [number, number, number];
    return rgbTo565(r, g, b);
  }
  m = /^#([0-9a-f]{6})$/.exec(t);
  if (m) {
    const v = parseInt(m[1]!, 16);
    return rgbTo565(v >>> 16, (v >>> 8) & 0xff, v & 0xff);
  }
  m = /^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)$/.exec(t);
  if (m) return rgbTo565(Number(m[1]), Number(m[2]), Number(m[3]));
  const named = NAMED[t];
  return named ? rgbTo565(...named) : undefined;
}
