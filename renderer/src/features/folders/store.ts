// The folders store: the fixed folder set with counts, and which one is shown.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FolderId, FolderSummary } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export const FOLDER_ORDER: FolderId[] = ['inbox', 'drafts', 'sent', 'archive', 'trash'];
export const FOLDER_NAMES: Record<FolderId, string> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sent: 'Sent',
  archive: 'Archive',
  trash: 'Trash',
};

export interface FoldersStore {
  folders: FolderSummary[];
  selected: FolderId;
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  select(id: FolderId): void;
  /** Adjusts a folder's unread count locally, before the service confirms. */
  adjustUnread(id: FolderId, delta: number): void;
  reset(): void;
}

function placeholder(): FolderSummary[] {
  return FOLDER_ORDER.map((id) => ({ id, name: FOLDER_NAMES[id], total: 0, unread: 0 }));
}

export function createFoldersStore(runtime: Runtime): StoreApi<FoldersStore> {
  let generation = 0;
  return createStore<FoldersStore>()((set, get) => ({
    folders: placeholder(),
    selected: 'inbox',
    loaded: false,
    error: null,
    async load() {
      const gen = ++generation;
      try {
        const list = await runtime.invoke('mail.folders', {});
        if (gen !== generation) return;
        const byId = new Map(list.map((f) => [f.id, f]));
        const ordered = [...FOLDER_ORDER.map((id) => byId.get(id) ?? { id, name: FOLDER_NAMES[id], total: 0, unread: 0 })];
        set({ folders: ordered, loaded: true, error: null });
      } catch (e) {
        if (gen === generation) set({ error: errorMessage(e) });
      }
    },
    select(id) {
      if (get().selected !== id) set({ selected: id });
    },
    adjustUnread(id, delta) {
      set({ folders: get().folders.map((f) => (f.id === id ? { ...f, unread: Math.max(0, f.unread + delta) } : f)) });
    },
    reset() {
      generation++;
      set({ folders: placeholder(), selected: 'inbox', loaded: false, error: null });
    },
  }));
}
