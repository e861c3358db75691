// The status toast after Send: "Sending …" while the message is on its way, then "Sent to …"
// or why not. A live region, so screen readers hear it too; failures are announced at once.
import { useEffect } from 'react';
import { useOutbox, useStores } from '../../app/context.js';

const SENT_VISIBLE_MS = 8_000;

export function SendStatus() {
  const { outbox } = useStores();
  const notice = useOutbox((s) => s.notice);

  useEffect(() => {
    if (!notice || notice.kind === 'sending' || notice.kind === 'failed') return;
    const t = setTimeout(() => {
      if (outbox.getState().notice === notice) outbox.getState().dismissNotice();
    }, SENT_VISIBLE_MS);
    return () => clearTimeout(t);
  }, [notice, outbox]);

  return (
    <div className="toast-region">
      <div
        className={notice ? `toast toast-${notice.kind}` : 'toast-empty'}
        role={notice?.kind === 'failed' ? 'alert' : 'status'}
        aria-live={notice?.kind === 'failed' ? 'assertive' : 'polite'}
        data-testid="send-status"
      >
        {notice && (
          <>
            <span className="toast-text">{notice.text}</span>
            <button
              type="button"
              className="ghost small"
              aria-label="Dismiss this notice"
              onClick={() => outbox.getState().dismissNotice()}
            >
              ✕
            </button>
          </>
        )}
      </div>
    </div>
  );
}
