// The outbox: messages on their way out (queued, sending with stripe progress, failed with
// a retry). The service pushes every change as outbox.changed.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { OutboxItem } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export interface OutboxStore {
  items: OutboxItem[];
  error: string | null;
  load(): Promise<void>;
  apply(items: OutboxItem[]): void;
  /** Adds or replaces one item (the answer of mail.send or outbox.retry). */
  upsert(item: OutboxItem): void;
  retry(id: string): Promise<void>;
  cancel(id: string): Promise<void>;
  reset(): void;
}

/** What the user still needs to see: everything not yet sent. */
export function pending(items: readonly OutboxItem[]): OutboxItem[] {
  return items.filter((i) => i.state !== 'sent').sort((a, b) => b.createdAt - a.createdAt);
}

export function progressText(i: OutboxItem): string {
  switch (i.state) {
    case 'queued':
      return i.attempts > 0 ? `Waiting to try again (attempt ${i.attempts + 1})` : 'Queued';
    case 'sending':
      return i.total > 0 ? `Sending: ${i.uploaded} of ${i.total} stripes stored` : 'Sending…';
    case 'sent':
      return 'Sent';
    case 'failed':
      return `Not sent: ${i.error ?? 'the servers did not accept it'}`;
  }
}

export function createOutboxStore(runtime: Runtime): StoreApi<OutboxStore> {
  return createStore<OutboxStore>()((set, get) => ({
    items: [],
    error: null,
    async load() {
      try {
        set({ items: await runtime.invoke('outbox.list', {}), error: null });
      } catch (e) {
        set({ error: errorMessage(e) });
      }
    },
    apply(items) {
      set({ items });
    },
    upsert(item) {
      const items = get().items.filter((i) => i.id !== item.id);
      set({ items: [...items, item] });
    },
    async retry(id) {
      try {
        get().upsert(await runtime.invoke('outbox.retry', { id }));
        set({ error: null });
      } catch (e) {
        set({ error: `Could not retry: ${errorMessage(e)}` });
      }
    },
    async cancel(id) {
      try {
        await runtime.invoke('outbox.cancel', { id });
        set({ items: get().items.filter((i) => i.id !== id), error: null });
      } catch (e) {
        set({ error: `Could not cancel: ${errorMessage(e)}` });
      }
    },
    reset() {
      set({ items: [], error: null });
    },
  }));
}
