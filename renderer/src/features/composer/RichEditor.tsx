// The message text: a contenteditable with a row of real buttons (bold Ctrl+B, italic Ctrl+I,
// link Ctrl+K, bulleted and numbered lists, quote, inline image). What it loads comes from
// shared/cbdf's editor HTML (built from CBDF, every text escaped); what is pasted or dropped
// in goes through HTML → CBDF → editor HTML first, so scripts, handlers and remote images never
// reach the page; and what it holds becomes CBDF through the same HTML → CBDF path on save/send.
import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { composeDocument, editorHtml, escapeHtml, plainToEditorHtml } from '../../../../shared/cbdf/index.js';
import { errorMessage } from '../../runtime/errors.js';
import { fileToBase64 } from './ComposerDialog.js';

/** Image types CBDF carries as resources. */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
export const MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024;

/** A link target the editor accepts: http(s) or mailto; a bare host gets https://. Null when unusable. */
export function linkTarget(input: string): string | null {
  const t = input.trim();
  if (!t) return null;
  if (/^(https?:\/\/|mailto:)\S+$/i.test(t)) return t;
  if (/^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(t)) return `https://${t}`;
  return null;
}

/** Pasted or dropped HTML, made safe: through CBDF and back (remote images dropped). */
export function sanitizePastedHtml(html: string): string {
  return editorHtml(composeDocument(html));
}

type Command = 'bold' | 'italic' | 'insertUnorderedList' | 'insertOrderedList';

interface RichEditorProps {
  /** Editor HTML from shared/cbdf (never raw input); loaded again whenever `seed` changes. */
  html: string;
  seed: number;
  onChange(html: string, text: string): void;
  editorRef: RefObject<HTMLDivElement | null>;
  placeholder: string;
}

function exec(command: string, value?: string): void {
  // execCommand keeps the browser's own undo history; it is what contenteditable editing offers.
  document.execCommand(command, false, value);
}

/**
 * Inserts editor HTML (from shared/cbdf, escaped) at the caret. Not execCommand('insertHTML'):
 * Chromium adds style attributes to what it inserts, which the CSP refuses.
 */
function insertHtml(el: HTMLElement, html: string): void {
  const sel = document.getSelection();
  if (!sel || !sel.rangeCount) return;
  const range = sel.getRangeAt(0);
  if (!el.contains(range.commonAncestorContainer)) return;
  range.deleteContents();
  const t = document.createElement('template');
  t.innerHTML = html;
  const last = t.content.lastChild;
  range.insertNode(t.content);
  if (last) {
    range.setStartAfter(last);
    range.collapse(true);
    sel.removeAllRanges();
    sel.addRange(range);
  }
}

export function RichEditor({ html, seed, onChange, editorRef, placeholder }: RichEditorProps) {
  const [active, setActive] = useState({ bold: false, italic: false, ul: false, ol: false, quote: false });
  const [linking, setLinking] = useState<{ value: string; error: string | null } | null>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const saved = useRef<Range | null>(null);
  const imageRef = useRef<HTMLInputElement>(null);
  const linkRef = useRef<HTMLInputElement>(null);
  const linkId = useId();

  // Loads the content once per seed (a message opened), not on every keystroke's store update.
  const loaded = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = editorRef.current;
    if (!el || loaded.current === seed) return;
    loaded.current = seed;
    el.innerHTML = html;
  }, [seed, html, editorRef]);

  const insert = (h: string) => {
    if (editorRef.current) insertHtml(editorRef.current, h);
  };

  const changed = () => {
    const el = editorRef.current;
    if (el) onChange(el.innerHTML, el.innerText.replace(/\n$/, ''));
  };

  const refresh = () => {
    const sel = document.getSelection();
    const el = editorRef.current;
    if (!el || !sel || !sel.anchorNode || !el.contains(sel.anchorNode)) return;
    let quote = false;
    for (let n: Node | null = sel.anchorNode; n && n !== el; n = n.parentNode) if (n.nodeName === 'BLOCKQUOTE') quote = true;
    setActive({
      bold: document.queryCommandState('bold'),
      italic: document.queryCommandState('italic'),
      ul: document.queryCommandState('insertUnorderedList'),
      ol: document.queryCommandState('insertOrderedList'),
      quote,
    });
  };

  useEffect(() => {
    document.addEventListener('selectionchange', refresh);
    return () => document.removeEventListener('selectionchange', refresh);
  });

  const keepSelection = () => {
    const sel = document.getSelection();
    const el = editorRef.current;
    saved.current =
      sel && sel.rangeCount && el?.contains(sel.getRangeAt(0).commonAncestorContainer) ? sel.getRangeAt(0).cloneRange() : null;
  };
  /** Puts the caret back where it was in the editor (at its end when it never was there). */
  const restoreSelection = () => {
    const el = editorRef.current;
    if (!el) return;
    const sel = document.getSelection();
    const inside = sel && sel.rangeCount > 0 && el.contains(sel.getRangeAt(0).commonAncestorContainer);
    el.focus();
    if (!sel || inside) return;
    let range = saved.current;
    if (!range) {
      range = document.createRange();
      range.selectNodeContents(el);
      range.collapse(false);
    }
    sel.removeAllRanges();
    sel.addRange(range);
  };

  const run = (command: Command) => {
    editorRef.current?.focus();
    exec(command);
    changed();
    refresh();
  };

  const toggleQuote = () => {
    editorRef.current?.focus();
    exec(active.quote ? 'outdent' : 'formatBlock', active.quote ? undefined : 'blockquote');
    if (active.quote) exec('formatBlock', 'div');
    changed();
    refresh();
  };

  const openLink = () => {
    keepSelection();
    setLinking({ value: '', error: null });
    setTimeout(() => linkRef.current?.focus(), 0);
  };

  const applyLink = () => {
    if (!linking) return;
    const target = linkTarget(linking.value);
    if (!target) {
      setLinking({ ...linking, error: 'A link starts with https://, http:// or mailto:.' });
      return;
    }
    restoreSelection();
    const sel = document.getSelection();
    if (sel && !sel.isCollapsed) exec('createLink', target);
    else insert(`<a href="${escapeHtml(target)}">${escapeHtml(target)}</a>`);
    setLinking(null);
    changed();
  };

  const insertImages = async (files: File[]) => {
    setImageError(null);
    for (const f of files) {
      if (!INLINE_IMAGE_TYPES.includes(f.type)) {
        setImageError(`${f.name} is not a PNG, JPEG or WebP picture; attach it as a file instead.`);
        continue;
      }
      if (f.size > MAX_INLINE_IMAGE_BYTES) {
        setImageError(`${f.name} is over 5 MB; attach it as a file instead.`);
        continue;
      }
      try {
        const data = await fileToBase64(f);
        restoreSelection();
        insert(`<img src="data:${f.type};base64,${data}" alt="${escapeHtml(f.name)}">`);
        keepSelection();
        changed();
      } catch (e) {
        setImageError(`${f.name} could not be read: ${errorMessage(e)}`);
      }
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === 'b' || k === 'i') {
      e.preventDefault();
      run(k === 'b' ? 'bold' : 'italic');
    } else if (k === 'k') {
      e.preventDefault();
      openLink();
    }
  };

  const button = (label: string, pressed: boolean | undefined, onClick: () => void, content: ReactNode, shortcut?: string) => (
    <button
      type="button"
      className="ghost small format-button"
      aria-label={label}
      title={shortcut ? `${label} (${shortcut.replace('Control', 'Ctrl')})` : label}
      {...(pressed === undefined ? {} : { 'aria-pressed': pressed })}
      {...(shortcut ? { 'aria-keyshortcuts': shortcut } : {})}
      onMouseDown={(e) => e.preventDefault()}
      onClick={onClick}
    >
      {content}
    </button>
  );

  return (
    <div className="rich-editor">
      <div className="format-bar" role="group" aria-label="Formatting">
        {button('Bold', active.bold, () => run('bold'), <b>B</b>, 'Control+B')}
        {button('Italic', active.italic, () => run('italic'), <i>I</i>, 'Control+I')}
        {button('Link', undefined, openLink, 'Link', 'Control+K')}
        {button('Bulleted list', active.ul, () => run('insertUnorderedList'), <span className="glyph-bullets">Bulleted</span>)}
        {button('Numbered list', active.ol, () => run('insertOrderedList'), <span className="glyph-numbers">Numbered</span>)}
        {button('Quote', active.quote, toggleQuote, '❝ Quote')}
        {button(
          'Insert image',
          undefined,
          () => {
            keepSelection();
            imageRef.current?.click();
          },
          'Image',
        )}
        <input
          ref={imageRef}
          type="file"
          accept={INLINE_IMAGE_TYPES.join(',')}
          multiple
          hidden
          aria-label="Insert image"
          onChange={(e) => {
            if (e.target.files) void insertImages(Array.from(e.target.files));
            e.target.value = '';
          }}
        />
      </div>
      {linking && (
        <div className="link-row">
          <label htmlFor={linkId}>Link address</label>
          <input
            id={linkId}
            ref={linkRef}
            type="url"
            value={linking.value}
            placeholder="https://…"
            aria-invalid={linking.error ? true : undefined}
            onChange={(e) => setLinking({ value: e.target.value, error: null })}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                applyLink();
              } else if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                setLinking(null);
                restoreSelection();
              }
            }}
          />
          <button type="button" className="small" onClick={applyLink}>
            Add link
          </button>
          <button
            type="button"
            className="ghost small"
            onClick={() => {
              setLinking(null);
              restoreSelection();
            }}
          >
            Cancel
          </button>
          {linking.error && (
            <span className="form-error small" role="alert">
              {linking.error}
            </span>
          )}
        </div>
      )}
      {imageError && (
        <p className="form-error small image-error" role="alert">
          {imageError}
        </p>
      )}
      <div
        ref={editorRef}
        className="rich-text"
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-label="Message"
        data-placeholder={placeholder}
        tabIndex={0}
        onInput={changed}
        onKeyDown={onKeyDown}
        onKeyUp={refresh}
        onMouseUp={refresh}
        onBlur={keepSelection}
        onPaste={(e) => {
          const images = Array.from(e.clipboardData.files).filter((f) => f.type.startsWith('image/'));
          const pastedHtml = e.clipboardData.getData('text/html');
          e.preventDefault();
          if (images.length) void insertImages(images);
          else if (pastedHtml) insert(sanitizePastedHtml(pastedHtml));
          else insert(plainToEditorHtml(e.clipboardData.getData('text/plain')));
          changed();
        }}
        onDrop={(e) => {
          // Files fall through to the composer (attachments); dropped text or HTML is sanitized here.
          if (e.dataTransfer.files.length) return;
          e.preventDefault();
          const droppedHtml = e.dataTransfer.getData('text/html');
          insert(droppedHtml ? sanitizePastedHtml(droppedHtml) : plainToEditorHtml(e.dataTransfer.getData('text/plain')));
          changed();
        }}
      />
    </div>
  );
}
