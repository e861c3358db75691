// The message list: a virtualised listbox. Only the rows on screen exist in the DOM and
// only the pages near them are fetched, so a folder of 100,000 messages scrolls freely.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useRef, type KeyboardEvent, type Ref } from 'react';
import { useStore } from 'zustand';
import type { FolderId, TextRange } from '../../../../shared/ipc/contract.js';
import { useFolders, useMessages, useReader, useStores } from '../../app/context.js';
import { FOLDER_NAMES } from '../folders/store.js';
import { countOf, displayName, formatListDate } from '../../ui/format.js';
import { FolderIcon } from '../../ui/icons.js';
import { rowAt, visibleCount, type ListRow } from './store.js';
import { SayHello } from './SayHello.js';
import { RowTip } from '../fees/ReaderFees.js';

export const ROW_HEIGHT = 84;

export const EMPTY_COPY: Record<FolderId, { title: string; body: string; compose?: boolean }> = {
  inbox: {
    title: 'Your inbox is empty',
    body: 'Mail sent to you arrives here. To get started, write your first message: press C or choose Compose.',
    compose: true,
  },
  drafts: { title: 'No drafts', body: 'Messages you save without sending wait here until you finish them.', compose: true },
  sent: { title: 'Nothing sent yet', body: 'Messages you send are kept here, encrypted like the rest of your mail.' },
  archive: { title: 'Archive is empty', body: 'Archive a message to keep it without leaving it in your inbox.' },
  trash: { title: 'Trash is empty', body: 'Messages you delete wait here before they are gone for good.' },
};

export function rowDomId(id: string): string {
  return `message-${id}`;
}

/** Text with the search's matches marked (<mark> is announced as highlighted by screen readers). */
export function Highlighted({ text, ranges }: { text: string; ranges: readonly TextRange[] | undefined }) {
  if (!ranges?.length) return <>{text}</>;
  const parts: (string | { mark: string })[] = [];
  let at = 0;
  for (const [a, b] of ranges) {
    if (a < at || b > text.length || b <= a) continue;
    if (a > at) parts.push(text.slice(at, a));
    parts.push({ mark: text.slice(a, b) });
    at = b;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts.map((p, i) => (typeof p === 'string' ? p : <mark key={i}>{p.mark}</mark>))}</>;
}

const MATCHED_IN: Record<string, string> = {
  from: 'sender',
  to: 'recipients',
  subject: 'subject',
  body: 'text',
  attachment: 'attachment name',
};

/** Where a row's message came from: QMail, or the email account it came through (its name); read out as such. */
export function OriginBadge({ m }: { m: Pick<ListRow, 'origin'> }) {
  return m.origin ? (
    <span className="origin-badge origin-email" title={`Email through ${m.origin.account}`}>
      <span className="visually-hidden">Email through </span>
      {m.origin.account}
    </span>
  ) : (
    <span className="origin-badge origin-qmail" title="QMail">
      <span className="visually-hidden">Over </span>QMail
    </span>
  );
}

function Row({
  m,
  index,
  total,
  active,
  open,
  onPick,
  showOrigin,
}: {
  m: ListRow | undefined;
  index: number;
  total: number;
  active: boolean;
  open: boolean;
  onPick: (i: number) => void;
  /** Email accounts are set up: every row says whether it is QMail or which account's. */
  showOrigin: boolean;
}) {
  if (!m) {
    return (
      <div
        className="row skeleton"
        role="option"
        aria-selected={false}
        aria-posinset={index + 1}
        aria-setsize={total}
        aria-busy="true"
        aria-label="Loading message"
      >
        <span className="sk sk-a" />
        <span className="sk sk-b" />
        <span className="sk sk-c" />
      </div>
    );
  }
  // Names the engine verified against the directory win over bare addresses.
  const named = (address: string, name?: string) => name || displayName(address);
  const h = m.highlights;
  const ours = m.folder === 'drafts' || m.folder === 'sent';
  const who = ours ? (
    m.to.length ? (
      <>
        To:{' '}
        {m.to.map((a, i) => (
          <span key={a}>
            {i > 0 && ', '}
            <Highlighted text={named(a, m.toNames?.[a])} ranges={h?.to[a]} />
          </span>
        ))}
      </>
    ) : (
      'No recipients yet'
    )
  ) : m.fromName ? (
    <Highlighted text={m.fromName} ranges={h?.fromName} />
  ) : (
    <Highlighted text={displayName(m.from)} ranges={displayName(m.from) === m.from ? h?.from : undefined} />
  );
  return (
    <div
      id={rowDomId(m.id)}
      className={`row${m.unread ? ' unread' : ''}${active ? ' active' : ''}${open ? ' open' : ''}`}
      role="option"
      aria-selected={active}
      aria-current={open ? 'true' : undefined}
      aria-posinset={index + 1}
      aria-setsize={total}
      onClick={() => onPick(index)}
    >
      <div className="row-top">
        {m.unread && <span className="dot" aria-label="Unread" role="img" />}
        <span className="row-from">{who}</span>
        {(showOrigin || m.origin) && <OriginBadge m={m} />}
        <RowTip tip={m.tip} />
        <time className="row-date" dateTime={new Date(m.date).toISOString()}>
          {formatListDate(m.date)}
        </time>
      </div>
      <div className="row-subject">{m.subject ? <Highlighted text={m.subject} ranges={h?.subject} /> : '(no subject)'}</div>
      <div className="row-preview">
        {m.onServer && (
          <span className="server-badge" title="Found by the account's mail server: this email's text is not downloaded yet">
            Found on the server
          </span>
        )}
        {m.preview ? <Highlighted text={m.preview} ranges={h?.preview} /> : '\u00a0'}
      </div>
      {m.matchedIn && m.matchedIn.length > 0 && !m.onServer && (
        <span className="visually-hidden">Matched in {m.matchedIn.map((x) => MATCHED_IN[x] ?? x).join(', ')}.</span>
      )}
    </div>
  );
}

export function MessageList({ listRef }: { listRef: Ref<HTMLDivElement> }) {
  const { messages, reader, composer, accounts } = useStores();
  const accountList = useStore(accounts, (s) => s.accounts);
  const source = useMessages((s) => s.source);
  // The accounts name the rows' origins and the source filter; they are asked for once the list shows.
  useEffect(() => {
    void accounts.getState().load();
  }, [accounts]);
  const sourceId = useId();
  const folder = useFolders((s) => s.selected);
  const folderSummary = useFolders((s) => s.folders.find((f) => f.id === s.selected));
  const total = useMessages((s) => s.total);
  const pages = useMessages((s) => s.pages);
  const filtered = useMessages((s) => s.filtered);
  const loading = useMessages((s) => s.loading);
  const error = useMessages((s) => s.error);
  const cursor = useMessages((s) => s.cursor);
  const query = useMessages((s) => s.query);
  const openId = useReader((s) => s.openId);
  const scrollRef = useRef<HTMLDivElement | null>(null);

  const count = visibleCount({ filtered, total });
  // The React Compiler is not used here, so its note about useVirtualizer does not apply.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // A row's element belongs to one message: when new mail shifts the list, the element
    // under a pointer (or a test's click) is replaced rather than reused for another message.
    getItemKey: (i) => `${i}:${rowAt({ filtered, pages }, i)?.id ?? ''}`,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (count > 0) void messages.getState().ensureRange(first, last);
  }, [messages, first, last, count, pages]);

  useEffect(() => {
    if (count > 0) virtualizer.scrollToIndex(cursor, { align: 'auto' });
  }, [cursor, count, virtualizer]);

  const activeRow = rowAt({ filtered, pages }, cursor);
  const name = FOLDER_NAMES[folder];

  function openAt(index: number) {
    const m = rowAt(messages.getState(), index);
    if (m) void reader.getState().open(m.id);
  }

  /** Archives the message at a row (from Archive: back to Inbox), through the reader like E does. */
  function archiveAt(index: number) {
    const m = rowAt(messages.getState(), index);
    if (!m) return;
    void reader
      .getState()
      .open(m.id)
      .then(() => reader.getState().archive());
    scrollRef.current?.focus();
  }

  function pick(index: number) {
    messages.getState().setCursor(index);
    openAt(index);
    scrollRef.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 5) / ROW_HEIGHT) - 1);
    const s = messages.getState();
    const moves: Record<string, () => void> = {
      ArrowDown: () => s.moveCursor(1),
      ArrowUp: () => s.moveCursor(-1),
      PageDown: () => s.moveCursor(page),
      PageUp: () => s.moveCursor(-page),
      Home: () => s.setCursor(0),
      End: () => s.setCursor(count - 1),
      Enter: () => openAt(s.cursor),
      ' ': () => openAt(s.cursor),
    };
    const act = moves[e.key];
    if (!act || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    e.stopPropagation();
    act();
  }

  const setRefs = (el: HTMLDivElement | null) => {
    scrollRef.current = el;
    if (typeof listRef === 'function') listRef(el);
    else if (listRef) (listRef as { current: HTMLDivElement | null }).current = el;
  };

  const searching = useMessages((s) => s.searching);
  const serverSearching = useMessages((s) => s.serverSearching);
  const serverFound = useMessages((s) => s.serverFound);
  const serverMissing = useMessages((s) => s.serverMissing);
  const serverNote = [
    serverFound > 0 ? `${serverFound} found on the server` : '',
    serverSearching ? 'asking the mail servers…' : '',
    serverMissing.length ? `no answer from ${serverMissing.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const summary = folderSummary
    ? folderSummary.unread > 0
      ? `${countOf(folderSummary.total, 'message')}, ${folderSummary.unread} unread`
      : countOf(folderSummary.total, 'message')
    : '';
  const empty = !loading && !error && count === 0;
  const copy = EMPTY_COPY[folder];

  return (
    <section className="pane list-pane" aria-label={`${name} messages`}>
      <header className="list-header">
        <h2>{name}</h2>
        <span className="list-summary" role="status" aria-live="polite">
          {filtered
            ? searching && filtered.length === 0
              ? 'Searching…'
              : `${countOf(filtered.length, 'match', 'matches')}${serverNote ? ` (${serverNote})` : ''}`
            : summary}
        </span>
        {(accountList.length > 0 || source) && (
          <span className="list-source">
            <label htmlFor={sourceId} className="visually-hidden">
              Show mail from
            </label>
            <select
              id={sourceId}
              className="small"
              value={source ?? ''}
              onChange={(e) => void messages.getState().setSource(e.target.value ? e.target.value : undefined)}
            >
              <option value="">All mail</option>
              <option value="qmail">QMail only</option>
              {accountList.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </span>
        )}
        {activeRow && folder !== 'drafts' && folder !== 'trash' && (
          <button
            type="button"
            className="ghost small list-action"
            aria-keyshortcuts="e"
            title={`${folder === 'archive' ? 'Move to Inbox' : 'Archive'} the selected message (E)`}
            onClick={() => archiveAt(cursor)}
          >
            {folder === 'archive' ? 'Move to Inbox' : 'Archive'}
          </button>
        )}
      </header>
      {error && (
        <div className="pane-error" role="alert">
          <p>The messages could not be loaded: {error}</p>
          <button type="button" onClick={() => void messages.getState().load(folder)}>
            Try again
          </button>
        </div>
      )}
      {empty && !filtered && (
        <div className="empty" data-testid="empty-state">
          <div className="empty-icon">
            <FolderIcon id={folder} />
          </div>
          <h3>{copy.title}</h3>
          <p>{copy.body}</p>
          {copy.compose && (
            <button type="button" className={folder === 'inbox' ? undefined : 'primary'} onClick={() => composer.getState().openNew()}>
              Compose a message
            </button>
          )}
          {folder === 'inbox' && <SayHello />}
        </div>
      )}
      {empty && filtered && !searching && (
        <div className="empty">
          <h3>No matches</h3>
          <p>
            Nothing in {name} matches “{query.trim()}” (its text, names and attachment names were searched
            {serverSearching ? '; your email accounts’ servers are being asked' : ''}). Press Esc to clear the search.
          </p>
        </div>
      )}
      <div
        ref={setRefs}
        className="list-scroll"
        role="listbox"
        tabIndex={0}
        aria-label={`Messages in ${name}`}
        aria-activedescendant={activeRow ? rowDomId(activeRow.id) : undefined}
        aria-busy={loading || undefined}
        onKeyDown={onKeyDown}
        hidden={empty}
      >
        <div role="presentation" style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {items.map((vi) => (
            <div
              role="presentation"
              key={vi.key}
              className="row-slot"
              style={{ transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT }}
            >
              <Row
                m={rowAt({ filtered, pages }, vi.index)}
                index={vi.index}
                total={count}
                active={vi.index === cursor}
                open={rowAt({ filtered, pages }, vi.index)?.id === openId}
                onPick={pick}
                showOrigin={accountList.length > 0}
              />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
