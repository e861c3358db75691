// Formatted mail bodies: what the composer's editor holds (HTML) becomes CBDF only through
// `htmlToCbdf` (the one sanitizing path: no scripts, no handlers, no remote images), and a
// CBDF body becomes editor HTML again for drafts, replies and pastes. The HTML written here
// is built from the document's tokens alone: every text and attribute escaped, a fixed set
// of tags, links only to http(s)/mailto, images only from the document's own resources.
import type { CbdfDocument, Phase2Document } from './document.js';
import { htmlToCbdf } from './html.js';
import { FileType } from './meta.js';
import { imageSourcesOf } from './plain.js';
import { RESOURCE_MIME } from './resources.js';
import type { Token } from './text.js';

/** Largest formatted body (CBDF bytes, inline images included) the app sends or hands the reader. */
export const MAX_RICH_BODY_BYTES = 10 * 1024 * 1024;

/** Whether a Phase II body says more than plain paragraphs (styles, links, lists, quotes, tables, images). */
export function hasFormatting(doc: CbdfDocument): boolean {
  if (doc.kind !== 'phase2') return false;
  return doc.resources.length > 0 || doc.text.some((t) => t.t !== 'text' && t.t !== 'para');
}

/**
 * The editor's HTML as a CBDF body (no Meta beyond file type and compression: the letter adds
 * its own). Remote images are dropped for their alt text; unsafe links keep their words only.
 */
export function composeDocument(html: string): Phase2Document {
  return htmlToCbdf(html, { remoteImages: 'drop', meta: { fileType: FileType.QMAIL } });
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

function bytesToBase64(data: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(bin);
}

type Frame = { block: boolean; close: string; kind?: 'list' | 'table' | 'quote' };

/** A CBDF document as editor HTML (see the file comment for what it can contain). */
export function editorHtml(doc: CbdfDocument): string {
  if (doc.kind === 'phase1') return plainToEditorHtml(doc.body.endsWith('\u0003') ? doc.body.slice(0, -1) : doc.body);
  if (doc.kind === 'metaOnly') return '';
  const sources = imageSourcesOf(doc);
  const dec = new TextDecoder();
  const stack: Frame[] = [];
  let out = '';
  // Blocks (lists, quotes, tables, rules) bring their own spacing: line breaks that only
  // separate them from the text around would show as extra blank lines in the editor.
  let afterBlock = false;
  const openBlock = (html: string) => {
    out = out.replace(/<br>$/, '') + html; // the line break that only ends the text before it
  };
  const closeUntilBlock = () => {
    while (stack.length && !stack[stack.length - 1]!.block) out += stack.pop()!.close;
  };
  for (const tok of doc.text as Token[]) {
    if (tok.t === 'image' || tok.t === 'link') afterBlock = false;
    switch (tok.t) {
      case 'text': {
        const s = afterBlock ? tok.s.replace(/^\n+/, '') : tok.s;
        out += escapeHtml(s).replace(/\n/g, '<br>');
        if (s) afterBlock = false;
        break;
      }
      case 'para':
        if (!afterBlock) out += '<br><br>';
        break;
      case 'hr':
      case 'page':
        openBlock('<hr>');
        afterBlock = true;
        break;
      case 'styleText': {
        const s = doc.styles.text.records[tok.index];
        const tags = s
          ? [s.bold && 'b', s.italic && 'i', s.underline && 'u', s.strike && 's', s.fontId & 0x4000 && 'code'].filter(
              (t): t is string => typeof t === 'string',
            )
          : [];
        out += tags.map((t) => `<${t}>`).join('');
        stack.push({
          block: false,
          close: tags
            .reverse()
            .map((t) => `</${t}>`)
            .join(''),
        });
        break;
      }
      case 'styleEnd':
        if (stack.length && !stack[stack.length - 1]!.block) out += stack.pop()!.close;
        break;
      case 'link': {
        const target = tok.type <= 1 ? dec.decode(tok.target) : '';
        const safe = SAFE_LINK.test(target);
        if (safe) out += `<a href="${escapeHtml(target)}">`;
        stack.push({ block: false, close: safe ? '</a>' : '' });
        break;
      }
      case 'linkEnd':
        closeUntilBlock();
        break;
      case 'styleContainer':
        closeUntilBlock();
        openBlock('<blockquote>');
        stack.push({ block: true, close: '</blockquote>', kind: 'quote' });
        break;
      case 'itemBlock': {
        closeUntilBlock();
        const tag = tok.type === 1 ? 'ol' : 'ul';
        openBlock(`<${tag}><li>`);
        stack.push({ block: true, close: `</li></${tag}>`, kind: 'list' });
        break;
      }
      case 'styleTable':
        closeUntilBlock();
        openBlock('<table border="1"><tr><td>');
        stack.push({ block: true, close: '</td></tr></table>', kind: 'table' });
        break;
      case 'cell':
      case 'row': {
        closeUntilBlock();
        const f = stack[stack.length - 1];
        if (f?.kind === 'list') out += '</li><li>';
        else if (f?.kind === 'table') out += tok.t === 'row' ? '</td></tr><tr><td>' : '</td><td>';
        break;
      }
      case 'blockEnd':
        closeUntilBlock();
        if (stack.length) out += stack.pop()!.close;
        afterBlock = true;
        break;
      case 'image': {
        const def = doc.styles.image[tok.index];
        if (!def) break;
        const res = doc.resources.find((r) => r.id === def.sourceId);
        const alt = sources.get(def.sourceId)?.alt ?? '';
        if (res && res.type <= 3) {
          const size = `${def.width ? ` width="${def.width}"` : ''}${def.height ? ` height="${def.height}"` : ''}`;
          out += `<img src="data:${RESOURCE_MIME[res.type]};base64,${bytesToBase64(res.data)}" alt="${escapeHtml(alt)}"${size}>`;
        } else if (alt) out += escapeHtml(`[${alt}]`);
        break;
      }
      default:
        break;
    }
  }
  while (stack.length) out += stack.pop()!.close;
  return out;
}

/** Plain text as editor HTML: escaped, line breaks kept. */
export function plainToEditorHtml(text: string): string {
  return escapeHtml(text.replace(/\r\n?/g, '\n')).replace(/\n/g, '<br>');
}
