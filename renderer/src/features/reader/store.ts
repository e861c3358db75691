// The reader store: the one message open in the reading pane.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FolderId, MessageSummary, MessageView } from '../../../../shared/ipc/contract.js';
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
  /** Deletes the open message: to Trash; in Trash it asks first (confirmingDelete) and erases only after confirmRemove. */
  remove(): Promise<boolean>;
  /** A message in Trash waits for the user to confirm that it goes for good. */
  confirmingDelete: boolean;
  confirmRemove(): Promise<boolean>;
  cancelRemove(): void;
  /** Moves the open message to Archive (from Archive: back to Inbox). */
  archive(): Promise<boolean>;
  /** Puts the open message (in Trash) back where it was deleted from. */
  restore(): Promise<boolean>;
  /** The open message's conversation, oldest first, when it has one (null otherwise). */
  thread: MessageSummary[] | null;
  /** Email (a legacy account's message): allows its sender's remote images from now on and shows them (the main process fetches them). */
  allowImages(): Promise<boolean>;
}

export interface ReaderHooks {
  /** Called once a message that was unread has been marked read. */
  onMarkedRead?(message: MessageView): void;
  onDeleted?(message: MessageView): void;
  /** After Archive or Restore moved the open message. */
  onMoved?(message: MessageView, to: FolderId): void;
}

export function createReaderStore(runtime: Runtime, hooks: ReaderHooks = {}): StoreApi<ReaderStore> {
  let generation = 0;
  return createStore<ReaderStore>()((set, get) => {
    /** Moves the open message out of its folder (the call returns where it went) and closes it. */
    async function moveOut(m: MessageView, verb: string, move: () => Promise<FolderId>): Promise<boolean> {
      try {
        const to = await move();
        if (get().openId === m.id) get().close();
        hooks.onMoved?.(m, to);
        return true;
      } catch (e) {
        set({ error: `Could not ${verb}: ${errorMessage(e)}` });
        return false;
      }
    }
    async function erase(m: MessageView, permanent: boolean): Promise<boolean> {
      try {
        await runtime.invoke('mail.delete', { id: m.id, permanent });
        if (get().openId === m.id) get().close();
        hooks.onDeleted?.(m);
        return true;
      } catch (e) {
        set({ error: `Could not delete: ${errorMessage(e)}` });
        return false;
      }
    }
    async function fetch(id: string, markRead: boolean): Promise<void> {
      const gen = ++generation;
      try {
        const message = await runtime.invoke('mail.get', { id });
        if (gen !== generation) return;
        const sameThread = get().thread?.some((t) => t.id === id) ?? false;
        set({
          message: markRead ? { ...message, unread: false } : message,
          loading: false,
          error: null,
          ...(sameThread ? {} : { thread: null }),
        });
        if (message.thread && message.thread.size > 1) {
          void runtime
            .invoke('mail.thread', { id })
            .then(({ items }) => {
              if (gen === generation) set({ thread: items });
            })
            .catch(() => undefined);
        }
        if (markRead && message.unread) {
          // A mark that does not reach the server (an email account offline) leaves the message unread; it is still read.
          const marked = await runtime.invoke('mail.markRead', { id, unread: false }).then(
            () => true,
            () => false,
          );
          if (marked) hooks.onMarkedRead?.(message);
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
      confirmingDelete: false,
      thread: null,
      async open(id) {
        if (get().openId === id && get().message) return;
        set({ openId: id, loading: true, error: null, confirmingDelete: false, message: get().message?.id === id ? get().message : null });
        await fetch(id, true);
      },
      async reload() {
        const id = get().openId;
        if (id) await fetch(id, false);
      },
      close() {
        generation++;
        set({ openId: null, message: null, loading: false, error: null, confirmingDelete: false, thread: null });
      },
      async remove() {
        const m = get().message;
        if (!m) return false;
        if (m.folder === 'trash') {
          set({ confirmingDelete: true });
          return false;
        }
        return erase(m, false);
      },
      async confirmRemove() {
        const m = get().message;
        if (!m || !get().confirmingDelete) return false;
        set({ confirmingDelete: false });
        return erase(m, true);
      },
      cancelRemove() {
        set({ confirmingDelete: false });
      },
      async archive() {
        const m = get().message;
        if (!m || m.folder === 'drafts' || m.folder === 'trash') return false;
        const to: FolderId = m.folder === 'archive' ? 'inbox' : 'archive';
        return moveOut(m, 'archive', async () => {
          await runtime.invoke('mail.move', { id: m.id, folder: to });
          return to;
        });
      },
      async allowImages() {
        const m = get().message;
        if (!m?.legacy) return false;
        try {
          const v = await runtime.invoke('legacy.allowImages', { id: m.id });
          if (get().message?.id !== m.id) return false;
          set({
            message: {
              ...m,
              body: v.body,
              ...(v.document ? { document: v.document } : {}),
              legacy: { ...m.legacy, remoteImages: v.remoteImages, imagesAllowed: v.imagesAllowed },
            },
          });
          return true;
        } catch (e) {
          set({ error: `Could not show the images: ${errorMessage(e)}` });
          return false;
        }
      },
      async restore() {
        const m = get().message;
        if (!m || m.folder !== 'trash') return false;
        return moveOut(m, 'restore', async () => (await runtime.invoke('mail.restore', { id: m.id })).folder);
      },
    };
  });
}
