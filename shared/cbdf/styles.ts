// The Styles section (CBDF/1.0 §4.4): LayoutID, an optional page background, then twelve
// GS-separated sub-tables of packed fixed-size records with field-level codecs (§4.4.3).
import { fail } from './errors.js';
import type { LeWriter } from './le.js';
import { LeReader } from './le.js';

export const GS = 0x1d;
export const NO_REF = 255;
export const MAX_RECORDS = 63;

export type Tier = 0 | 1 | 2;

export interface TextStyle {
  fontId: number;
  fontSize: number;
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  subscript: boolean;
  superscript: boolean;
  align: number;
  fg: number;
  bg: number;
  /** extended tier */
  shadowX: number;
  shadowY: number;
  shadowBlur: number;
  letterSpacing: number;
  lineHeight: number;
  /** rare tier */
  effectId: number;
  effectIntensity: number;
  transform: number;
  direction: number;
  wordSpacing: number;
  effectColor: number;
}
export interface Background {
  color: number;
  imageId: number;
  opacity: number;
  repeatX: boolean;
  repeatY: boolean;
  fixed: boolean;
  cover: boolean;
  contain: boolean;
  gradColor2: number;
  gradType: number;
  gradAngle: number;
  color2Stop: number;
  gradColor3: number;
  gradColor4: number;
  color3Stop: number;
  color4Stop: number;
}
export interface Border {
  color: number;
  top: number;
  right: number;
  bottom: number;
  left: number;
  outside: number;
  radiusTL: number;
  radiusTR: number;
  radiusBR: number;
  radiusBL: number;
}
export interface Spacing {
  marginTop: number;
  marginRight: number;
  marginBottom: number;
  marginLeft: number;
  paddingTop: number;
  paddingRight: number;
  paddingBottom: number;
  paddingLeft: number;
}
export interface Shadow {
  color: number;
  x: number;
  y: number;
  blur: number;
}
export interface Composite {
  background: number;
  border: number;
  spacing: number;
  shadow: number;
  overflow: number;
  layer: number;
}
export interface FontEffect {
  effectId: number;
  intensity: number;
  paramA: number;
  paramB: number;
}
export interface NavBar {
  itemStyle: number;
  active: number;
  hover: number;
  barBackground: number;
  barBorder: number;
  barSpacing: number;
  collapse: number;
  vertical: boolean;
  itemMode: number;
  align: number;
}
export interface TableStyle {
  headerStyle: number;
  bodyStyle: number;
  gridBorder: number;
  altRowBackground: number;
  cellSpacing: number;
  firstRowHeader: boolean;
  rowStripes: boolean;
  columnRules: boolean;
  rowRules: boolean;
}
export interface ImageDef {
  sourceType: number;
  sourceId: number;
  width: number;
  height: number;
  fit: number;
  border: number;
}
export interface FrameDef {
  sourceType: number;
  sourceId: number;
  width: number;
  height: number;
  scrolling: boolean;
  links: boolean;
  framedResources: boolean;
  nestedFrames: boolean;
  border: number;
}

export interface Tiered<T> {
  tier: Tier;
  records: T[];
}

export interface Styles {
  layoutId: number;
  pageBackground?: Tiered<Background> | undefined;
  background: Tiered<Background>;
  border: Border[];
  spacing: Spacing[];
  shadow: Shadow[];
  composite: Composite[];
  text: Tiered<TextStyle>;
  fontEffects: FontEffect[];
  navBar: NavBar[];
  table: TableStyle[];
  image: ImageDef[];
  frame: FrameDef[];
}

export function emptyStyles(layoutId = 0): Styles {
  return {
    layoutId,
    background: { tier: 0, records: [] },
    border: [],
    spacing: [],
    shadow: [],
    composite: [],
    text: { tier: 0, records: [] },
    fontEffects: [],
    navBar: [],
    table: [],
    image: [],
    frame: [],
  };
}

export function defaultTextStyle(): TextStyle {
  return {
    fontId: 0,
    fontSize: 0,
    bold: false,
    italic: false,
    underline: false,
    strike: false,
    subscript: false,
    superscript: false,
    align: 0,
    fg: 0,
    bg: 0x000c,
    shadowX: 0,
    shadowY: 0,
    shadowBlur: 0,
    letterSpacing: 0,
    lineHeight: 0,
    effectId: 0,
    effectIntensity: 0,
    transform: 0,
    direction: 0,
    wordSpacing: 0,
    effectColor: 0,
  };
}
export function defaultBackground(): Background {
  return {
    color: 0xffff,
    imageId: 0,
    opacity: 255,
    repeatX: false,
    repeatY: false,
    fixed: false,
    cover: false,
    contain: false,
    gradColor2: 0,
    gradType: 0,
    gradAngle: 0,
    color2Stop: 0,
    gradColor3: 0,
    gradColor4: 0,
    color3Stop: 0,
    color4Stop: 0,
  };
}

// ---- field helpers -------------------------------------------------------------------

function u(v: number, bits: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) fail('BAD_RECORD', `${what} must be an unsigned ${bits}-bit value, got ${v}`);
  return v;
}
function s(v: number, bits: number, what: string): number {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -lim || v >= lim) fail('BAD_RECORD', `${what} must be a signed ${bits}-bit value, got ${v}`);
  return v & (2 ** bits - 1);
}
function sx(v: number, bits: number): number {
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}
const bit = (b: boolean, n: number) => (b ? 1 << n : 0);
const has = (v: number, n: number) => (v & (1 << n)) !== 0;
const nib = (hi: number, lo: number, what: string) => (u(hi, 4, what) << 4) | u(lo, 4, what);
const packShadow = (x: number, y: number, blur: number) =>
  s(x, 6, 'shadow x') | (s(y, 6, 'shadow y') << 6) | (u(blur, 4, 'shadow blur') << 12);

// ---- record codecs: [size per tier], pack, unpack --------------------------------------

interface Codec<T> {
  sizes: [number, number, number];
  tiered: boolean;
  pack(w: LeWriter, r: T, tier: Tier): void;
  unpack(b: Uint8Array, tier: Tier): T;
}

const textCodec: Codec<TextStyle> = {
  sizes: [8, 12, 16],
  tiered: true,
  pack(w, r, tier) {
    w.u16(r.fontId, 'font id')
      .u8(r.fontSize, 'font size')
      .u8(
        bit(r.bold, 0) |
          bit(r.italic, 1) |
          bit(r.underline, 2) |
          bit(r.strike, 3) |
          bit(r.subscript, 4) |
          bit(r.superscript, 5) |
          (u(r.align, 2, 'align') << 6),
      )
      .u16(r.fg, 'fg')
      .u16(r.bg, 'bg');
    if (tier >= 1)
      w.u16(packShadow(r.shadowX, r.shadowY, r.shadowBlur))
        .u8(s(r.letterSpacing, 8, 'letter spacing'))
        .u8(r.lineHeight, 'line height');
    else if (r.shadowX || r.shadowY || r.shadowBlur || r.letterSpacing || r.lineHeight)
      fail('BAD_RECORD', 'extended text-style fields need tier ≥ 1');
    if (tier >= 2)
      w.u8(nib(r.effectIntensity, r.effectId, 'effect'))
        .u8(u(r.transform, 2, 'transform') | (u(r.direction, 2, 'direction') << 2) | (u(r.wordSpacing, 4, 'word spacing') << 4))
        .u16(r.effectColor, 'effect colour');
    else if (r.effectId || r.effectIntensity || r.transform || r.direction || r.wordSpacing || r.effectColor)
      fail('BAD_RECORD', 'rare text-style fields need tier 2');
  },
  unpack(b, tier) {
    const f = b[3]!;
    const sh = tier >= 1 ? b[8]! | (b[9]! << 8) : 0;
    return {
      fontId: b[0]! | (b[1]! << 8),
      fontSize: b[2]!,
      bold: has(f, 0),
      italic: has(f, 1),
      underline: has(f, 2),
      strike: has(f, 3),
      subscript: has(f, 4),
      superscript: has(f, 5),
      align: f >> 6,
      fg: b[4]! | (b[5]! << 8),
      bg: b[6]! | (b[7]! << 8),
      shadowX: sx(sh & 0x3f, 6),
      shadowY: sx((sh >> 6) & 0x3f, 6),
      shadowBlur: sh >> 12,
      letterSpacing: tier >= 1 ? sx(b[10]!, 8) : 0,
      lineHeight: tier >= 1 ? b[11]! : 0,
      effectId: tier >= 2 ? b[12]! & 15 : 0,
      effectIntensity: tier >= 2 ? b[12]! >> 4 : 0,
      transform: tier >= 2 ? b[13]! & 3 : 0,
      direction: tier >= 2 ? (b[13]! >> 2) & 3 : 0,
      wordSpacing: tier >= 2 ? b[13]! >> 4 : 0,
      effectColor: tier >= 2 ? b[14]! | (b[15]! << 8) : 0,
    };
  },
};

const backgroundCodec: Codec<Background> = {
  sizes: [6, 12, 20],
  tiered: true,
  pack(w, r, tier) {
    w.u16(r.color, 'colour')
      .u16(r.imageId, 'image id')
      .u8(r.opacity, 'opacity')
      .u8(bit(r.repeatX, 0) | bit(r.repeatY, 1) | bit(r.fixed, 2) | bit(r.cover, 3) | bit(r.contain, 4));
    if (tier >= 1)
      w.u16(r.gradColor2, 'gradient colour 2')
        .u8(r.gradType, 'gradient type')
        .u8(r.gradAngle, 'gradient angle')
        .u8(r.color2Stop, 'stop')
        .u8(0);
    else if (r.gradColor2 || r.gradType || r.gradAngle || r.color2Stop) fail('BAD_RECORD', 'gradient fields need tier ≥ 1');
    if (tier >= 2)
      w.u16(r.gradColor3, 'gradient colour 3')
        .u16(r.gradColor4, 'gradient colour 4')
        .u8(r.color3Stop, 'stop')
        .u8(r.color4Stop, 'stop')
        .u16(0);
    else if (r.gradColor3 || r.gradColor4 || r.color3Stop || r.color4Stop) fail('BAD_RECORD', 'multi-gradient fields need tier 2');
  },
  unpack(b, tier) {
    const f = b[5]!;
    const g = (i: number) => (tier >= 1 ? b[i]! : 0);
    const g16 = (i: number, t: number) => (tier >= t ? b[i]! | (b[i + 1]! << 8) : 0);
    return {
      color: b[0]! | (b[1]! << 8),
      imageId: b[2]! | (b[3]! << 8),
      opacity: b[4]!,
      repeatX: has(f, 0),
      repeatY: has(f, 1),
      fixed: has(f, 2),
      cover: has(f, 3),
      contain: has(f, 4),
      gradColor2: g16(6, 1),
      gradType: g(8),
      gradAngle: g(9),
      color2Stop: g(10),
      gradColor3: g16(12, 2),
      gradColor4: g16(14, 2),
      color3Stop: tier >= 2 ? b[16]! : 0,
      color4Stop: tier >= 2 ? b[17]! : 0,
    };
  },
};

const borderCodec: Codec<Border> = {
  sizes: [9, 9, 9],
  tiered: false,
  pack(w, r) {
    const radii =
      u(r.radiusTL, 6, 'radius') |
      (u(r.radiusTR, 6, 'radius') << 6) |
      (u(r.radiusBR, 6, 'radius') << 12) |
      (u(r.radiusBL, 6, 'radius') << 18);
    w.u16(r.color, 'colour')
      .u8(nib(r.top, r.right, 'thickness'))
      .u8(nib(r.bottom, r.left, 'thickness'))
      .u16(r.outside, 'outside colour')
      .u8(radii & 0xff)
      .u8((radii >> 8) & 0xff)
      .u8(radii >> 16);
  },
  unpack(b) {
    const radii = b[6]! | (b[7]! << 8) | (b[8]! << 16);
    return {
      color: b[0]! | (b[1]! << 8),
      top: b[2]! >> 4,
      right: b[2]! & 15,
      bottom: b[3]! >> 4,
      left: b[3]! & 15,
      outside: b[4]! | (b[5]! << 8),
      radiusTL: radii & 63,
      radiusTR: (radii >> 6) & 63,
      radiusBR: (radii >> 12) & 63,
      radiusBL: (radii >> 18) & 63,
    };
  },
};

const spacingCodec: Codec<Spacing> = {
  sizes: [4, 4, 4],
  tiered: false,
  pack(w, r) {
    w.u8(nib(r.marginTop, r.marginRight, 'margin'))
      .u8(nib(r.marginBottom, r.marginLeft, 'margin'))
      .u8(nib(r.paddingTop, r.paddingRight, 'padding'))
      .u8(nib(r.paddingBottom, r.paddingLeft, 'padding'));
  },
  unpack(b) {
    return {
      marginTop: b[0]! >> 4,
      marginRight: b[0]! & 15,
      marginBottom: b[1]! >> 4,
      marginLeft: b[1]! & 15,
      paddingTop: b[2]! >> 4,
      paddingRight: b[2]! & 15,
      paddingBottom: b[3]! >> 4,
      paddingLeft: b[3]! & 15,
    };
  },
};

const shadowCodec: Codec<Shadow> = {
  sizes: [4, 4, 4],
  tiered: false,
  pack(w, r) {
    w.u16(r.color, 'colour').u16(packShadow(r.x, r.y, r.blur));
  },
  unpack(b) {
    const v = b[2]! | (b[3]! << 8);
    return { color: b[0]! | (b[1]! << 8), x: sx(v & 63, 6), y: sx((v >> 6) & 63, 6), blur: v >> 12 };
  },
};

const compositeCodec: Codec<Composite> = {
  sizes: [5, 5, 5],
  tiered: false,
  pack(w, r) {
    w.u8(r.background, 'background index')
      .u8(r.border, 'border index')
      .u8(r.spacing, 'spacing index')
      .u8(r.shadow, 'shadow index')
      .u8(u(r.overflow, 2, 'overflow') | (u(r.layer, 6, 'layer') << 2));
  },
  unpack(b) {
    return { background: b[0]!, border: b[1]!, spacing: b[2]!, shadow: b[3]!, overflow: b[4]! & 3, layer: b[4]! >> 2 };
  },
};

const fontEffectCodec: Codec<FontEffect> = {
  sizes: [4, 4, 4],
  tiered: false,
  pack(w, r) {
    w.u8(r.effectId, 'effect id').u8(r.intensity, 'intensity').u8(r.paramA, 'param A').u8(r.paramB, 'param B');
  },
  unpack(b) {
    return { effectId: b[0]!, intensity: b[1]!, paramA: b[2]!, paramB: b[3]! };
  },
};

const navCodec: Codec<NavBar> = {
  sizes: [12, 12, 12],
  tiered: false,
  pack(w, r) {
    w.u8(r.itemStyle, 'item style')
      .u8(r.active, 'active')
      .u8(r.hover, 'hover')
      .u8(r.barBackground, 'bar background')
      .u8(r.barBorder, 'bar border')
      .u8(r.barSpacing, 'bar spacing')
      .u8(r.collapse, 'collapse')
      .u8(bit(r.vertical, 0) | (u(r.itemMode, 2, 'item mode') << 1) | (u(r.align, 2, 'align') << 3))
      .u32(0);
  },
  unpack(b) {
    const f = b[7]!;
    return {
      itemStyle: b[0]!,
      active: b[1]!,
      hover: b[2]!,
      barBackground: b[3]!,
      barBorder: b[4]!,
      barSpacing: b[5]!,
      collapse: b[6]!,
      vertical: has(f, 0),
      itemMode: (f >> 1) & 3,
      align: (f >> 3) & 3,
    };
  },
};

const tableCodec: Codec<TableStyle> = {
  sizes: [6, 6, 6],
  tiered: false,
  pack(w, r) {
    w.u8(r.headerStyle, 'header style')
      .u8(r.bodyStyle, 'body style')
      .u8(r.gridBorder, 'grid border')
      .u8(r.altRowBackground, 'alt row')
      .u8(r.cellSpacing, 'cell spacing')
      .u8(bit(r.firstRowHeader, 0) | bit(r.rowStripes, 1) | bit(r.columnRules, 2) | bit(r.rowRules, 3));
  },
  unpack(b) {
    const f = b[5]!;
    return {
      headerStyle: b[0]!,
      bodyStyle: b[1]!,
      gridBorder: b[2]!,
      altRowBackground: b[3]!,
      cellSpacing: b[4]!,
      firstRowHeader: has(f, 0),
      rowStripes: has(f, 1),
      columnRules: has(f, 2),
      rowRules: has(f, 3),
    };
  },
};

const imageCodec: Codec<ImageDef> = {
  sizes: [8, 8, 8],
  tiered: false,
  pack(w, r) {
    w.u8(r.sourceType, 'source type')
      .u8(r.sourceId, 'source id')
      .u16(r.width, 'width')
      .u16(r.height, 'height')
      .u8(r.fit, 'fit')
      .u8(r.border, 'border');
  },
  unpack(b) {
    return { sourceType: b[0]!, sourceId: b[1]!, width: b[2]! | (b[3]! << 8), height: b[4]! | (b[5]! << 8), fit: b[6]!, border: b[7]! };
  },
};

const frameCodec: Codec<FrameDef> = {
  sizes: [8, 8, 8],
  tiered: false,
  pack(w, r) {
    w.u8(r.sourceType, 'source type')
      .u8(r.sourceId, 'source id')
      .u16(r.width, 'width')
      .u16(r.height, 'height')
      .u8(bit(r.scrolling, 0) | bit(r.links, 1) | bit(r.framedResources, 2) | bit(r.nestedFrames, 3))
      .u8(r.border, 'border');
  },
  unpack(b) {
    const f = b[6]!;
    return {
      sourceType: b[0]!,
      sourceId: b[1]!,
      width: b[2]! | (b[3]! << 8),
      height: b[4]! | (b[5]! << 8),
      scrolling: has(f, 0),
      links: has(f, 1),
      framedResources: has(f, 2),
      nestedFrames: has(f, 3),
      border: b[7]!,
    };
  },
};

export const SUBTABLE_NAMES = [
  'background',
  'border',
  'spacing',
  'shadow',
  'composite',
  'text',
  'fontEffects',
  'navBar',
  'table',
  'image',
  'frame',
  'forms',
] as const;

// ---- separator-safe record counts ----------------------------------------------------

/** FS, GS, RS, US: the bytes a strict reader may take for a separator. */
export const isSeparatorByte = (b: number): boolean => b >= 0x1c && b <= 0x1f;

/**
 * The one record count whose header, `(count << 2) | tier`, is a separator at every tier:
 * 7 records give 0x1C (FS), 0x1D (GS), 0x1E (RS) at tiers 0, 1, 2 (0x1F is the reserved
 * tier 3). A reader that takes a separator after a GS for an empty table misreads it.
 */
export const SEPARATOR_COUNT = 7;

function padded<T>(records: readonly T[], filler: (records: readonly T[]) => T): T[] {
  return records.length === SEPARATOR_COUNT ? [...records, filler(records)] : [...records];
}
const repeatLast = <T>(records: readonly T[]): T => ({ ...records[records.length - 1]! });

/**
 * Styles with every sub-table of exactly 7 records grown to 8, so that no header byte is a
 * separator. The added record is a copy of the table's last record, at its end: nothing
 * refers to it (references were made against 7 records) and it passes every check its
 * original does. Font Effects are keyed by effect ID, not by index, so there the added
 * record is an all-zero one for an ID no record has and no text style asks for (ID 0,
 * "none", when it is free). Everything else is returned unchanged; the encoder applies
 * this to whatever it writes, so a document's model can be padded ahead to match its bytes.
 */
export function padSeparatorCounts(st: Styles): Styles {
  const effectFiller = (records: readonly FontEffect[]): FontEffect => {
    const taken = new Set(records.map((r) => r.effectId));
    for (const t of st.text.records) if (t.effectId !== 0) taken.add(t.effectId);
    let id = 0;
    while (taken.has(id)) id++;
    return { effectId: id, intensity: 0, paramA: 0, paramB: 0 };
  };
  const out: Styles = {
    layoutId: st.layoutId,
    background: { tier: st.background.tier, records: padded(st.background.records, repeatLast) },
    border: padded(st.border, repeatLast),
    spacing: padded(st.spacing, repeatLast),
    shadow: padded(st.shadow, repeatLast),
    composite: padded(st.composite, repeatLast),
    text: { tier: st.text.tier, records: padded(st.text.records, repeatLast) },
    fontEffects: padded(st.fontEffects, effectFiller),
    navBar: padded(st.navBar, repeatLast),
    table: padded(st.table, repeatLast),
    image: padded(st.image, repeatLast),
    frame: padded(st.frame, repeatLast),
  };
  if (st.pageBackground) out.pageBackground = st.pageBackground;
  return out;
}

// ---- sub-table framing ---------------------------------------------------------------

function writeTable<T>(w: LeWriter, codec: Codec<T>, records: readonly T[], tier: Tier, name: string): void {
  w.u8(GS);
  if (records.length === 0) {
    if (tier !== 0) fail('BAD_STYLES', `empty sub-table ${name} must have tier 0`);
    return;
  }
  if (records.length > MAX_RECORDS) fail('BAD_STYLES', `sub-table ${name} holds ${records.length} records; the limit is ${MAX_RECORDS}`);
  if (tier !== 0 && !codec.tiered) fail('BAD_STYLES', `sub-table ${name} is not tiered`);
  if (tier !== 0 && tier !== 1 && tier !== 2) fail('BAD_STYLES', `tier ${String(tier)} is reserved`);
  const header = tier | (records.length << 2);
  if (isSeparatorByte(header)) fail('BAD_STYLES', `internal: sub-table ${name} header 0x${header.toString(16)} is a separator byte`);
  w.u8(header);
  for (const r of records) {
    const before = w.length;
    codec.pack(w, r, tier);
    if (w.length - before !== codec.sizes[tier]) fail('BAD_RECORD', `internal: ${name} record packed to the wrong size`);
  }
}

function readTable<T>(r: LeReader, codec: Codec<T>, name: string): Tiered<T> {
  if (r.done || r.peek() === GS) return { tier: 0, records: [] };
  const at = r.at;
  const header = r.u8();
  const tier = header & 3;
  const count = header >> 2;
  if (tier === 3) fail('BAD_STYLES', `sub-table ${name}: tier 3 is reserved`, at);
  if (count === 0) return { tier: 0, records: [] };
  const size = codec.sizes[tier]!;
  const records: T[] = [];
  for (let i = 0; i < count; i++) records.push(codec.unpack(r.view(size, `${name} record`), tier as Tier));
  return { tier: codec.tiered ? (tier as Tier) : 0, records };
}

/** Writes the Styles payload; sub-tables of 7 records are written as 8 (padSeparatorCounts). */
export function encodeStyles(styles: Styles, w: LeWriter): void {
  const st = padSeparatorCounts(styles);
  w.u16(st.layoutId, 'LayoutID');
  if (st.pageBackground) {
    const { tier, records } = st.pageBackground;
    if (records.length !== 1) fail('BAD_STYLES', 'the page background is exactly one Background record');
    if (tier !== 0 && tier !== 1 && tier !== 2) fail('BAD_STYLES', `tier ${String(tier)} is reserved`);
    w.u8(tier | (1 << 2));
    backgroundCodec.pack(w, records[0]!, tier);
  }
  writeTable(w, backgroundCodec, st.background.records, st.background.tier, 'background');
  writeTable(w, borderCodec, st.border, 0, 'border');
  writeTable(w, spacingCodec, st.spacing, 0, 'spacing');
  writeTable(w, shadowCodec, st.shadow, 0, 'shadow');
  writeTable(w, compositeCodec, st.composite, 0, 'composite');
  writeTable(w, textCodec, st.text.records, st.text.tier, 'text');
  writeTable(w, fontEffectCodec, st.fontEffects, 0, 'fontEffects');
  writeTable(w, navCodec, st.navBar, 0, 'navBar');
  writeTable(w, tableCodec, st.table, 0, 'table');
  writeTable(w, imageCodec, st.image, 0, 'image');
  writeTable(w, frameCodec, st.frame, 0, 'frame');
  w.u8(GS); // Forms: reserved for Phase III, always empty in version 1
}

export function decodeStyles(payload: Uint8Array, base: number): Styles {
  const r = new LeReader(payload, base);
  const layoutId = r.u16('LayoutID');
  let pageBackground: Tiered<Background> | undefined;
  if (!r.done && r.peek() !== GS) {
    const at = r.at;
    const header = r.u8();
    const tier = header & 3;
    if (tier === 3 || header >> 2 !== 1)
      fail('BAD_STYLES', `page background header 0x${header.toString(16)} must announce exactly one record of tier 0–2`, at);
    pageBackground = {
      tier: tier as Tier,
      records: [backgroundCodec.unpack(r.view(backgroundCodec.sizes[tier]!, 'page background'), tier as Tier)],
    };
  }
  const next = <T>(codec: Codec<T>, name: string): Tiered<T> => {
    r.expect(GS, `GS before sub-table ${name}`);
    return readTable(r, codec, name);
  };
  const background = next(backgroundCodec, 'background');
  const border = next(borderCodec, 'border').records;
  const spacing = next(spacingCodec, 'spacing').records;
  const shadow = next(shadowCodec, 'shadow').records;
  const composite = next(compositeCodec, 'composite').records;
  const text = next(textCodec, 'text');
  const fontEffects = next(fontEffectCodec, 'fontEffects').records;
  const navBar = next(navCodec, 'navBar').records;
  const table = next(tableCodec, 'table').records;
  const image = next(imageCodec, 'image').records;
  const frame = next(frameCodec, 'frame').records;
  r.expect(GS, 'GS before sub-table forms');
  if (!r.done) {
    if (r.peek() === GS) fail('BAD_STYLES', 'more than twelve sub-tables', r.at);
    const at = r.at;
    if (r.u8() >> 2 !== 0) fail('BAD_STYLES', 'the Forms sub-table is reserved for Phase III and must be empty', at);
    if (!r.done) fail('TRAILING_BYTES', 'bytes after the twelfth sub-table', r.at);
  }
  const st: Styles = { layoutId, background, border, spacing, shadow, composite, text, fontEffects, navBar, table, image, frame };
  if (pageBackground) st.pageBackground = pageBackground;
  return st;
}

/** Cross-record rules: duplicate font effects always; index references when styles are explicit. */
export function validateStyles(st: Styles, explicit: boolean): void {
  const ids = new Set<number>();
  for (const fe of st.fontEffects) {
    if (ids.has(fe.effectId)) fail('BAD_STYLES', `duplicate Font Effect record for effect ${fe.effectId}`);
    ids.add(fe.effectId);
  }
  if (!explicit) return;
  const ref = (v: number, table: unknown[], what: string) => {
    if (v !== NO_REF && v >= table.length) fail('STYLE_INDEX', `${what} index ${v} is out of range (${table.length} record(s))`);
  };
  for (const c of st.composite) {
    ref(c.background, st.background.records, 'composite background');
    ref(c.border, st.border, 'composite border');
    ref(c.spacing, st.spacing, 'composite spacing');
    ref(c.shadow, st.shadow, 'composite shadow');
  }
  for (const t of st.table) {
    ref(t.headerStyle, st.text.records, 'table header style');
    ref(t.bodyStyle, st.text.records, 'table body style');
    ref(t.gridBorder, st.border, 'table grid border');
    ref(t.altRowBackground, st.background.records, 'table alternate-row background');
    ref(t.cellSpacing, st.spacing, 'table cell spacing');
  }
  for (const n of st.navBar) {
    ref(n.itemStyle, st.text.records, 'nav item style');
    ref(n.active, st.text.records, 'nav active style');
    ref(n.hover, st.text.records, 'nav hover style');
    ref(n.barBackground, st.background.records, 'nav background');
    ref(n.barBorder, st.border, 'nav border');
    ref(n.barSpacing, st.spacing, 'nav spacing');
  }
  for (const i of st.image) ref(i.border, st.border, 'image border');
  for (const f of st.frame) ref(f.border, st.border, 'frame border');
}
