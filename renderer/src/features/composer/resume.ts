// Drafts survive closing the window: the composer saves on its own while typing (and once
// more when the page is hidden or closed), and the id of the draft it had open is
// remembered on this device, so the next unlock offers to continue it. Only the random
// message id is remembered; the draft itself stays sealed in the vault.
// A browser tab drops what it sends while it unloads, so in host mode words typed since the
// last save also make the browser ask before leaving (the save goes out meanwhile); Electron's
// IPC delivers a save sent while the window closes, and a refused unload would keep it open.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import type { ComposerStore } from './store.js';

/** Where the open draft's id is kept between runs. */
export interface DraftMemory {
  get(): string | null;
  set(id: string | null): void;
}

const KEY = 'qmail.composer.openDraft';
const ID = /^[0-9a-f]{32}$/;

/** localStorage when the page has it, else memory for this run only. */
export function browserDraftMemory(): DraftMemory {
  let fallback: string | null = null;
  const storage = (): Storage | undefined => {
    try {
      return (globalThis as { localStorage?: Storage }).localStorage;
    } catch {
      return undefined;
    }
  };
  return {
    get() {
      const v = storage()?.getItem(KEY) ?? fallback;
      return v && ID.test(v) ? v : null;
    },
    set(id) {
      fallback = id;
      const s = storage();
      if (!s) return;
      if (id) s.setItem(KEY, id);
      else s.removeItem(KEY);
    },
  };
}

export interface ResumeOffer {
  id: string;
  subject: string;
  to: string[];
}

export interface ResumeStore {
  /** A draft the composer had open when the window last closed. */
  offer: ResumeOffer | null;
  /** After unlock: is there a draft to offer? */
  check(): Promise<void>;
  /** Opens the offered draft in the composer. */
  accept(): Promise<void>;
  dismiss(): void;
  /**
   * Saves unsaved words when the page is hidden or closed; with `askBeforeLeaving`, unsaved
   * words also make the browser ask before the page goes. Returns the detach function.
   */
  attach(
    target: Pick<Window, 'addEventListener' | 'removeEventListener'> & { document?: { visibilityState?: string } },
    opts?: { askBeforeLeaving?: boolean },
  ): () => void;
  dispose(): void;
}

export function createResumeStore(
  runtime: Runtime,
  composer: StoreApi<ComposerStore>,
  unlocked: () => boolean,
  memory: DraftMemory = browserDraftMemory(),
): StoreApi<ResumeStore> {
  // Remember the open draft; forget it when the user closes, sends or discards it (not when locking).
  const unsub = composer.subscribe((s, prev) => {
    if (s.open && s.draftId && (s.draftId !== prev.draftId || !prev.open)) memory.set(s.draftId);
    else if (!s.open && prev.open && unlocked()) memory.set(null);
  });
  const unsaved = () => {
    const c = composer.getState();
    return c.open && c.dirty && !c.sending && Boolean(c.to.trim() || c.subject.trim() || c.body.trim());
  };
  const flush = () => {
    if (unsaved()) void composer.getState().save();
  };
  return createStore<ResumeStore>()((set, get) => ({
    offer: null,
    async check() {
      const id = memory.get();
      if (!id || composer.getState().open) return;
      try {
        const m = await runtime.invoke('mail.get', { id });
        if (m.folder !== 'drafts') {
          memory.set(null);
          return;
        }
        set({ offer: { id, subject: m.subject, to: m.to } });
      } catch {
        memory.set(null);
      }
    },
    async accept() {
      const offer = get().offer;
      if (!offer) return;
      set({ offer: null });
      try {
        composer.getState().openDraft(await runtime.invoke('mail.get', { id: offer.id }));
      } catch {
        memory.set(null);
      }
    },
    dismiss() {
      set({ offer: null });
      memory.set(null);
    },
    attach(target, opts = {}) {
      const onHide = () => {
        if (!target.document || target.document.visibilityState === 'hidden') flush();
      };
      const onBeforeUnload = (e: Event) => {
        if (!unsaved()) return;
        flush();
        if (!opts.askBeforeLeaving) return;
        e.preventDefault();
      };
      target.addEventListener('beforeunload', onBeforeUnload);
      target.addEventListener('pagehide', flush);
      target.addEventListener('visibilitychange', onHide);
      return () => {
        target.removeEventListener('beforeunload', onBeforeUnload);
        target.removeEventListener('pagehide', flush);
        target.removeEventListener('visibilitychange', onHide);
      };
    },
    dispose() {
      unsub();
    },
  }));
}
