// The toast confirming a change to our inbox (a sender let in free or blocked, a new fee), or
// saying why it failed. A live region, like the send status; it sits above that one.
import { useEffect } from 'react';
import { useStores } from '../../app/context.js';
import { useFees } from './TipSettingsDialog.js';

const VISIBLE_MS = 6_000;

export function FeesNotice() {
  const { fees } = useStores();
  // While the Tip settings screen is open it says the same inside itself (a toast would sit under the modal).
  const notice = useFees((s) => (s.open ? null : s.notice));

  useEffect(() => {
    if (!notice || notice.kind === 'failed') return;
    const t = setTimeout(() => {
      if (fees.getState().notice === notice) fees.getState().dismissNotice();
    }, VISIBLE_MS);
    return () => clearTimeout(t);
  }, [notice, fees]);

  return (
    <div className="toast-region fees-toast-region">
      <div
        className={notice ? `toast${notice.kind === 'failed' ? ' toast-failed' : ''}` : 'toast-empty'}
        role={notice?.kind === 'failed' ? 'alert' : 'status'}
        aria-live={notice?.kind === 'failed' ? 'assertive' : 'polite'}
        data-testid="fees-notice"
      >
        {notice && (
          <>
            <span className="toast-text">{notice.text}</span>
            <button type="button" className="ghost small" aria-label="Dismiss this notice" onClick={() => fees.getState().dismissNotice()}>
              ✕
            </button>
          </>
        )}
      </div>
    </div>
  );
}
