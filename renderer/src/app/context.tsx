import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppStores } from './stores.js';
import type { VaultStore } from '../features/vault/store.js';
import type { FoldersStore } from '../features/folders/store.js';
import type { MessagesStore } from '../features/messages/store.js';
import type { ReaderStore } from '../features/reader/store.js';
import type { ComposerStore } from '../features/composer/store.js';
import type { IdentityStore } from '../features/identity/store.js';
import type { OutboxStore } from '../features/outbox/store.js';
import type { SettingsStore } from '../features/settings/store.js';

const StoresContext = createContext<AppStores | null>(null);

export function StoresProvider({ stores, children }: { stores: AppStores; children: ReactNode }) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('useStores() outside <StoresProvider>');
  return stores;
}

export const useVault = <T,>(select: (s: VaultStore) => T): T => useStore(useStores().vault, select);
export const useFolders = <T,>(select: (s: FoldersStore) => T): T => useStore(useStores().folders, select);
export const useMessages = <T,>(select: (s: MessagesStore) => T): T => useStore(useStores().messages, select);
export const useReader = <T,>(select: (s: ReaderStore) => T): T => useStore(useStores().reader, select);
export const useComposer = <T,>(select: (s: ComposerStore) => T): T => useStore(useStores().composer, select);
export const useIdentity = <T,>(select: (s: IdentityStore) => T): T => useStore(useStores().identity, select);
export const useOutbox = <T,>(select: (s: OutboxStore) => T): T => useStore(useStores().outbox, select);
export const useSettings = <T,>(select: (s: SettingsStore) => T): T => useStore(useStores().settings, select);
