// The composer's formatted text, end to end without a browser: the HTML its editor holds
// (as Chromium's contenteditable writes it for the toolbar's commands) → CBDF through the
// sanitizing HTML → CBDF path → bytes → the reader's CbdfView.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import {
  composeDocument,
  decodeDocument,
  editorHtml,
  encodeDocument,
  htmlToCbdf,
  toPlainText,
  type Token,
} from '../../../../shared/cbdf/index.js';
import { base64Decode } from '../../../../shared/qkd/base64.js';
import { CbdfView } from '../../components/cbdf/CbdfView.js';
import { remoteImageCount } from '../reader/Reader.js';
import { linkTarget, sanitizePastedHtml } from './RichEditor.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import type { MessageView } from '../../../../shared/ipc/contract.js';
import { bodyPayload, createComposerStore, forwardHtml, originalHtml, quoteHtml } from './store.js';

// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** What the editor holds after: typing, Bold, Italic, Link, a bulleted and a numbered list, Quote, Insert image. */
const EDITOR = [
  // Chromium writes the space typed after a bold run as a no-break space.
  'Hello <b>bold words</b>&nbsp;and <i>slanted ones</i>, see <a href="https://example.org/plan">the plan</a>.',
  '<div><br></div>',
  '<ul><li>first point</li><li>second point</li></ul>',
  '<ol><li>step one</li><li>step two</li></ol>',
  '<blockquote>a wise remark</blockquote>',
  `<div><img src="data:image/png;base64,${PNG}" alt="dot.png"></div>`,
].join('');

function sent(html: string) {
  const p = bodyPayload({ body: 'typed text', html });
  if (!p.document) throw new Error('no document');
  return { body: p.body, doc: decodeDocument(base64Decode(p.document)) };
}

const kinds = (tokens: Token[]) => tokens.map((t) => t.t).filter((t) => t !== 'text' && t !== 'para');

describe('composer formatted text → CBDF → reader', () => {
  it('keeps bold, italic, the link, both lists, the quote and the inline image, and renders them', () => {
    const { body, doc } = sent(EDITOR);
    if (doc.kind !== 'phase2') throw new Error('phase 2 expected');
    expect(doc.resources).toHaveLength(1);
    expect(Buffer.from(doc.resources[0]!.data).toString('base64')).toBe(PNG);
    const out = renderToStaticMarkup(<CbdfView doc={doc} />);
    expect(out).toMatch(/Hello <span style="font-weight:bold[^"]*">bold words<\/span>/);
    expect(out).toMatch(/<\/span>\u00a0and <span style="font-style:italic[^"]*">slanted ones<\/span>/);
    expect(out).toMatch(
      /<a [^>]*class="cbdf-link"[^>]*>the plan<span class="cbdf-link-target"> ⟨https:\/\/example.org\/plan⟩<\/span><\/a>/,
    );
    expect(out).toContain('<ul><li>first point</li><li>second point</li></ul>');
    expect(out).toContain('<ol><li>step one</li><li>step two</li></ol>');
    expect(out).toMatch(/<blockquote[^>]*>a wise remark<\/blockquote>/);
    expect(out).toContain(`<img alt="dot.png" style="max-width:100%" src="data:image/png;base64,${PNG}"/>`);
    // The plain text search and notifications use.
    expect(body).toContain('Hello bold words\u00a0and slanted ones, see the plan <https://example.org/plan>.');
    expect(body).toContain('- first point\n- second point');
    expect(body).toContain('1. step one\n2. step two');
    expect(body).toContain('[image: dot.png]');
    expect(body).toBe(toPlainText(doc).trimEnd());
  });

  it('reopens a saved draft with the same formatting (CBDF → editor → CBDF)', () => {
    const first = composeDocument(EDITOR);
    const again = composeDocument(editorHtml(decodeDocument(encodeDocument(first))));
    expect(kinds(again.text)).toEqual(kinds(first.text));
    expect(toPlainText(again)).toBe(toPlainText(first));
    expect(again.resources.map((r) => r.data)).toEqual(first.resources.map((r) => r.data));
  });

  it('sends plain text alone when nothing is formatted', () => {
    expect(bodyPayload({ body: 'Just words.\n\nTwo lines.', html: 'Just words.<div><br></div><div>Two lines.</div>' })).toEqual({
      body: 'Just words.\n\nTwo lines.',
    });
    expect(bodyPayload({ body: 'no editor yet', html: null })).toEqual({ body: 'no editor yet' });
  });

  it('refuses inline images over the size bound, saying what to do', () => {
    const big = 'A'.repeat(Math.ceil((11 * 1024 * 1024) / 3) * 4);
    expect(() => bodyPayload({ body: '', html: `<img src="data:image/png;base64,${big}" alt="big">` })).toThrow(
      /Attach large pictures as files/,
    );
  });
});

describe('pasted HTML', () => {
  it('loses scripts, handlers, javascript: links and remote images, and keeps words and formatting', () => {
    const out = sanitizePastedHtml(
      '<p onclick="steal()">Hi <b onmouseover="x()">there</b></p><script>alert(1)</script><img src="x" onerror="alert(2)" alt="broken"><a href="javascript:alert(3)">click me</a> <a href="https://ok.example/">fine</a><img src="https://tracker.example/p.gif" alt="pixel" width="40" height="40"><style>body{}</style><iframe src="https://evil.example"></iframe>',
    );
    expect(out).not.toMatch(/script|onclick|onmouseover|onerror|javascript:|tracker\.example|evil\.example|<style|<iframe|<p/i);
    expect(out).toContain('Hi <b>there</b>');
    expect(out).toContain('click me');
    expect(out).toContain('<a href="https://ok.example/">fine</a>');
    expect(out).toContain('[pixel]');
  });

  it('escapes text that looks like markup', () => {
    expect(sanitizePastedHtml('<p>&lt;img src=x onerror=alert(1)&gt; &amp; "quotes"</p>')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;',
    );
  });
});

describe('replies', () => {
  const original = {
    from: '0006.1.42',
    fromName: 'Ada',
    date: Date.UTC(2026, 0, 5, 9, 30),
    body: 'Hello bold',
    document: bodyPayload({ body: '', html: 'Hello <b>bold</b>' }).document!,
  };

  it('quote the original as a CBDF quote block under the header naming the sender, keeping its formatting', () => {
    const html = quoteHtml(original, 'en-GB');
    const { doc, body } = sent(`Thanks!${html}`);
    if (doc.kind !== 'phase2') throw new Error('phase 2 expected');
    expect(body).toMatch(/^Thanks!\n\nAda wrote on .+:\n+Hello bold$/);
    const out = renderToStaticMarkup(<CbdfView doc={doc} />);
    expect(out).toMatch(
      /Ada wrote on [^<]+:(<span class="cbdf-para"[^>]*><\/span>)?<blockquote[^>]*>Hello <span style="font-weight:bold[^"]*">bold<\/span><\/blockquote>/,
    );
  });

  it('quote plain mail as its escaped text, line breaks kept', () => {
    expect(originalHtml({ body: 'a <b>\nsecond line', document: undefined })).toBe('a &lt;b&gt;<br>second line');
    const { doc } = sent(quoteHtml({ ...original, document: undefined, body: 'one\ntwo' }, 'en-GB'));
    expect(toPlainText(doc)).toMatch(/wrote on .+:\n+one\ntwo\n$/);
  });
});

describe('link addresses', () => {
  it('take http(s) and mailto, complete a bare host, and refuse the rest', () => {
    expect(linkTarget('https://example.org/a?b=1')).toBe('https://example.org/a?b=1');
    expect(linkTarget('mailto:ada@example.org')).toBe('mailto:ada@example.org');
    expect(linkTarget('example.org/docs')).toBe('https://example.org/docs');
    expect(linkTarget('javascript:alert(1)')).toBeNull();
    expect(linkTarget('data:text/html,hi')).toBeNull();
    expect(linkTarget('  ')).toBeNull();
  });
});

describe('remote images in received mail', () => {
  it("are counted for the reader's note and never drawn from their address", () => {
    const received = decodeDocument(
      encodeDocument(
        htmlToCbdf(
          `<p>Hi</p><img src="https://cdn.example/a.png" alt="logo" width="80" height="20"><img src="https://cdn.example/b.png" alt="banner" width="80" height="20"><img src="data:image/png;base64,${PNG}" alt="inline">`,
        ),
      ),
    );
    expect(remoteImageCount(received)).toBe(2);
    const out = renderToStaticMarkup(<CbdfView doc={received} />);
    expect(out).not.toContain('cdn.example');
    expect(out).toContain('[logo]');
    expect(out).toContain(`src="data:image/png;base64,${PNG}"`);
    expect(remoteImageCount(composeDocument('<img src="https://cdn.example/a.png" alt="logo">'))).toBe(0);
  });
});

describe('forwards', () => {
  const message: MessageView = {
    id: 'a'.repeat(32),
    folder: 'inbox',
    from: '0006.1.42',
    fromName: 'Ada',
    to: ['0006.1.7'],
    toNames: { '0006.1.7': 'Grace' },
    subject: 'Plans',
    preview: 'Hello bold',
    date: Date.UTC(2026, 0, 5, 9, 30),
    unread: false,
    level: 'L3',
    body: 'Hello bold',
    document: bodyPayload({ body: '', html: 'Hello <b>bold</b>' }).document!,
    attachments: [{ index: 0, name: 'notes.txt', size: 5 }],
  };

  it('quote the original in a block under a header naming its sender, date, subject and recipients', () => {
    const { doc, body } = sent(`FYI${forwardHtml(message, 'en-GB')}`);
    expect(body).toMatch(
      /^FYI\n\nForwarded message\nFrom: Ada <0006\.1\.42>\nDate: .+\nSubject: Plans\nTo: Grace <0006\.1\.7>\n+Hello bold$/,
    );
    expect(renderToStaticMarkup(<CbdfView doc={doc} />)).toMatch(
      /<blockquote[^>]*>Hello <span style="font-weight:bold[^"]*">bold<\/span><\/blockquote>/,
    );
  });

  it('open the composer as "Fwd: …" with no recipients, the quote, and the original\'s attachments attached again', async () => {
    const asked: unknown[] = [];
    const runtime = {
      invoke: async (channel: string, input: unknown) => {
        asked.push([channel, input]);
        if (channel === 'mail.attachment') return { name: 'notes.txt', size: 5, data: Buffer.from('notes').toString('base64') };
        throw new Error(`unexpected ${channel}`);
      },
      on: () => () => {},
    } as unknown as Runtime;
    const store = createComposerStore(runtime);
    store.getState().openForward(message);
    expect(store.getState()).toMatchObject({
      open: true,
      to: '',
      subject: 'Fwd: Plans',
      replyTitle: 'Fwd: Plans',
      focus: 'to',
      restoring: true,
      inReplyTo: null,
    });
    expect(store.getState().html).toContain('<blockquote>Hello <b>bold</b></blockquote>');
    await vi.waitFor(() => expect(store.getState().restoring).toBe(false));
    expect(store.getState().attachments.map((a) => [a.name, a.size, a.data])).toEqual([
      ['notes.txt', 5, Buffer.from('notes').toString('base64')],
    ]);
    expect(asked).toEqual([['mail.attachment', { id: message.id, index: 0 }]]);
  });
});
