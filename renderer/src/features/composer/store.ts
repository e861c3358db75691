// The composer-draft store: one draft being written. Saving goes through drafts.save;
// the first save returns the id later saves update.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MessageView } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export interface DraftFields {
  to: string;
  subject: string;
  body: string;
}

export interface ComposerStore extends DraftFields {
  open: boolean;
  draftId: string | null;
  dirty: boolean;
  saving: boolean;
  savedAt: number | null;
  error: string | null;
  openNew(): void;
  openDraft(message: MessageView): void;
  setField(field: keyof DraftFields, value: string): void;
  save(): Promise<boolean>;
  /** Closes the dialog, saving first when there are unsaved words. */
  close(): Promise<boolean>;
  discard(): void;
}

export interface ComposerHooks {
  onSaved?(id: string): void;
  now?(): number;
}

/** Splits "a@x, b@y; c@z" into addresses; empty pieces are dropped. */
export function parseRecipients(text: string): string[] {
  return text.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean);
}

const blank = { to: '', subject: '', body: '', draftId: null, dirty: false, saving: false, savedAt: null, error: null };

export function createComposerStore(runtime: Runtime, hooks: ComposerHooks = {}): StoreApi<ComposerStore> {
  const now = hooks.now ?? (() => Date.now());
  return createStore<ComposerStore>()((set, get) => ({
    open: false,
    ...blank,
    openNew() {
      set({ open: true, ...blank });
    },
    openDraft(message) {
      set({ open: true, ...blank, draftId: message.id, to: message.to.join(', '), subject: message.subject, body: message.body });
    },
    setField(field, value) {
      set({ [field]: value, dirty: true } as Partial<ComposerStore>);
    },
    async save() {
      const s = get();
      if (s.saving) return false;
      set({ saving: true, error: null });
      const snapshot = { to: s.to, subject: s.subject, body: s.body };
      try {
        const { id } = await runtime.invoke('drafts.save', {
          ...(s.draftId ? { id: s.draftId } : {}),
          to: parseRecipients(snapshot.to),
          subject: snapshot.subject,
          body: snapshot.body,
        });
        const after = get();
        const unchanged = after.to === snapshot.to && after.subject === snapshot.subject && after.body === snapshot.body;
        set({ draftId: id, saving: false, savedAt: now(), dirty: unchanged ? false : after.dirty });
        hooks.onSaved?.(id);
        return true;
      } catch (e) {
        set({ saving: false, error: `The draft was not saved: ${errorMessage(e)}` });
        return false;
      }
    },
    async close() {
      const s = get();
      const hasWords = Boolean(s.to.trim() || s.subject.trim() || s.body.trim());
      if (s.dirty && hasWords && !(await get().save())) return false;
      set({ open: false, ...blank });
      return true;
    },
    discard() {
      set({ open: false, ...blank });
    },
  }));
}
