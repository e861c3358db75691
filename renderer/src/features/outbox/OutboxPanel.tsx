// Messages on their way out, under the folders: progress while sending, retry when failed.
import { useOutbox, useStores } from '../../app/context.js';
import { pending, progressText } from './store.js';

export function OutboxPanel() {
  const { outbox } = useStores();
  const items = useOutbox((s) => s.items);
  const error = useOutbox((s) => s.error);
  const open = pending(items);
  if (open.length === 0 && !error) return null;
  return (
    <section className="outbox" aria-label="Outbox">
      <h3>Outbox</h3>
      {error && (
        <p className="form-error small" role="alert">
          {error}
        </p>
      )}
      <ul>
        {open.map((i) => (
          <li key={i.id} className={`outbox-item state-${i.state}`} aria-label={`${i.subject || '(no subject)'}: ${progressText(i)}`}>
            <span className="outbox-subject">{i.subject || '(no subject)'}</span>
            <span className="muted small" role="status">
              {progressText(i)}
            </span>
            {i.state === 'sending' && i.total > 0 && <progress max={i.total} value={i.uploaded} aria-label={`Stripes stored for ${i.subject || 'this message'}`} />}
            {i.fallback && <span className="small warn">Sent at L3: {i.fallback.reason}</span>}
            {i.state === 'failed' && (
              <span className="outbox-actions">
                <button type="button" className="small" onClick={() => void outbox.getState().retry(i.id)}>
                  Retry
                </button>
                <button type="button" className="ghost small" onClick={() => void outbox.getState().cancel(i.id)}>
                  Cancel
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
