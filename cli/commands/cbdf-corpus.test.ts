// `qmail cbdf from-html` over the shared template corpus, read back by a strict reader: no
// sub-table header byte of any output is a separator (0x1C–0x1F). Besides each template as
// it is, two variants per template push a table to exactly 7 records (the count whose
// header is a separator): one with more distinct text styles, one with more images.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../program.js';
import { SEPARATOR_COUNT, decodeDocument, htmlToCbdf, isSeparatorByte, type Styles } from '../../shared/cbdf/index.js';
import { styleHeaders, stylesPayloadOf } from '../../shared/cbdf/strict-reader.test-helpers.js';

const corpus = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/email-blueprints');
const templates = readdirSync(corpus)
  .filter((f) => f.endsWith('.html'))
  .sort();
const dir = mkdtempSync(join(tmpdir(), 'qmail-cbdf-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fromHtml(name: string, html: string): Promise<Uint8Array> {
  const input = join(dir, `${name}.html`);
  const output = join(dir, `${name}.cbdf`);
  writeFileSync(input, html);
  let err = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await main(['cbdf', 'from-html', input, '-o', output]);
    expect(code, err).toBe(0);
  } finally {
    e.mockRestore();
    process.exitCode = undefined;
  }
  return readFileSync(output);
}

const withBody = (html: string, extra: string) => (/<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${extra}</body>`) : html + extra);
const span = (i: number) => `<p><span style="font-size:${71 + i}px">extra ${i}</span></p>`;
const img = (i: number) => `<p><img src="https://img.example/extra-${i}.png" width="40" height="${20 + i}" alt="extra ${i}"></p>`;

/** The template with as many extra elements as it takes to bring one table to 7 records (or the first count past it). */
function grownTo7(html: string, extra: (i: number) => string, count: (st: Styles) => number): string {
  let out = html;
  for (let i = 0; i < SEPARATOR_COUNT && count(htmlToCbdf(out).styles) < SEPARATOR_COUNT; i++) out = withBody(out, extra(i));
  return out;
}

function checkStrict(bytes: Uint8Array): number[] {
  const headers = styleHeaders(stylesPayloadOf(bytes));
  for (const h of headers) expect(isSeparatorByte(h.value), `sub-table ${h.table} header 0x${h.value.toString(16)} at ${h.at}`).toBe(false);
  // Our own decoder reads it too.
  expect(decodeDocument(bytes).kind).toBe('phase2');
  return headers.map((h) => h.value);
}

describe('qmail cbdf from-html over the template corpus: no separator-valued sub-table header', () => {
  it('finds the 44 templates', () => {
    expect(templates.length).toBe(44);
  });

  it.each(templates)('%s, as it is and with 7 text styles and 7 images', async (file) => {
    const html = readFileSync(join(corpus, file), 'utf8');
    checkStrict(await fromHtml(`${file}.plain`, html));

    const text = grownTo7(html, span, (st) => st.text.records.length);
    const tb = await fromHtml(`${file}.text`, text);
    checkStrict(tb);
    const images = grownTo7(html, img, (st) => st.image.length);
    const ib = await fromHtml(`${file}.images`, images);
    checkStrict(ib);
    // The variants really reach the count whose header would be a separator (written as 8).
    const t = decodeDocument(tb);
    const i = decodeDocument(ib);
    if (t.kind !== 'phase2' || i.kind !== 'phase2') throw new Error('expected Phase II output');
    expect(t.styles.text.records.length).toBe(8);
    expect(i.styles.image.length).toBe(8);
  });
});
