// The folder pane. Up/Down move between folders; the chosen folder is aria-current.
import { OutboxPanel } from '../outbox/OutboxPanel.js';
import type { KeyboardEvent } from 'react';
import { useFolders, useStores } from '../../app/context.js';
import { FolderIcon } from '../../ui/icons.js';

export function FolderNav() {
  const { folders: store } = useStores();
  const folders = useFolders((s) => s.folders);
  const selected = useFolders((s) => s.selected);
  const error = useFolders((s) => s.error);

  function onKeyDown(e: KeyboardEvent<HTMLUListElement>) {
    const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button')];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === 'ArrowDown') next = Math.min(buttons.length - 1, i + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    if (next < 0) return;
    e.preventDefault();
    e.stopPropagation();
    buttons[next]?.focus();
  }

  return (
    <nav className="pane folders-pane" aria-label="Folders">
      <ul className="folder-list" onKeyDown={onKeyDown}>
        {folders.map((f) => {
          const current = f.id === selected;
          const label =
            f.unread > 0 ? `${f.name}, ${f.unread} unread` : f.id === 'drafts' && f.total > 0 ? `${f.name}, ${f.total}` : f.name;
          return (
            <li key={f.id}>
              <button
                type="button"
                className="folder"
                aria-current={current ? 'page' : undefined}
                aria-label={label}
                onClick={() => store.getState().select(f.id)}
              >
                <FolderIcon id={f.id} />
                <span className="folder-name">{f.name}</span>{' '}
                {/* The space keeps the visible text ("Inbox 1") inside the accessible name ("Inbox, 1 unread"). */}
                {f.unread > 0 ? (
                  <span className="count unread" aria-hidden>
                    {f.unread}
                  </span>
                ) : f.id === 'drafts' && f.total > 0 ? (
                  <span className="count" aria-hidden>
                    {f.total}
                  </span>
                ) : null}
              </button>
            </li>
          );
        })}
      </ul>
      {error && (
        <p className="pane-error" role="alert">
          Folders could not be loaded: {error}
        </p>
      )}
      <OutboxPanel />
    </nav>
  );
}
