// HTML → CBDF. Keeps what CBDF can say (headings, paragraphs, emphasis, colours, links with
// their targets, lists, quotes, data tables, images as resources or blocked remote
// references) and drops the rest: scripts, styles, hidden elements, trackers, form controls,
// frames and layout chrome. Layout tables are flattened into blocks.
import { parseDocument } from 'htmlparser2';
import { parseCssColor, rgbTo565 } from './color.js';
import type { Extension, Phase2Document } from './document.js';
import { IMAGE_SOURCES_EXTENSION, clampAlt, encodeImageSources, type ImageSource } from './images.js';
import { LeWriter, isWellFormed, utf8Encode } from './le.js';
import { Compression, Feature, FileType, buildMeta, truncateUtf8, type MetaFields } from './meta.js';
import { ResourceType, type Resource } from './resources.js';
import { defaultTextStyle, emptyStyles, encodeStyles, padSeparatorCounts, type Styles, type TextStyle } from './styles.js';
import { canonicalTokens, encodeText, ItemType, LinkType, type Token } from './text.js';

interface HNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: HNode[];
  data?: string;
}

export interface HtmlToCbdfOptions {
  /** Meta fields to carry (from, to, timestamp…). Version, compression and features are set here. */
  meta?: MetaFields;
  /** 'auto' (default) compresses when Styles+Text reach 256 bytes, as §4.9 recommends. */
  compress?: boolean | 'auto';
  /** Resolves `cid:` and other non-data image sources to bytes (e.g. from MIME parts). */
  resolveImage?: (src: string) => { type: number; data: Uint8Array } | undefined;
  /** Remote (http/https) images: kept as blocked references (default), or dropped for their alt text. */
  remoteImages?: 'block' | 'drop';
}

const SKIP = new Set([
  'script',
  'style',
  'head',
  'title',
  'meta',
  'link',
  'template',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'canvas',
  'audio',
  'video',
  'input',
  'select',
  'textarea',
  'option',
  'datalist',
  'base',
]);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'nav',
  'aside',
  'address',
  'center',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'legend',
  'dl',
  'dt',
  'dd',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'caption',
  'body',
  'html',
  'details',
  'summary',
]);
const PARA = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'table', 'ul', 'ol', 'dl', 'figure', 'address']);
const HEADING_SIZE: Record<string, number> = { h1: 24, h2: 20, h3: 17, h4: 15, h5: 13, h6: 12 };
const UNSAFE_SCHEME = /^\s*(javascript|vbscript|data|file):/i;

function styleMap(el: HNode): Map<string, string> {
  const m = new Map<string, string>();
  const s = el.attribs?.style;
  if (!s) return m;
  for (const decl of s.split(';')) {
    const i = decl.indexOf(':');
    if (i > 0)
      m.set(
        decl.slice(0, i).trim().toLowerCase(),
        decl
          .slice(i + 1)
          .trim()
          .toLowerCase(),
      );
  }
  return m;
}

/** Elements a reader never sees. The size test uses its own, independent notion of visibility. */
export function isHiddenElement(el: HNode): boolean {
  if (el.attribs && 'hidden' in el.attribs) return true;
  const st = styleMap(el);
  const display = st.get('display')?.replace(/\s*!important$/, '');
  const visibility = st.get('visibility')?.replace(/\s*!important$/, '');
  return display === 'none' || visibility === 'hidden';
}

function px(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$/i.exec(v);
  return m ? Math.round(Number(m[1])) : undefined;
}

function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return (Object.keys(a) as Array<keyof TextStyle>).every((k) => a[k] === b[k]);
}

interface Ctx {
  style: TextStyle;
  pre: boolean;
  inLink: boolean;
}

class Converter {
  readonly tokens: Token[] = [];
  readonly styles: Styles = emptyStyles(0);
  readonly resources: Resource[] = [];
  readonly sources: ImageSource[] = [];
  private readonly imageByUrl = new Map<string, number>();
  private readonly styleIndex = new Map<string, number>();
  private features = 0;
  private current = -1; // emitted text style, −1 none
  private pendingBreak: 0 | 1 | 2 = 0;
  private pendingSpace = false;
  private atLineStart = true;
  private wrote = false;
  private quoteComposite = -1;
  private lastSpace = false;

  constructor(private readonly opts: HtmlToCbdfOptions) {}

  private styleFor(s: TextStyle): number {
    if (sameStyle(s, defaultTextStyle())) return -1;
    const key = JSON.stringify(s);
    const hit = this.styleIndex.get(key);
    if (hit !== undefined) return hit;
    const records = this.styles.text.records;
    if (records.length >= 62) {
      // Out of slots: keep weight and slant, drop colour and size.
      const plain = { ...defaultTextStyle(), bold: s.bold, italic: s.italic, underline: s.underline, strike: s.strike };
      const k2 = JSON.stringify(plain);
      return sameStyle(plain, defaultTextStyle()) ? -1 : (this.styleIndex.get(k2) ?? -1);
    }
    records.push(s);
    this.styleIndex.set(key, records.length - 1);
    this.features |= 1 << Feature.EXPLICIT_STYLES;
    return records.length - 1;
  }

  private closeStyle(): void {
    if (this.current >= 0) this.tokens.push({ t: 'styleEnd' });
    this.current = -1;
  }

  /** Structural tokens never sit inside a text style. */
  private structural(tok: Token): void {
    this.flushBreak();
    this.closeStyle();
    this.tokens.push(tok);
  }

  private requestBreak(kind: 1 | 2): void {
    if (this.pendingBreak < kind) this.pendingBreak = kind;
    this.pendingSpace = false;
  }

  private flushBreak(): void {
    if (this.pendingBreak && this.wrote) {
      this.closeStyle();
      this.tokens.push(this.pendingBreak === 2 ? { t: 'para' } : { t: 'text', s: '\n' });
      this.atLineStart = true;
    }
    this.pendingBreak = 0;
  }

  private emitText(s: string, ctx: Ctx): void {
    if (!s) return;
    this.flushBreak();
    const lead = this.pendingSpace && !this.atLineStart && !this.lastSpace;
    this.pendingSpace = false;
    const want = this.styleFor(ctx.style);
    if (lead && want !== this.current) {
      // The space between two differently styled runs belongs to neither ("a <b>b</b>" keeps "a " plain).
      this.closeStyle();
      const prev = this.tokens[this.tokens.length - 1];
      if (prev?.t === 'text') this.tokens[this.tokens.length - 1] = { t: 'text', s: prev.s + ' ' };
      else this.tokens.push({ t: 'text', s: ' ' });
    } else if (lead) s = ' ' + s;
    if (want !== this.current) {
      this.closeStyle();
      if (want >= 0) this.tokens.push({ t: 'styleText', index: want });
      this.current = want;
    }
    const prev = this.tokens[this.tokens.length - 1];
    if (prev?.t === 'text') this.tokens[this.tokens.length - 1] = { t: 'text', s: prev.s + s };
    else this.tokens.push({ t: 'text', s });
    this.atLineStart = s.endsWith('\n');
    this.lastSpace = s.endsWith(' ') || s.endsWith('\n');
    this.wrote = true;
  }

  private text(raw: string, ctx: Ctx): void {
    let s = raw.replace(/\r\n?/g, '\n');
    s = [...s].filter((ch) => ch.charCodeAt(0) >= 0x20 || ch === '\n' || ch === '\t').join('');
    if (!isWellFormed(s)) s = s.replace(/[\ud800-\udfff]/g, '\ufffd');
    if (ctx.pre) {
      this.emitText(s, ctx);
      return;
    }
    const collapsed = s.replace(/[ \t\n\f]+/g, ' ');
    if (collapsed === ' ' || collapsed === '') {
      if (collapsed === ' ') this.pendingSpace = true;
      return;
    }
    const lead = collapsed.startsWith(' ');
    const trail = collapsed.endsWith(' ');
    if (lead) this.pendingSpace = true;
    this.emitText(collapsed.replace(/^ | $/g, ''), ctx); // not trim(): that would also take a no-break space
    if (trail) this.pendingSpace = true;
  }

  private inlineStyle(el: HNode, base: TextStyle): TextStyle {
    const s = { ...base };
    const name = el.name!;
    if (name === 'b' || name === 'strong' || name === 'th') s.bold = true;
    if (name === 'i' || name === 'em' || name === 'cite' || name === 'var') s.italic = true;
    if (name === 'u' || name === 'ins') s.underline = true;
    if (name === 's' || name === 'strike' || name === 'del') s.strike = true;
    if (name === 'sub') s.subscript = true;
    if (name === 'sup') s.superscript = true;
    if (name === 'code' || name === 'kbd' || name === 'samp' || name === 'tt' || name === 'pre') s.fontId = 0x4000; // monospace hint
    if (HEADING_SIZE[name]) {
      s.bold = true;
      s.fontSize = HEADING_SIZE[name]!;
    }
    if (name === 'font' && el.attribs?.color) {
      const c = parseCssColor(el.attribs.color);
      if (c !== undefined) s.fg = c;
    }
    const st = styleMap(el);
    const color = st.get('color');
    if (color) {
      const c = parseCssColor(color);
      if (c !== undefined) s.fg = c;
    }
    const weight = st.get('font-weight');
    if (weight) s.bold = weight.startsWith('bold') || Number(weight) >= 600;
    const fstyle = st.get('font-style');
    if (fstyle) s.italic = fstyle.startsWith('italic') || fstyle.startsWith('oblique');
    const deco = st.get('text-decoration') ?? st.get('text-decoration-line');
    if (deco) {
      s.underline = deco.includes('underline');
      s.strike = deco.includes('line-through');
    }
    const size = px(st.get('font-size'));
    if (size !== undefined && size > 0 && size < 256) s.fontSize = size;
    return s;
  }

  private image(el: HNode): void {
    const a = el.attribs ?? {};
    const src = (a.src ?? '').trim();
    const w = px(a.width) ?? px(styleMap(el).get('width'));
    const h = px(a.height) ?? px(styleMap(el).get('height'));
    if (!src || (w !== undefined && w <= 2) || (h !== undefined && h <= 2)) return; // trackers and spacers
    const alt = clampAlt((a.alt ?? '').replace(/\s+/g, ' ').trim());
    let def = this.imageByUrl.get(src);
    if (def === undefined) {
      if (this.styles.image.length >= 62 || this.sources.length >= 255) {
        if (alt) this.emitText(`[${alt}]`, { style: defaultTextStyle(), pre: false, inLink: false });
        return;
      }
      const rid = this.sources.length;
      const embedded = this.embedded(src);
      if (embedded) this.resources.push({ id: rid, ...embedded });
      else if (!/^https?:\/\//i.test(src) || this.opts.remoteImages === 'drop') {
        if (alt) this.emitText(`[${alt}]`, { style: defaultTextStyle(), pre: false, inLink: false });
        return;
      }
      this.sources.push({ resourceId: rid, url: embedded ? '' : src, alt });
      this.styles.image.push({
        sourceType: 0,
        sourceId: rid,
        width: Math.min(w ?? 0, 0xffff),
        height: Math.min(h ?? 0, 0xffff),
        fit: 0,
        border: 255,
      });
      def = this.styles.image.length - 1;
      this.imageByUrl.set(src, def);
      this.features |= 1 << Feature.IMAGES;
    }
    this.flushBreak();
    if (this.pendingSpace && !this.atLineStart) {
      this.pendingSpace = false; // emitText would add a second space for it
      this.emitText(' ', { style: defaultTextStyle(), pre: true, inLink: false });
    }
    this.pendingSpace = false;
    this.closeStyle();
    this.tokens.push({ t: 'image', index: def });
    this.wrote = true;
    this.atLineStart = false;
  }

  private embedded(src: string): { type: number; data: Uint8Array } | undefined {
    const m = /^data:image\/(png|jpeg|jpg|webp|svg\+xml);base64,([A-Za-z0-9+/=\s]+)$/i.exec(src);
    if (m) {
      const type = {
        png: ResourceType.PNG,
        jpeg: ResourceType.JPEG,
        jpg: ResourceType.JPEG,
        webp: ResourceType.WEBP,
        'svg+xml': ResourceType.SVG,
      }[m[1]!.toLowerCase()]!;
      try {
        const bin = atob(m[2]!.replace(/\s+/g, ''));
        const data = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
        return { type, data };
      } catch {
        return undefined;
      }
    }
    if (/^https?:/i.test(src)) return undefined;
    return this.opts.resolveImage?.(src);
  }

  private isDataTable(el: HNode): boolean {
    let nested = false;
    let maxCols = 0;
    let th = false;
    const rows: HNode[] = [];
    const walk = (n: HNode, depth: number) => {
      for (const c of n.children ?? []) {
        if (c.type !== 'tag') continue;
        if (c.name === 'table' && depth > 0) nested = true;
        else if (c.name === 'tr') rows.push(c);
        else if (['thead', 'tbody', 'tfoot'].includes(c.name!)) walk(c, depth);
        if (['img', 'p', 'div', 'ul', 'ol', 'h1', 'h2', 'h3', 'blockquote'].includes(c.name!)) nested = true;
        if (c.name !== 'table') walk(c, depth + 1);
      }
    };
    walk(el, 0);
    for (const r of rows) {
      const cells = (r.children ?? []).filter((c) => c.type === 'tag' && (c.name === 'td' || c.name === 'th'));
      if (cells.some((c) => c.name === 'th')) th = true;
      maxCols = Math.max(maxCols, cells.length);
    }
    const role = el.attribs?.role;
    if (role === 'presentation' || role === 'none') return false;
    return !nested && rows.length >= 2 && maxCols >= 2 && (th || Number(el.attribs?.border ?? 0) > 0);
  }

  private dataTable(el: HNode, ctx: Ctx): void {
    if (this.styles.table.length === 0) {
      this.styles.table.push({
        headerStyle: 255,
        bodyStyle: 255,
        gridBorder: 255,
        altRowBackground: 255,
        cellSpacing: 255,
        firstRowHeader: false,
        rowStripes: false,
        columnRules: true,
        rowRules: true,
      });
      this.features |= 1 << Feature.TABLES;
    }
    this.requestBreak(2);
    this.structural({ t: 'styleTable', index: 0 });
    const rows: HNode[] = [];
    const collect = (n: HNode) => {
      for (const c of n.children ?? []) {
        if (c.type !== 'tag') continue;
        if (c.name === 'tr') rows.push(c);
        else if (['thead', 'tbody', 'tfoot'].includes(c.name!)) collect(c);
      }
    };
    collect(el);
    rows.forEach((row, ri) => {
      if (ri > 0) this.structural({ t: 'row' });
      const cells = (row.children ?? []).filter((c) => c.type === 'tag' && (c.name === 'td' || c.name === 'th') && !isHiddenElement(c));
      cells.forEach((cell, ci) => {
        if (ci > 0) this.structural({ t: 'cell' });
        this.pendingSpace = false;
        this.atLineStart = true;
        this.children(cell, { ...ctx, style: this.inlineStyle(cell, ctx.style) });
        this.pendingBreak = 0;
      });
    });
    this.structural({ t: 'blockEnd' });
    this.requestBreak(2);
  }

  private list(el: HNode, ctx: Ctx): void {
    this.requestBreak(1);
    this.structural({ t: 'itemBlock', type: el.name === 'ol' ? ItemType.ORDERED : ItemType.UNORDERED, style: 255 });
    this.features |= 1 << Feature.ITEM_BLOCKS;
    let first = true;
    for (const c of el.children ?? []) {
      if (c.type === 'text' && !(c.data ?? '').trim()) continue;
      if (c.type === 'tag' && (SKIP.has(c.name!) || isHiddenElement(c))) continue;
      if (c.type !== 'tag' && c.type !== 'text') continue;
      if (!first) this.structural({ t: 'cell' });
      first = false;
      this.pendingBreak = 0;
      this.pendingSpace = false;
      this.atLineStart = true;
      if (c.type === 'tag' && c.name === 'li') this.children(c, { ...ctx, style: this.inlineStyle(c, ctx.style) });
      else this.node(c, ctx);
      this.pendingBreak = 0;
    }
    this.structural({ t: 'blockEnd' });
    this.requestBreak(1);
  }

  private quote(el: HNode, ctx: Ctx): void {
    if (this.quoteComposite < 0) {
      this.styles.border.push({
        color: rgbTo565(204, 204, 204),
        top: 0,
        right: 0,
        bottom: 0,
        left: 3,
        outside: 0x000c,
        radiusTL: 0,
        radiusTR: 0,
        radiusBR: 0,
        radiusBL: 0,
      });
      this.styles.spacing.push({
        marginTop: 1,
        marginRight: 0,
        marginBottom: 1,
        marginLeft: 2,
        paddingTop: 0,
        paddingRight: 0,
        paddingBottom: 0,
        paddingLeft: 2,
      });
      this.styles.composite.push({
        background: 255,
        border: this.styles.border.length - 1,
        spacing: this.styles.spacing.length - 1,
        shadow: 255,
        overflow: 0,
        layer: 1,
      });
      this.quoteComposite = this.styles.composite.length - 1;
    }
    this.requestBreak(2);
    this.structural({ t: 'styleContainer', index: this.quoteComposite });
    this.pendingBreak = 0;
    this.atLineStart = true;
    this.children(el, ctx);
    this.pendingBreak = 0;
    this.structural({ t: 'blockEnd' });
    this.requestBreak(2);
  }

  private link(el: HNode, ctx: Ctx): void {
    const href = (el.attribs?.href ?? '').trim();
    if (!href || ctx.inLink || UNSAFE_SCHEME.test(href) || !isWellFormed(href)) {
      this.children(el, ctx);
      return;
    }
    const target = utf8Encode(href);
    if (target.length > 255) {
      // Too long for LINK_START: keep the words and show the target as text.
      this.children(el, ctx);
      this.emitText(` (${href})`, ctx);
      return;
    }
    this.flushBreak();
    if (this.pendingSpace && !this.atLineStart) {
      this.pendingSpace = false; // emitText would add a second space for it
      this.emitText(' ', { ...ctx, pre: true });
    }
    this.pendingSpace = false;
    this.closeStyle();
    this.tokens.push({ t: 'link', type: LinkType.URL, target });
    this.children(el, { ...ctx, inLink: true });
    this.pendingBreak = 0;
    this.closeStyle();
    const prev = this.tokens[this.tokens.length - 1];
    if (prev?.t === 'link') this.tokens.push({ t: 'text', s: href }); // an empty link still shows its target
    this.tokens.push({ t: 'linkEnd' });
    this.wrote = true;
    this.atLineStart = false;
  }

  node(n: HNode, ctx: Ctx): void {
    if (n.type === 'text') return this.text(n.data ?? '', ctx);
    if (n.type !== 'tag' && n.type !== 'script' && n.type !== 'style' && n.type !== 'root') return; // comments, directives, CDATA
    const name = n.name ?? '';
    if (n.type !== 'root' && (SKIP.has(name) || n.type === 'script' || n.type === 'style' || isHiddenElement(n))) return;
    if (name === 'br') {
      this.flushBreak();
      this.closeStyle();
      const prev = this.tokens[this.tokens.length - 1];
      if (prev?.t === 'text') this.tokens[this.tokens.length - 1] = { t: 'text', s: prev.s + '\n' };
      else this.tokens.push({ t: 'text', s: '\n' });
      this.wrote = true;
      this.atLineStart = true;
      this.pendingSpace = false;
      return;
    }
    if (name === 'hr') {
      this.requestBreak(1);
      this.structural({ t: 'hr', style: 255 });
      this.wrote = true;
      this.requestBreak(1);
      return;
    }
    if (name === 'img') return this.image(n);
    if (name === 'a') return this.link(n, { ...ctx, style: this.inlineStyle(n, ctx.style) });
    if (name === 'ul' || name === 'ol') return this.list(n, ctx);
    if (name === 'blockquote') return this.quote(n, { ...ctx, style: this.inlineStyle(n, ctx.style) });
    if (name === 'table' && this.isDataTable(n)) return this.dataTable(n, ctx);
    const style = n.type === 'root' ? ctx.style : this.inlineStyle(n, ctx.style);
    const isPara = PARA.has(name) || HEADING_SIZE[name] !== undefined;
    const isBlock = isPara || BLOCK.has(name) || name === 'li' || name === 'td' || name === 'th';
    if (isBlock) this.requestBreak(isPara ? 2 : 1);
    this.children(n, { ...ctx, style, pre: ctx.pre || name === 'pre' });
    if (isBlock) this.requestBreak(isPara ? 2 : 1);
  }

  children(n: HNode, ctx: Ctx): void {
    for (const c of n.children ?? []) this.node(c, ctx);
  }

  finish(): { tokens: Token[]; features: number; extensions: Extension[] } {
    this.closeStyle();
    const extensions: Extension[] = [];
    if (this.sources.length) {
      extensions.push({ id: IMAGE_SOURCES_EXTENSION, payload: encodeImageSources(this.sources) });
      this.features |= 1 << Feature.EXTENSIONS;
    }
    // Tier: keep the 7-records-at-tier-1 header clear of GS (never arises at tier 0).
    return { tokens: this.tokens, features: this.features, extensions };
  }
}

export function htmlToTokens(html: string, opts: HtmlToCbdfOptions = {}): Converter {
  const dom = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }) as unknown as HNode;
  const c = new Converter(opts);
  c.node({ ...dom, type: 'root' }, { style: defaultTextStyle(), pre: false, inLink: false });
  return c;
}

function findTitle(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? m[1]!.replace(/\s+/g, ' ').trim() : undefined;
}

export function htmlToCbdf(html: string, opts: HtmlToCbdfOptions = {}): Phase2Document {
  const c = htmlToTokens(html, opts);
  const { tokens: raw, features, extensions } = c.finish();
  const tokens = canonicalTokens(raw);
  // The model holds what the encoder writes: a table of 7 records grows to 8 (styles.ts).
  const styles = padSeparatorCounts(c.styles);
  // Decide compression from the size of Styles+Text (§4.9: skip below 256 bytes).
  const sw = new LeWriter();
  encodeStyles(styles, sw);
  encodeText(tokens, sw);
  const compress = opts.compress === undefined || opts.compress === 'auto' ? sw.length >= 256 : opts.compress;
  const plain = tokens
    .filter((t): t is { t: 'text'; s: string } => t.t === 'text')
    .map((t) => t.s)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const fields: MetaFields = {
    fileType: FileType.QMAIL,
    ...opts.meta,
    version: 1,
    compression: compress ? Compression.ZLIB : Compression.NONE,
  };
  if (fields.subject === undefined) {
    const title = findTitle(html);
    if (title) fields.subject = truncateUtf8(title, 255);
  }
  if (fields.previewText === undefined && plain) fields.previewText = truncateUtf8(plain, 140);
  if (features) fields.optionalFeatures = (fields.optionalFeatures ?? 0) | features;
  return { kind: 'phase2', meta: buildMeta(fields), styles, text: tokens, resources: c.resources, extensions };
}
