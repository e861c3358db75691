// A simple composer in a modal <dialog>: recipients, subject, text, save as draft.
// Escape or Close saves unsaved words first, so nothing typed is lost.
import { useEffect, useId, useRef } from 'react';
import { useComposer, useStores } from '../../app/context.js';

export function ComposerDialog() {
  const { composer } = useStores();
  const open = useComposer((s) => s.open);
  const to = useComposer((s) => s.to);
  const subject = useComposer((s) => s.subject);
  const body = useComposer((s) => s.body);
  const saving = useComposer((s) => s.saving);
  const savedAt = useComposer((s) => s.savedAt);
  const dirty = useComposer((s) => s.dirty);
  const error = useComposer((s) => s.error);
  const draftId = useComposer((s) => s.draftId);
  const ref = useRef<HTMLDialogElement>(null);
  const toRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const statusId = useId();

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      toRef.current?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);

  const set = composer.getState().setField;
  const status = error ? null : saving ? 'Saving…' : savedAt && !dirty ? `Draft saved at ${new Date(savedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}` : dirty ? 'Unsaved changes' : '';

  return (
    <dialog
      ref={ref}
      className="composer"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        void composer.getState().close();
      }}
    >
      {open && (
        <form
          className="composer-form"
          onSubmit={(e) => {
            e.preventDefault();
            void composer.getState().save();
          }}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
              e.preventDefault();
              void composer.getState().save();
            }
          }}
        >
          <header className="composer-header">
            <h2 id={titleId}>{draftId ? 'Edit draft' : 'New message'}</h2>
            <button type="button" className="ghost" aria-label="Close the composer" onClick={() => void composer.getState().close()}>
              ✕
            </button>
          </header>
          <label className="field">
            <span>To</span>
            <input ref={toRef} type="text" inputMode="email" autoComplete="off" spellCheck={false} placeholder="name@example.org, another@example.org" value={to} onChange={(e) => set('to', e.target.value)} />
          </label>
          <label className="field">
            <span>Subject</span>
            <input type="text" value={subject} onChange={(e) => set('subject', e.target.value)} />
          </label>
          <label className="field field-body">
            <span className="visually-hidden">Message</span>
            <textarea aria-label="Message" value={body} onChange={(e) => set('body', e.target.value)} placeholder="Write your message…" />
          </label>
          <footer className="composer-footer">
            <p id={statusId} className="composer-status" role="status" aria-live="polite">
              {status}
            </p>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <span className="spacer" />
            <button type="button" onClick={() => composer.getState().discard()} disabled={saving}>
              {draftId ? 'Close without saving' : 'Discard'}
            </button>
            <button type="submit" className="primary" disabled={saving} aria-describedby={statusId}>
              Save draft
            </button>
          </footer>
        </form>
      )}
    </dialog>
  );
}
