// The main window once the vault is open: toolbar, then folders | list | reader.
// Single-key shortcuts work whenever focus is not in a text field.
import { useEffect, useRef, useState } from 'react';
import { ComposerDialog } from '../features/composer/ComposerDialog.js';
import { ResumeDraft } from '../features/composer/ResumeDraft.js';
import { SendStatus } from '../features/outbox/SendStatus.js';
import { FolderNav } from '../features/folders/FolderNav.js';
import { IdentityDialog } from '../features/identity/IdentityDialog.js';
import { MessageList } from '../features/messages/MessageList.js';
import { rowAt } from '../features/messages/store.js';
import { Reader } from '../features/reader/Reader.js';
import { KmeSettingsDialog } from '../features/settings/KmeSettingsDialog.js';
import { AccountsDialog } from '../features/accounts/AccountsDialog.js';
import { LegacyMailDialog } from '../features/accounts/LegacyMail.js';
import { WalletDialog, WalletIcon } from '../features/wallet/WalletDialog.js';
import { ServerPickerDialog } from '../features/servers/ServerPicker.js';
import { TipSettingsDialog } from '../features/fees/TipSettingsDialog.js';
import { FeesNotice } from '../features/fees/FeesNotice.js';
import { createNotifier, type NotificationApi } from './notifications.js';
import { ComposeIcon, FolderIcon, KeyIcon, LockIcon, Logo, RefreshIcon, SearchIcon, ServersIcon, TipIcon } from '../ui/icons.js';
import { useIdentity, useMessages, useReader, useStores } from './context.js';

function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable;
}

export function MailShell() {
  const stores = useStores();
  const query = useMessages((s) => s.query);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const me = useIdentity((s) => s.identity);
  const [identityOpen, setIdentityOpen] = useState(false);
  const reading = useReader((s) => s.openId !== null);

  useEffect(() => {
    const api = (globalThis as { Notification?: NotificationApi }).Notification;
    const notifier = createNotifier(stores.runtime, {
      api,
      isFocused: () => document.hasFocus(),
      onOpen: (id) => {
        window.focus();
        void stores.reader.getState().open(id);
      },
    });
    // Ask once, on the first gesture in the mail window (browsers ignore asks without one).
    const ask = () => void notifier.requestPermission();
    window.addEventListener('pointerdown', ask, { once: true });
    return () => {
      window.removeEventListener('pointerdown', ask);
      notifier.dispose();
    };
  }, [stores]);

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (stores.composer.getState().open || stores.settings.getState().open) return; // dialogs handle their own keys
      if (document.querySelector('dialog[open]')) return;
      const target = document.activeElement;
      if (e.key === 'Escape') {
        if (target === searchRef.current) {
          if (stores.messages.getState().query) stores.messages.getState().setQuery('');
          listRef.current?.focus();
        } else if (stores.reader.getState().openId) {
          stores.reader.getState().close();
          listRef.current?.focus();
        } else {
          listRef.current?.focus();
        }
        e.preventDefault();
        return;
      }
      if (isTyping(target)) return;
      const m = stores.messages.getState();
      switch (e.key) {
        case 'j':
          m.moveCursor(1);
          listRef.current?.focus();
          break;
        case 'k':
          m.moveCursor(-1);
          listRef.current?.focus();
          break;
        case 'Enter': {
          if (target !== document.body && target !== listRef.current) return;
          const row = rowAt(m, m.cursor);
          if (row) void stores.reader.getState().open(row.id);
          break;
        }
        case 'c':
          stores.composer.getState().openNew();
          break;
        case 'r': {
          const open = stores.reader.getState().message;
          if (!open || open.folder === 'drafts') return;
          // An email is answered through its account (the Email window), a qmail in the composer.
          if (open.origin) stores.accounts.getState().reply(open);
          else stores.composer.getState().openReply(open);
          break;
        }
        case 'e': {
          // Archive the open message, or the one under the list cursor.
          const archive = () => void stores.reader.getState().archive();
          if (stores.reader.getState().message) archive();
          else {
            const row = rowAt(m, m.cursor);
            if (!row) return;
            void stores.reader.getState().open(row.id).then(archive);
          }
          listRef.current?.focus();
          break;
        }
        case 'Delete': {
          if (!stores.reader.getState().message) {
            const row = rowAt(m, m.cursor);
            if (!row) return;
            void stores.reader
              .getState()
              .open(row.id)
              .then(() => stores.reader.getState().remove());
          } else void stores.reader.getState().remove();
          listRef.current?.focus();
          break;
        }
        case '/':
          searchRef.current?.focus();
          searchRef.current?.select();
          break;
        default:
          return;
      }
      e.preventDefault();
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [stores]);

  useEffect(() => {
    // Start where the keyboard is useful: on the list.
    listRef.current?.focus();
  }, []);

  return (
    <div className="shell">
      <header className="toolbar">
        <h1 className="brand">
          <Logo size={26} />
          <span className="brand-name">QMail</span>
        </h1>
        <form role="search" className="search" onSubmit={(e) => e.preventDefault()}>
          <SearchIcon />
          <input
            ref={searchRef}
            type="search"
            aria-label="Search messages in this folder"
            placeholder="Search text, names, attachments"
            value={query}
            onChange={(e) => stores.messages.getState().setQuery(e.target.value)}
            aria-keyshortcuts="/"
          />
          <kbd aria-hidden>/</kbd>
        </form>
        <div className="toolbar-actions">
          <button
            type="button"
            className="primary"
            onClick={() => stores.composer.getState().openNew()}
            aria-keyshortcuts="c"
            title="Compose (C)"
          >
            <ComposeIcon />
            <span className="label">Compose</span>
          </button>
          {me?.address && (
            <button
              type="button"
              className="me ghost"
              onClick={() => setIdentityOpen(true)}
              title={`${me.name} ${me.address}: your identity and recovery phrase`}
            >
              <span className="me-name">{me.name}</span> <span className="mono muted me-address">{me.address}</span>
            </button>
          )}
          {/* Narrow windows show these as icons; the label stays their accessible name. */}
          <button
            type="button"
            className="tool"
            onClick={() => void stores.runtime.invoke('mail.refresh', {}).catch(() => undefined)}
            title="Check for new mail"
          >
            <RefreshIcon />
            <span className="label">Check mail</span>
          </button>
          <button
            type="button"
            className="tool"
            onClick={() => stores.accounts.getState().openMail()}
            title="Email accounts (Gmail, Outlook, IMAP, POP3)"
          >
            <FolderIcon id="inbox" />
            <span className="label">Email</span>
          </button>
          <button type="button" className="tool" onClick={() => stores.wallet.getState().show()} title="Wallet: your Chips">
            <WalletIcon />
            <span className="label">Wallet</span>
          </button>
          <button type="button" className="tool" onClick={() => stores.servers.getState().show()} title="Servers: hire, switch and renew">
            <ServersIcon />
            <span className="label">Servers</span>
          </button>
          <button
            type="button"
            className="tool"
            onClick={() => stores.fees.getState().show()}
            title="Tip settings: your inbox fee, white and black lists"
          >
            <TipIcon />
            <span className="label">Tips</span>
          </button>
          <button type="button" className="tool" onClick={() => stores.settings.getState().show()} title="Quantum key settings">
            <KeyIcon />
            <span className="label">Quantum keys</span>
          </button>
          <button
            type="button"
            className="icon"
            onClick={() => void stores.vault.getState().lock()}
            aria-label="Lock QMail"
            title="Lock QMail"
          >
            <LockIcon />
          </button>
        </div>
      </header>
      <ResumeDraft />
      {/* Narrow windows show the list or, while a message is open, the reader. */}
      <div className={`panes${reading ? ' reading' : ''}`}>
        <FolderNav />
        <main className="mail-main">
          <MessageList listRef={listRef} />
          <Reader />
        </main>
      </div>
      <SendStatus />
      <ComposerDialog />
      <KmeSettingsDialog />
      <LegacyMailDialog />
      <AccountsDialog />
      <WalletDialog />
      <ServerPickerDialog />
      <TipSettingsDialog />
      <FeesNotice />
      <IdentityDialog open={identityOpen} onClose={() => setIdentityOpen(false)} />
    </div>
  );
}
