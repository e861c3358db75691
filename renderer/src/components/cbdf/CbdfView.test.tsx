import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { decodeDocument, encodeDocument, htmlToCbdf } from '../../../../shared/cbdf/index.js';
import { CbdfView } from './CbdfView.js';

const html =
  '<p>Hi <b>there</b>, see <a href="https://example.com/a">our site</a>.</p><img src="https://cdn.example/logo.png" alt="Logo" width="100" height="40"><ul><li>x</li><li>y</li></ul><table border="1"><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>';
const doc = decodeDocument(encodeDocument(htmlToCbdf(html)));

function find(
  node: ReactNode,
  pred: (e: ReactElement<Record<string, unknown>>) => boolean,
): ReactElement<Record<string, unknown>> | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const hit = find(n, pred);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isValidElement(node)) return undefined;
  const el = node as ReactElement<Record<string, unknown>>;
  if (pred(el)) return el;
  return find(el.props.children as ReactNode, pred);
}

describe('CbdfView', () => {
  it('blocks remote images by default and shows a placeholder', () => {
    const out = renderToStaticMarkup(<CbdfView doc={doc} />);
    expect(out).not.toContain('cdn.example');
    expect(out).toContain('cbdf-image-blocked');
    expect(out).toContain('[Logo]');
    expect(out).not.toContain('href=');
    expect(out).toContain('https://example.com/a');
    expect(out).toContain('<li>x</li>');
    expect(out).toMatch(/<td>(<span[^>]*>)?A(<\/span>)?<\/td>/);
  });

  it('loads remote images only with allowRemote', () => {
    const out = renderToStaticMarkup(<CbdfView doc={doc} allowRemote />);
    expect(out).toContain('src="https://cdn.example/logo.png"');
  });

  it('opens links only through onOpenLink', () => {
    const opened: string[] = [];
    const tree = CbdfView({ doc, onOpenLink: (t) => opened.push(t) });
    const link = find(tree, (e) => e.props.className === 'cbdf-link');
    expect(link).toBeDefined();
    (link!.props.onClick as (e: { preventDefault(): void }) => void)({ preventDefault() {} });
    expect(opened).toEqual(['https://example.com/a']);
  });

  it('opens a link from the keyboard (Enter) as well', () => {
    const opened: string[] = [];
    const link = find(CbdfView({ doc, onOpenLink: (t) => opened.push(t) }), (e) => e.props.className === 'cbdf-link');
    let prevented = false;
    (link!.props.onKeyDown as (e: { key: string; preventDefault(): void }) => void)({
      key: 'Tab',
      preventDefault() {
        prevented = true;
      },
    });
    expect(opened).toEqual([]);
    (link!.props.onKeyDown as (e: { key: string; preventDefault(): void }) => void)({
      key: 'Enter',
      preventDefault() {
        prevented = true;
      },
    });
    expect(opened).toEqual(['https://example.com/a']);
    expect(prevented).toBe(true);
  });

  it('uses no raw-HTML injection', () => {
    const src = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'CbdfView.tsx'), 'utf8');
    expect(src).not.toMatch(/dangerously/i);
  });
});
