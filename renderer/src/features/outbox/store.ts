// The outbox: messages on their way out (queued, sending with stripe progress, failed with
// a retry, or back to Drafts to edit). The service pushes every change as outbox.changed.
// Messages sent from this window are followed until they settle, and `notice` says how
// it went ("Sending…", "Sent to …", or why not) for a status toast.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MessageView, OutboxItem } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

/** What the status toast says about a message sent from this window. */
export interface SendNotice {
  id: string;
  kind: 'sending' | 'sent' | 'failed' | 'info';
  text: string;
}

export interface OutboxStore {
  items: OutboxItem[];
  error: string | null;
  notice: SendNotice | null;
  load(): Promise<void>;
  /** An outbox.changed event; `settled` is the item that has just been sent or has failed. */
  apply(items: OutboxItem[], settled?: OutboxItem): void;
  /** Adds or replaces one item (the answer of mail.send or outbox.retry). */
  upsert(item: OutboxItem): void;
  /** A message the user has just sent: followed, and the toast says "Sending…" until it settles. */
  watch(item: OutboxItem): void;
  dismissNotice(): void;
  retry(id: string): Promise<void>;
  /** Takes the message out of the outbox and back to Drafts; returns the draft's id. */
  cancel(id: string): Promise<string | null>;
  /** Back to Drafts, then open in the composer. */
  edit(id: string): Promise<boolean>;
  reset(): void;
}

export interface OutboxHooks {
  /** Opens a draft in the composer (Edit). */
  openDraft?(message: MessageView): void;
  /** The message went back to Drafts. */
  onReturnedToDrafts?(draftId: string): void;
}

function subjectOf(i: Pick<OutboxItem, 'subject'>): string {
  return `“${i.subject || '(no subject)'}”`;
}

function recipientsText(i: OutboxItem, state?: 'delivered' | 'failed'): string {
  const list = i.recipients?.filter((r) => !state || r.state === state) ?? [];
  const names = list.length ? list.map((r) => r.name || r.address) : i.to;
  return names.join(', ');
}

/** The toast's sentence for a followed message. */
export function noticeFor(i: OutboxItem): SendNotice {
  switch (i.state) {
    case 'sent':
      return { id: i.id, kind: 'sent', text: `Sent to ${recipientsText(i)}: ${subjectOf(i)}` };
    case 'failed': {
      const failed = i.recipients?.filter((r) => r.state === 'failed') ?? [];
      const reason = (failed[0]?.reason ?? i.error ?? 'the servers did not accept it').replace(/[.\s]+$/, '');
      return {
        id: i.id,
        kind: 'failed',
        text: `Not sent to ${failed.length ? recipientsText(i, 'failed') : recipientsText(i)}: ${reason}. It waits in the outbox (Retry, or Edit).`,
      };
    }
    default:
      return { id: i.id, kind: 'sending', text: `Sending ${subjectOf(i)} to ${recipientsText(i)}…` };
  }
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

export function createOutboxStore(runtime: Runtime, hooks: OutboxHooks = {}): StoreApi<OutboxStore> {
  const watched = new Set<string>();
  return createStore<OutboxStore>()((set, get) => ({
    items: [],
    error: null,
    notice: null,
    async load() {
      try {
        set({ items: await runtime.invoke('outbox.list', {}), error: null });
      } catch (e) {
        set({ error: errorMessage(e) });
      }
    },
    apply(items, settled) {
      set({ items });
      if (settled && watched.has(settled.id)) {
        watched.delete(settled.id);
        set({ notice: noticeFor(settled) });
      }
    },
    watch(item) {
      watched.add(item.id);
      get().upsert(item);
      set({ notice: noticeFor(item) });
    },
    dismissNotice() {
      set({ notice: null });
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
      const item = get().items.find((i) => i.id === id);
      try {
        const { draftId } = await runtime.invoke('outbox.cancel', { id });
        watched.delete(id);
        set({
          items: get().items.filter((i) => i.id !== id),
          error: null,
          notice: { id, kind: 'info', text: `${item ? subjectOf(item) : 'The message'} is back in Drafts, not sent.` },
        });
        hooks.onReturnedToDrafts?.(draftId);
        return draftId;
      } catch (e) {
        set({ error: `Could not cancel: ${errorMessage(e)}` });
        return null;
      }
    },
    async edit(id) {
      const draftId = await get().cancel(id);
      if (!draftId) return false;
      try {
        hooks.openDraft?.(await runtime.invoke('mail.get', { id: draftId }));
        return true;
      } catch (e) {
        set({ error: `The draft could not be opened: ${errorMessage(e)}` });
        return false;
      }
    },
    reset() {
      watched.clear();
      set({ items: [], error: null, notice: null });
    },
  }));
}
