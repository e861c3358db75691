// Over the 44 email templates: the plain-text rendering of every converted template keeps
// every visible word (in order) and every link target of the original, and the CBDF
// document round-trips through the codec. Visible = text not inside script, style, head,
// hidden elements (hidden attribute, display:none, visibility:hidden) or form controls.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { decodeDocument, encodeDocument, htmlToCbdf, toPlainText } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../../shared/corpus/email-blueprints');
const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.html'))
  .sort();

interface N {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: N[];
  data?: string;
}
const INVISIBLE = new Set(['script', 'style', 'head', 'title', 'noscript', 'template', 'input', 'select', 'textarea', 'option']);

function hidden(n: N): boolean {
  if (!n.attribs) return false;
  if ('hidden' in n.attribs) return true;
  const style = (n.attribs.style ?? '').toLowerCase().replace(/\s+/g, '');
  return /(^|;)display:none/.test(style) || /(^|;)visibility:hidden/.test(style);
}

function visible(html: string): { words: string[]; links: string[] } {
  const words: string[] = [];
  const links: string[] = [];
  const walk = (n: N) => {
    if (n.type === 'text') {
      words.push(...(n.data ?? '').split(/\s+/).filter(Boolean));
      return;
    }
    if (n.type === 'script' || n.type === 'style' || n.type === 'comment' || n.type === 'directive') return;
    if (n.name && (INVISIBLE.has(n.name) || hidden(n))) return;
    if (n.name === 'a' && n.attribs?.href && !/^\s*(javascript|vbscript|data|file):/i.test(n.attribs.href))
      links.push(n.attribs.href.trim());
    for (const c of n.children ?? []) walk(c);
  };
  walk(parseDocument(html, { decodeEntities: true }) as unknown as N);
  return { words, links };
}

describe('HTML templates → CBDF → plain text', () => {
  it('finds the 44 templates', () => {
    expect(files.length).toBe(44);
  });

  it.each(files)('%s keeps every visible word and link target', (file) => {
    const html = readFileSync(join(corpus, file), 'utf8');
    const doc = htmlToCbdf(html);
    const bytes = encodeDocument(doc);
    const back = decodeDocument(bytes);
    expect(back).toEqual(doc);
    const text = toPlainText(back);
    const { words, links } = visible(html);
    expect(words.length).toBeGreaterThan(10);
    let at = 0;
    for (const w of words) {
      const i = text.indexOf(w, at);
      if (i < 0) expect.fail(`word ${JSON.stringify(w)} missing (or out of order) after offset ${at}`);
      at = i + w.length;
    }
    for (const l of links) expect(text).toContain(l);
  });
});
