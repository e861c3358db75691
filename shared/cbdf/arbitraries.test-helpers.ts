// fast-check generators for CBDF documents (used by the property tests).
import fc from 'fast-check';
import { buildMeta, type MetaEntry } from './meta.js';
import type { Phase2Document, Extension } from './document.js';
import type { Resource } from './resources.js';
import { emptyStyles, type Styles, type Tier } from './styles.js';
import type { Token } from './text.js';

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const nib = fc.integer({ min: 0, max: 15 });
const s6 = fc.integer({ min: -32, max: 31 });
const str = (max: number) => fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => new TextEncoder().encode(s).length <= 255);
const mailbox = fc.record({
  coinGroup: fc.constant(6),
  denomination: fc.integer({ min: -128, max: 127 }),
  serial: fc.integer({ min: 0, max: 0xffffffff }),
});

export const metaArb = (compression: 0 | 1): fc.Arbitrary<MetaEntry[]> =>
  fc
    .record({
      fileType: fc.integer({ min: 0, max: 5 }),
      subject: fc.option(str(40), { nil: undefined }),
      from: fc.option(mailbox, { nil: undefined }),
      to: fc.array(mailbox, { maxLength: 3 }),
      timestamp: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
      previewText: fc.option(str(60), { nil: undefined }),
      requiredFeatures: fc.integer({ min: 0, max: 0xfff }),
      contentLanguage: fc.option(fc.constantFrom('en', 'fr-CA', 'de'), { nil: undefined }),
      unknown: fc.array(fc.record({ key: fc.integer({ min: 46, max: 199 }), value: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 2 }),
    })
    .map((f) => {
      const e = buildMeta({
        fileType: f.fileType,
        version: 1,
        compression,
        subject: f.subject,
        from: f.from,
        to: f.to,
        timestamp: f.timestamp,
        previewText: f.previewText,
        requiredFeatures: f.requiredFeatures,
        contentLanguage: f.contentLanguage,
      });
      return [...e, ...f.unknown];
    });

const textStyleArb = (tier: Tier) =>
  fc.record({
    fontId: u16,
    fontSize: u8,
    bold: fc.boolean(),
    italic: fc.boolean(),
    underline: fc.boolean(),
    strike: fc.boolean(),
    subscript: fc.boolean(),
    superscript: fc.boolean(),
    align: fc.integer({ min: 0, max: 3 }),
    fg: u16,
    bg: u16,
    shadowX: tier >= 1 ? s6 : fc.constant(0),
    shadowY: tier >= 1 ? s6 : fc.constant(0),
    shadowBlur: tier >= 1 ? nib : fc.constant(0),
    letterSpacing: tier >= 1 ? fc.integer({ min: -128, max: 127 }) : fc.constant(0),
    lineHeight: tier >= 1 ? u8 : fc.constant(0),
    effectId: tier >= 2 ? nib : fc.constant(0),
    effectIntensity: tier >= 2 ? nib : fc.constant(0),
    transform: tier >= 2 ? fc.integer({ min: 0, max: 3 }) : fc.constant(0),
    direction: tier >= 2 ? fc.integer({ min: 0, max: 3 }) : fc.constant(0),
    wordSpacing: tier >= 2 ? nib : fc.constant(0),
    effectColor: tier >= 2 ? u16 : fc.constant(0),
  });
const bgArb = (tier: Tier) =>
  fc.record({
    color: u16,
    imageId: u16,
    opacity: u8,
    repeatX: fc.boolean(),
    repeatY: fc.boolean(),
    fixed: fc.boolean(),
    cover: fc.boolean(),
    contain: fc.boolean(),
    gradColor2: tier >= 1 ? u16 : fc.constant(0),
    gradType: tier >= 1 ? u8 : fc.constant(0),
    gradAngle: tier >= 1 ? u8 : fc.constant(0),
    color2Stop: tier >= 1 ? u8 : fc.constant(0),
    gradColor3: tier >= 2 ? u16 : fc.constant(0),
    gradColor4: tier >= 2 ? u16 : fc.constant(0),
    color3Stop: tier >= 2 ? u8 : fc.constant(0),
    color4Stop: tier >= 2 ? u8 : fc.constant(0),
  });
const tierArb = fc.constantFrom<Tier>(0, 1, 2);
/** Up to 9 records, with 7 (the count whose header byte is a separator) drawn often. */
const countArb = fc.oneof(fc.constant(7), fc.integer({ min: 0, max: 9 }));
const records = <T>(arb: fc.Arbitrary<T>) => countArb.chain((n) => fc.array(arb, { minLength: n, maxLength: n }));
const tiered = <T>(mk: (t: Tier) => fc.Arbitrary<T>) =>
  tierArb.chain((tier) => records(mk(tier)).map((rs) => ({ tier: rs.length ? tier : (0 as Tier), records: rs })));

export const stylesArb: fc.Arbitrary<Styles> = fc
  .record({
    layoutId: u16,
    pageBackground: fc.option(
      tierArb.chain((tier) => bgArb(tier).map((r) => ({ tier, records: [r] }))),
      { nil: undefined },
    ),
    background: tiered(bgArb),
    text: tiered(textStyleArb),
    border: records(
      fc.record({
        color: u16,
        top: nib,
        right: nib,
        bottom: nib,
        left: nib,
        outside: u16,
        radiusTL: fc.integer({ min: 0, max: 63 }),
        radiusTR: fc.integer({ min: 0, max: 63 }),
        radiusBR: fc.integer({ min: 0, max: 63 }),
        radiusBL: fc.integer({ min: 0, max: 63 }),
      }),
    ),
    spacing: records(
      fc.record({
        marginTop: nib,
        marginRight: nib,
        marginBottom: nib,
        marginLeft: nib,
        paddingTop: nib,
        paddingRight: nib,
        paddingBottom: nib,
        paddingLeft: nib,
      }),
    ),
    shadow: records(fc.record({ color: u16, x: s6, y: s6, blur: nib })),
    fontEffects: countArb.chain((n) =>
      fc.uniqueArray(fc.record({ effectId: fc.integer({ min: 0, max: 15 }), intensity: u8, paramA: u8, paramB: u8 }), {
        minLength: n,
        maxLength: n,
        selector: (r) => r.effectId,
      }),
    ),
    frame: records(
      fc.record({
        sourceType: u8,
        sourceId: u8,
        width: u16,
        height: u16,
        scrolling: fc.boolean(),
        links: fc.boolean(),
        framedResources: fc.boolean(),
        nestedFrames: fc.boolean(),
        border: fc.constant(255),
      }),
    ),
    nComposite: countArb,
    nTable: countArb,
    nImage: countArb,
    nNav: countArb,
    seed: fc.array(u8, { minLength: 16, maxLength: 16 }),
  })
  .map((s) => {
    const st = emptyStyles(s.layoutId);
    const pick = (i: number, n: number) => (n === 0 ? 255 : s.seed[i % 16]! % (n + 1) === n ? 255 : s.seed[i % 16]! % n);
    Object.assign(st, {
      pageBackground: s.pageBackground,
      background: s.background,
      text: s.text,
      border: s.border,
      spacing: s.spacing,
      shadow: s.shadow,
      fontEffects: s.fontEffects,
      frame: s.frame.map((f) => ({ ...f, border: pick(1, s.border.length) })),
    });
    if (!s.pageBackground) delete st.pageBackground;
    for (let i = 0; i < s.nComposite; i++)
      st.composite.push({
        background: pick(i, s.background.records.length),
        border: pick(i + 1, s.border.length),
        spacing: pick(i + 2, s.spacing.length),
        shadow: pick(i + 3, s.shadow.length),
        overflow: i % 3,
        layer: s.seed[i]! % 64,
      });
    for (let i = 0; i < s.nTable; i++)
      st.table.push({
        headerStyle: pick(i + 4, s.text.records.length),
        bodyStyle: pick(i + 5, s.text.records.length),
        gridBorder: pick(i + 6, s.border.length),
        altRowBackground: 255,
        cellSpacing: pick(i + 7, s.spacing.length),
        firstRowHeader: i === 0,
        rowStripes: false,
        columnRules: true,
        rowRules: false,
      });
    for (let i = 0; i < s.nImage; i++)
      st.image.push({
        sourceType: 0,
        sourceId: s.seed[i]!,
        width: s.seed[i + 1]! * 3,
        height: s.seed[i + 2]!,
        fit: i % 4,
        border: pick(i + 8, s.border.length),
      });
    for (let i = 0; i < s.nNav; i++)
      st.navBar.push({
        itemStyle: pick(i + 9, s.text.records.length),
        active: 255,
        hover: 255,
        barBackground: 255,
        barBorder: 255,
        barSpacing: 255,
        collapse: s.seed[i]!,
        vertical: i === 1,
        itemMode: i % 3,
        align: i % 4,
      });
    return st;
  });

type Op =
  | { o: 'text'; s: string }
  | { o: 'simple'; t: 'nop' | 'subject' | 'docEnd' | 'para' | 'page' | 'row' | 'cell' }
  | { o: 'push'; k: 'styleText' | 'styleContainer' | 'styleTable' | 'itemBlock'; v: number; w: number }
  | { o: 'pop' }
  | { o: 'link'; target: string; type: number }
  | { o: 'hr'; v: number }
  | { o: 'image'; v: number }
  | { o: 'data'; d: Uint8Array }
  | { o: 'eid'; id: number }
  | { o: 'ai'; s: string; type: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => ({
      o: 'text' as const,
      s: [...s].filter((ch) => ch.charCodeAt(0) >= 0x20 || ch === '\n' || ch === '\t').join('') || 'x',
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('nop', 'subject', 'docEnd', 'para', 'page', 'row', 'cell')
      .map((t) => ({ o: 'simple' as const, t: t as 'nop' })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      o: fc.constant('push' as const),
      k: fc.constantFrom('styleText', 'styleContainer', 'styleTable', 'itemBlock') as fc.Arbitrary<'styleText'>,
      v: u8,
      w: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ o: 'pop' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      o: fc.constant('link' as const),
      target: fc.webUrl().filter((u) => u.length < 200),
      type: fc.constantFrom(0, 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ o: fc.constant('hr' as const), v: u8 }) },
  { weight: 1, arbitrary: fc.record({ o: fc.constant('image' as const), v: u8 }) },
  { weight: 1, arbitrary: fc.record({ o: fc.constant('data' as const), d: fc.uint8Array({ maxLength: 8 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      o: fc.constant('eid' as const),
      id: fc.oneof(fc.integer({ min: 0, max: 254 }), fc.integer({ min: 255, max: 0xffff })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      o: fc.constant('ai' as const),
      s: fc.string({ maxLength: 20 }).filter((s) => !/[\ud800-\udfff]/.test(s)),
      type: fc.integer({ min: 0, max: 2 }),
    }),
  },
);

/** Turns random ops into a valid, canonical token stream for the given style tables. */
export function opsToTokens(ops: Op[], st: Styles): Token[] {
  const out: Token[] = [];
  const stack: Array<'text' | 'block'> = [];
  let inLink = false;
  const n = { styleText: st.text.records.length, styleContainer: st.composite.length, styleTable: st.table.length };
  for (const op of ops) {
    const prev = out[out.length - 1];
    switch (op.o) {
      case 'text':
        if (prev?.t === 'text') out[out.length - 1] = { t: 'text', s: prev.s + op.s };
        else out.push({ t: 'text', s: op.s });
        break;
      case 'simple':
        out.push({ t: op.t });
        break;
      case 'push': {
        if (stack.length >= 32) break;
        if (op.k === 'itemBlock') {
          const type = op.w;
          const lim = type === 2 ? st.navBar.length : st.text.records.length;
          out.push({ t: 'itemBlock', type, style: lim === 0 || op.v % 4 === 0 ? 255 : op.v % lim });
          stack.push('block');
          break;
        }
        const lim = n[op.k];
        if (lim === 0) break;
        out.push({ t: op.k, index: op.v % lim });
        stack.push(op.k === 'styleText' ? 'text' : 'block');
        break;
      }
      case 'pop': {
        const top = stack.pop();
        if (top) out.push({ t: top === 'text' ? 'styleEnd' : 'blockEnd' });
        break;
      }
      case 'link':
        if (inLink) out.push({ t: 'linkEnd' });
        else out.push({ t: 'link', type: op.type, target: new TextEncoder().encode(op.target) });
        inLink = !inLink;
        break;
      case 'hr':
        out.push({ t: 'hr', style: st.composite.length === 0 ? 255 : op.v % st.composite.length });
        break;
      case 'image':
        if (st.image.length) out.push({ t: 'image', index: op.v % st.image.length });
        break;
      case 'data':
        out.push({ t: 'data', data: op.d });
        break;
      case 'eid':
        out.push({ t: 'elementId', id: op.id });
        break;
      case 'ai':
        out.push({ t: 'aiPrompt', type: op.type, prompt: op.s });
        break;
    }
  }
  if (inLink) out.push({ t: 'linkEnd' });
  while (stack.length) out.push({ t: stack.pop() === 'text' ? 'styleEnd' : 'blockEnd' });
  return out;
}

const resourcesArb: fc.Arbitrary<Resource[]> = fc.uniqueArray(
  fc.record({ id: u8, type: fc.integer({ min: 0, max: 7 }), data: fc.uint8Array({ maxLength: 40 }) }),
  { maxLength: 4, selector: (r) => r.id },
);
const extArb: fc.Arbitrary<Extension[]> = fc.array(fc.record({ id: u8, payload: fc.uint8Array({ maxLength: 16 }) }), { maxLength: 2 });

export const phase2Arb: fc.Arbitrary<Phase2Document> = fc
  .record({
    compression: fc.constantFrom<0 | 1>(0, 1),
    styles: stylesArb,
    ops: fc.array(opArb, { maxLength: 40 }),
    resources: resourcesArb,
    extensions: extArb,
  })
  .chain((r) =>
    metaArb(r.compression).map((meta) => ({
      kind: 'phase2' as const,
      meta,
      styles: r.styles,
      text: opsToTokens(r.ops, r.styles),
      resources: r.resources,
      extensions: r.extensions,
    })),
  );
