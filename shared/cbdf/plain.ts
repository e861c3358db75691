// CBDF → readable plain text: the words, link targets shown after their text, list
// bullets, table cells, image placeholders. (The byte-level §4.5.2 extraction is
// `extractPlainText` in text.ts.)
import type { CbdfDocument } from './document.js';
import { IMAGE_SOURCES_EXTENSION, decodeImageSources, type ImageSource } from './images.js';
import { metaView } from './meta.js';
import { ItemType, type Token } from './text.js';

export function imageSourcesOf(doc: CbdfDocument): Map<number, ImageSource> {
  const out = new Map<number, ImageSource>();
  if (doc.kind !== 'phase2') return out;
  for (const ext of doc.extensions) {
    if (ext.id !== IMAGE_SOURCES_EXTENSION) continue;
    try {
      for (const s of decodeImageSources(ext.payload)) out.set(s.resourceId, s);
    } catch {
      // A broken extension only loses alt texts and remote URLs; the document stays readable.
    }
  }
  return out;
}

export function toPlainText(doc: CbdfDocument): string {
  if (doc.kind === 'phase1') return doc.body.endsWith('\u0003') ? doc.body.slice(0, -1) : doc.body;
  if (doc.kind === 'metaOnly') {
    const f = metaView(doc.meta);
    return [f.subject, f.previewText ?? f.aiSummary].filter(Boolean).join('\n\n');
  }
  const sources = imageSourcesOf(doc);
  const dec = new TextDecoder();
  let out = '';
  const stack: Array<{ kind: 'list' | 'table' | 'box' | 'text'; ordered?: boolean; n?: number }> = [];
  let link: { target: string; start: number } | undefined;
  const nl = () => {
    if (out && !out.endsWith('\n')) out += '\n';
  };
  const bullet = (f: { ordered?: boolean; n?: number }) => {
    f.n = (f.n ?? 0) + 1;
    const depth = stack.filter((s) => s.kind === 'list').length - 1;
    out += '  '.repeat(Math.max(0, depth)) + (f.ordered ? `${f.n}. ` : '- ');
  };
  const innermost = () => [...stack].reverse().find((s) => s.kind !== 'text');
  for (const tok of doc.text as Token[]) {
    switch (tok.t) {
      case 'text':
        out += tok.s;
        break;
      case 'para':
        nl();
        out += '\n';
        break;
      case 'page':
        nl();
        out += '\n';
        break;
      case 'hr':
        nl();
        out += '----\n';
        break;
      case 'link':
        link = {
          target:
            tok.type === 0 || tok.type === 1
              ? dec.decode(tok.target)
              : `mailbox:${[...tok.target].map((b) => b.toString(16).padStart(2, '0')).join('')}`,
          start: out.length,
        };
        break;
      case 'linkEnd':
        if (link) {
          const shown = out.slice(link.start).trim();
          if (shown !== link.target) out += ` <${link.target}>`;
        }
        link = undefined;
        break;
      case 'image': {
        const def = doc.styles.image[tok.index];
        const alt = def ? sources.get(def.sourceId)?.alt : undefined;
        out += alt ? `[image: ${alt}]` : '[image]';
        break;
      }
      case 'styleText':
        stack.push({ kind: 'text' });
        break;
      case 'styleEnd':
        stack.pop();
        break;
      case 'styleContainer':
        nl();
        stack.push({ kind: 'box' });
        break;
      case 'styleTable':
        nl();
        stack.push({ kind: 'table' });
        break;
      case 'itemBlock': {
        nl();
        const f = { kind: 'list' as const, ordered: tok.type === ItemType.ORDERED, n: 0 };
        stack.push(f);
        bullet(f);
        break;
      }
      case 'blockEnd':
        stack.pop();
        nl();
        break;
      case 'cell': {
        const f = innermost();
        if (f?.kind === 'list') {
          nl();
          bullet(f);
        } else if (f?.kind === 'table') out += ' | ';
        else out += '\t';
        break;
      }
      case 'row':
        nl();
        break;
      case 'aiPrompt':
      case 'data':
      case 'nop':
      case 'subject':
      case 'docEnd':
      case 'elementId':
        break;
    }
  }
  return (
    out
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}
