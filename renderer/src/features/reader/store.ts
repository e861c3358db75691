// The reader store: the one message open in the reading pane.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MessageView } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export interface ReaderStore {
  openId: string | null;
  message: MessageView | null;
  loading: boolean;
  error: string | null;
  open(id: string): Promise<void>;
  /** Fetches the open message again (after it changed elsewhere). */
  reload(): Promise<void>;
  close(): void;
  /** Deletes the open message (to Trash; from Trash for good). */
  remove(): Promise<boolean>;
}

export interface ReaderHooks {
  /** Called once a message that was unread has been marked read. */
  onMarkedRead?(message: MessageView): void;
  onDeleted?(message: MessageView): void;
}

export function createReaderStore(runtime: Runtime, hooks: ReaderHooks = {}): StoreApi<ReaderStore> {
  let generation = 0;
  return createStore<ReaderStore>()((set, get) => {
    async function fetch(id: string, markRead: boolean): Promise<void> {
      const gen = ++generation;
      try {
        const message = await runtime.invoke('mail.get', { id });
        if (gen !== generation) return;
        set({ message: markRead ? { ...message, unread: false } : message, loading: false, error: null });
        if (markRead && message.unread) {
          await runtime.invoke('mail.markRead', { id, unread: false });
          hooks.onMarkedRead?.(message);
        }
      } catch (e) {
        if (gen === generation) set({ loading: false, error: errorMessage(e) });
      }
    }
    return {
      openId: null,
      message: null,
      loading: false,
      error: null,
      async open(id) {
        if (get().openId === id && get().message) return;
        set({ openId: id, loading: true, error: null, message: get().message?.id === id ? get().message : null });
        await fetch(id, true);
      },
      async reload() {
        const id = get().openId;
        if (id) await fetch(id, false);
      },
      close() {
        generation++;
        set({ openId: null, message: null, loading: false, error: null });
      },
      async remove() {
        const m = get().message;
        if (!m) return false;
        try {
          await runtime.invoke('mail.delete', { id: m.id, permanent: m.folder === 'trash' });
          if (get().openId === m.id) get().close();
          hooks.onDeleted?.(m);
          return true;
        } catch (e) {
          set({ error: `Could not delete: ${errorMessage(e)}` });
          return false;
        }
      },
    };
  });
}
