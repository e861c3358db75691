// After unlock: offers the draft the composer had open when the window last closed, and
// saves unsaved words when the page is hidden or closed.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../../app/context.js';
import { displayName } from '../../ui/format.js';

export function ResumeDraft() {
  const { resume, runtime } = useStores();
  const offer = useStore(resume, (s) => s.offer);

  useEffect(() => resume.getState().attach(window, { askBeforeLeaving: runtime.host === 'web' }), [resume, runtime]);

  if (!offer) return null;
  const to = offer.to.length ? ` to ${offer.to.map(displayName).join(', ')}` : '';
  return (
    <section className="resume-draft" aria-label="Unsent draft">
      <p>
        You were writing <strong>{offer.subject ? `“${offer.subject}”` : 'a message'}</strong>
        {to}. It was saved as a draft.
      </p>
      <button type="button" className="primary small" onClick={() => void resume.getState().accept()}>
        Continue writing
      </button>
      <button type="button" className="small" onClick={() => resume.getState().dismiss()}>
        Not now
      </button>
    </section>
  );
}
