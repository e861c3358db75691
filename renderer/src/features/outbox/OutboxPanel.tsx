// Messages on their way out, under the folders: progress while sending, each recipient's
// state, retry when failed; a waiting or failed message can go back to Drafts (Cancel) or
// be opened there in the composer (Edit).
import { useState } from 'react';
import { useOutbox, useStores } from '../../app/context.js';
import { pending, progressText } from './store.js';
import { DeliveryList } from '../reader/Reader.js';

export function OutboxPanel() {
  const { outbox } = useStores();
  const items = useOutbox((s) => s.items);
  const error = useOutbox((s) => s.error);
  const open = pending(items);
  // In a narrow window the outbox is a tray over the mail; folding it uncovers what is under it.
  const [folded, setFolded] = useState(false);
  if (open.length === 0 && !error) return null;
  return (
    <section className={`outbox${folded ? ' folded' : ''}`} aria-label="Outbox">
      <h2>
        <button type="button" className="outbox-toggle" aria-expanded={!folded} onClick={() => setFolded(!folded)}>
          Outbox <span className="outbox-count">{open.length}</span>
        </button>
      </h2>
      {error && (
        <p className="form-error small" role="alert">
          {error}
        </p>
      )}
      <ul hidden={folded}>
        {open.map((i) => (
          <li key={i.id} className={`outbox-item state-${i.state}`} aria-label={`${i.subject || '(no subject)'}: ${progressText(i)}`}>
            <span className="outbox-subject">{i.subject || '(no subject)'}</span>
            <span className="muted small" role="status">
              {progressText(i)}
            </span>
            {i.state === 'sending' && i.total > 0 && (
              <progress max={i.total} value={i.uploaded} aria-label={`Stripes stored for ${i.subject || 'this message'}`} />
            )}
            {i.fallback && <span className="small warn">Sent at L3: {i.fallback.reason}</span>}
            {i.recipients && i.recipients.length > 1 && <DeliveryList recipients={i.recipients} />}
            {(i.state === 'failed' || i.state === 'queued') && (
              <span className="outbox-actions">
                {i.state === 'failed' && (
                  <button type="button" className="small" onClick={() => void outbox.getState().retry(i.id)}>
                    Retry
                  </button>
                )}
                <button
                  type="button"
                  className="small"
                  aria-label={`Edit ${i.subject || '(no subject)'}`}
                  onClick={() => void outbox.getState().edit(i.id)}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Cancel sending ${i.subject || '(no subject)'} (it goes back to Drafts)`}
                  onClick={() => void outbox.getState().cancel(i.id)}
                >
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
