// Creates one store per feature against a Runtime and wires the few places where one
// feature's change concerns another (events from the service, marking read, locking).
import type { StoreApi } from 'zustand/vanilla';
import type { FolderId, MessageView } from '../../../shared/ipc/contract.js';
import type { Runtime } from '../../../shared/ipc/runtime.js';
import { createComposerStore, type ComposerStore } from '../features/composer/store.js';
import { createResumeStore, type DraftMemory, type ResumeStore } from '../features/composer/resume.js';
import { createFoldersStore, type FoldersStore } from '../features/folders/store.js';
import { createIdentityStore, type IdentityStore } from '../features/identity/store.js';
import { createOutboxStore, type OutboxStore } from '../features/outbox/store.js';
import { createSettingsStore, type SettingsStore } from '../features/settings/store.js';
import { createMessagesStore, type MessagesStore } from '../features/messages/store.js';
import { createReaderStore, type ReaderStore } from '../features/reader/store.js';
import { createVaultStore, type VaultStore } from '../features/vault/store.js';
import { createAccountsStore, type AccountsStore } from '../features/accounts/store.js';
import { createWalletStore, type WalletStore } from '../features/wallet/store.js';
import { createServerPickerStore, type ServerPickerStore } from '../features/servers/store.js';
import { createFeesStore, type FeesStore } from '../features/fees/store.js';

export interface AppStores {
  runtime: Runtime;
  vault: StoreApi<VaultStore>;
  folders: StoreApi<FoldersStore>;
  messages: StoreApi<MessagesStore>;
  reader: StoreApi<ReaderStore>;
  composer: StoreApi<ComposerStore>;
  identity: StoreApi<IdentityStore>;
  outbox: StoreApi<OutboxStore>;
  settings: StoreApi<SettingsStore>;
  /** Legacy (IMAP/POP3 + SMTP) accounts and their mail. */
  accounts: StoreApi<AccountsStore>;
  /** The Wallet screen (Chips). */
  wallet: StoreApi<WalletStore>;
  /** The server picker (the market: hire, renew). */
  servers: StoreApi<ServerPickerStore>;
  /** Our inbox fee and lists (Tip settings, the reader's sender actions). */
  fees: StoreApi<FeesStore>;
  /** The draft left open when the window last closed, offered after unlock. */
  resume: StoreApi<ResumeStore>;
  /** Stops listening to the runtime. */
  dispose(): void;
}

export interface AppStoresOptions {
  /** Bursts of mail.changed events (an import, a sync) are handled once per this window. */
  coalesceMs?: number;
  /** Where the open draft's id is remembered between runs (localStorage by default). */
  draftMemory?: DraftMemory;
}

export function createAppStores(runtime: Runtime, options: AppStoresOptions = {}): AppStores {
  const coalesceMs = options.coalesceMs ?? 60;
  const vault = createVaultStore(runtime);
  const folders = createFoldersStore(runtime);
  const messages = createMessagesStore(runtime);
  const reader = createReaderStore(runtime, {
    onMarkedRead(m) {
      messages.getState().patchRow(m.id, { unread: false });
      folders.getState().adjustUnread(m.folder, -1);
    },
  });
  const identity = createIdentityStore(runtime);
  // Declared below; Edit in the outbox opens the draft in the composer.
  let openDraft: (m: MessageView) => void = () => undefined;
  const outbox = createOutboxStore(runtime, {
    openDraft: (m) => openDraft(m),
    onReturnedToDrafts() {
      void folders.getState().load();
    },
  });
  const settings = createSettingsStore(runtime);
  const accounts = createAccountsStore(runtime);
  const wallet = createWalletStore(runtime);
  // In onboarding the picker's choice goes to the identity store, which pays when the address is made.
  const servers = createServerPickerStore(runtime, {
    onChosen: (c) => identity.getState().choose(c),
    initial: () => identity.getState().choice,
  });
  const fees = createFeesStore(runtime);
  const composer = createComposerStore(runtime, {
    onSent(item) {
      outbox.getState().watch(item);
      void folders.getState().load();
    },
    onSaved(id) {
      void folders.getState().load();
      if (messages.getState().folder === 'drafts') void messages.getState().refresh();
      if (reader.getState().openId === id) void reader.getState().reload();
    },
  });

  function clearMail(): void {
    composer.getState().discard();
    resume.setState({ offer: null });
    identity.getState().reset();
    outbox.getState().reset();
    settings.getState().hide();
    servers.setState({ open: false, servers: [], balance: null, quote: null, error: null, done: null });
    wallet.setState({ open: false, balance: null, coins: [], coinCount: 0, history: [], exported: null, error: null, done: null });
    fees.getState().reset();
    accounts.setState({ dialogOpen: false, mailOpen: false, prefill: null, answer: null, accounts: [], confirm: null });
    reader.getState().close();
    messages.getState().reset();
    folders.getState().reset();
  }

  // Opening the vault loads the mail; closing it drops every message from memory.
  const unsubVault = vault.subscribe((s, prev) => {
    if (s.status === prev.status) return;
    if (s.status === 'unlocked') {
      void identity.getState().check();
      void outbox.getState().load();
      void folders.getState().load();
      void messages.getState().load(folders.getState().selected);
      void resume.getState().check();
      // The reader says whether a sender is on our white or black list.
      void fees.getState().load();
    } else if (prev.status === 'unlocked') {
      clearMail();
    }
  });
  const unsubFolder = folders.subscribe((s, prev) => {
    if (s.selected === prev.selected || vault.getState().status !== 'unlocked') return;
    reader.getState().close();
    void messages.getState().load(s.selected);
  });

  const offVault = runtime.on('vault.changed', (state) => vault.getState().apply(state));
  const offIdentity = runtime.on('identity.changed', (state) => {
    if (vault.getState().status === 'unlocked') identity.getState().apply(state);
  });
  openDraft = (m) => composer.getState().openDraft(m);
  const resume = createResumeStore(runtime, composer, () => vault.getState().status === 'unlocked', options.draftMemory);
  const offOutbox = runtime.on('outbox.changed', ({ items, settled }) => {
    if (vault.getState().status === 'unlocked') outbox.getState().apply(items, settled);
  });
  // The composer offers only layouts that fit the servers available: asked each time it opens.
  const unsubComposer = composer.subscribe((s, prev) => {
    if (s.open && !prev.open && vault.getState().status === 'unlocked') void composer.getState().loadStripeLimit();
  });
  const changed = new Set<FolderId>();
  let changeTimer: ReturnType<typeof setTimeout> | null = null;
  function applyChanges(): void {
    changeTimer = null;
    const folderSet = new Set(changed);
    changed.clear();
    if (vault.getState().status !== 'unlocked') return;
    void folders.getState().load();
    const current = messages.getState().folder;
    if (current && folderSet.has(current)) void messages.getState().refresh();
    const open = reader.getState().message;
    if (open && folderSet.has(open.folder)) void reader.getState().reload();
  }
  const offMail = runtime.on('mail.changed', ({ folders: list }) => {
    for (const f of list) changed.add(f);
    changeTimer ??= setTimeout(applyChanges, coalesceMs);
  });

  return {
    runtime,
    accounts,
    wallet,
    servers,
    fees,
    vault,
    folders,
    messages,
    reader,
    composer,
    identity,
    outbox,
    settings,
    resume,
    dispose() {
      offIdentity();
      offOutbox();
      unsubComposer();
      resume.getState().dispose();
      unsubVault();
      unsubFolder();
      offVault();
      offMail();
      if (changeTimer) clearTimeout(changeTimer);
    },
  };
}
