// Renders a decoded CBDF document as React elements. No raw HTML, no remote loads unless
// `allowRemote` is true (blocked images show a placeholder), links show their target and
// open only through `onOpenLink`.
import type { CSSProperties, ReactNode } from 'react';
import type { CbdfDocument, Phase2Document, TextStyle, Token } from '../../../../shared/cbdf/index.js';
import { RESOURCE_MIME, cssOf565, imageSourcesOf, metaView } from '../../../../shared/cbdf/index.js';

export interface CbdfViewProps {
  doc: CbdfDocument;
  allowRemote?: boolean;
  onOpenLink?: (target: string) => void;
}

type Frame = {
  kind: 'root' | 'text' | 'box' | 'table' | 'list' | 'link';
  children: ReactNode[];
  cells?: ReactNode[][];
  rows?: ReactNode[][][];
  ordered?: boolean;
  style?: CSSProperties;
  target?: string;
};

function textCss(s: TextStyle | undefined): CSSProperties {
  if (!s) return {};
  const deco = [s.underline && 'underline', s.strike && 'line-through'].filter(Boolean).join(' ');
  return {
    fontWeight: s.bold ? 'bold' : undefined,
    fontStyle: s.italic ? 'italic' : undefined,
    textDecoration: deco || undefined,
    fontSize: s.fontSize ? `${s.fontSize}px` : undefined,
    color: s.fg ? cssOf565(s.fg) : undefined,
    fontFamily: s.fontId & 0x4000 ? 'monospace' : undefined,
    verticalAlign: s.subscript ? 'sub' : s.superscript ? 'super' : undefined,
    textAlign: (['left', 'center', 'right', 'justify'] as const)[s.align],
  };
}

function base64(data: Uint8Array): string {
  let bin = '';
  for (const b of data) bin += String.fromCharCode(b);
  return btoa(bin);
}

function renderPhase2(doc: Phase2Document, props: CbdfViewProps): ReactNode {
  const sources = imageSourcesOf(doc);
  const stack: Frame[] = [{ kind: 'root', children: [] }];
  let key = 0;
  const top = () => stack[stack.length - 1]!;
  const add = (n: ReactNode) => top().children.push(n);
  const closeTop = (): void => {
    const f = stack.pop()!;
    let el: ReactNode;
    if (f.kind === 'text')
      el = (
        <span key={key++} style={f.style}>
          {f.children}
        </span>
      );
    else if (f.kind === 'box')
      el = (
        <blockquote key={key++} style={{ borderLeft: '3px solid #ccc', margin: '8px 0', paddingLeft: 8 }}>
          {f.children}
        </blockquote>
      );
    else if (f.kind === 'link') {
      const target = f.target ?? '';
      el = (
        <a
          key={key++}
          role="link"
          tabIndex={0}
          title={target}
          className="cbdf-link"
          onClick={(e) => {
            e.preventDefault();
            props.onOpenLink?.(target);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              props.onOpenLink?.(target);
            }
          }}
        >
          {f.children}
          <span className="cbdf-link-target"> ⟨{target}⟩</span>
        </a>
      );
    } else if (f.kind === 'list') {
      const items = [...(f.cells ?? []), f.children];
      const Tag = f.ordered ? 'ol' : 'ul';
      el = (
        <Tag key={key++}>
          {items.map((c, i) => (
            <li key={i}>{c}</li>
          ))}
        </Tag>
      );
    } else {
      const rows = [...(f.rows ?? []), [...(f.cells ?? []), f.children]];
      el = (
        <table key={key++} className="cbdf-table">
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (
                  <td key={j}>{c}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    add(el);
  };
  const closeUntil = (kinds: Frame['kind'][]) => {
    while (stack.length > 1 && !kinds.includes(top().kind)) closeTop();
  };
  const cellTarget = () => [...stack].reverse().find((f) => f.kind === 'list' || f.kind === 'table');
  for (const tok of doc.text as Token[]) {
    switch (tok.t) {
      case 'text': {
        const parts = tok.s.split('\n');
        parts.forEach((p, i) => {
          if (i > 0) add(<br key={key++} />);
          if (p) add(p);
        });
        break;
      }
      case 'para':
        add(<span key={key++} className="cbdf-para" style={{ display: 'block', height: '0.8em' }} />);
        break;
      case 'page':
      case 'hr':
        add(<hr key={key++} />);
        break;
      case 'styleText':
        stack.push({ kind: 'text', children: [], style: textCss(doc.styles.text.records[tok.index]) });
        break;
      case 'styleEnd':
        if (top().kind === 'text') closeTop();
        break;
      case 'styleContainer':
        stack.push({ kind: 'box', children: [] });
        break;
      case 'styleTable':
        stack.push({ kind: 'table', children: [], cells: [], rows: [] });
        break;
      case 'itemBlock':
        stack.push({ kind: 'list', children: [], cells: [], ordered: tok.type === 1 });
        break;
      case 'blockEnd':
        closeUntil(['box', 'table', 'list']);
        if (stack.length > 1) closeTop();
        break;
      case 'link':
        stack.push({
          kind: 'link',
          children: [],
          target: tok.type <= 1 ? new TextDecoder().decode(tok.target) : `mailbox:${[...tok.target].join('.')}`,
        });
        break;
      case 'linkEnd':
        closeUntil(['link']);
        if (top().kind === 'link') closeTop();
        break;
      case 'cell':
      case 'row': {
        const f = cellTarget();
        if (!f) break;
        closeUntil([f.kind]);
        f.cells!.push(f.children);
        f.children = [];
        if (tok.t === 'row' && f.kind === 'table') {
          f.rows!.push(f.cells!);
          f.cells = [];
        }
        break;
      }
      case 'image': {
        const def = doc.styles.image[tok.index];
        if (!def) break;
        const src = sources.get(def.sourceId);
        const res = doc.resources.find((r) => r.id === def.sourceId);
        const size: CSSProperties = { width: def.width || undefined, height: def.height || undefined, maxWidth: '100%' };
        const alt = src?.alt ?? '';
        if (res && res.type <= 3)
          add(<img key={key++} alt={alt} style={size} src={`data:${RESOURCE_MIME[res.type]};base64,${base64(res.data)}`} />);
        else if (src?.url && props.allowRemote) add(<img key={key++} alt={alt} style={size} src={src.url} referrerPolicy="no-referrer" />);
        else
          add(
            <span
              key={key++}
              role="img"
              aria-label={alt || 'blocked image'}
              className="cbdf-image-blocked"
              style={{ ...size, display: 'inline-block', border: '1px dashed #999', minWidth: 16, minHeight: 16 }}
            >
              {alt ? `[${alt}]` : '[image]'}
            </span>,
          );
        break;
      }
      default:
        break;
    }
  }
  while (stack.length > 1) closeTop();
  return stack[0]!.children;
}

export function CbdfView(props: CbdfViewProps): ReactNode {
  const { doc } = props;
  if (doc.kind === 'phase1')
    return (
      <div className="cbdf-view" style={{ whiteSpace: 'pre-wrap' }}>
        {doc.body}
      </div>
    );
  if (doc.kind === 'metaOnly') {
    const f = metaView(doc.meta);
    return (
      <div className="cbdf-view">
        <p>{f.subject}</p>
        {f.previewText ? <p>{f.previewText}</p> : null}
      </div>
    );
  }
  return (
    <div className="cbdf-view" style={{ whiteSpace: 'pre-wrap' }}>
      {renderPhase2(doc, props)}
    </div>
  );
}
