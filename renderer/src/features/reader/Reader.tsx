// The reading pane. Bodies are shown as text, never as HTML.
import { useId } from 'react';
import { useReader, useStores, useMessages } from '../../app/context.js';
import { displayName, formatFullDate, LEVEL_LABELS } from '../../ui/format.js';
import { ShieldIcon } from '../../ui/icons.js';

export function Reader() {
  const { reader, composer } = useStores();
  const message = useReader((s) => s.message);
  const loading = useReader((s) => s.loading);
  const error = useReader((s) => s.error);
  const openId = useReader((s) => s.openId);
  const total = useMessages((s) => s.total);
  const titleId = useId();

  if (!openId) {
    return (
      <section className="pane reader-pane" aria-label="Reading pane">
        <div className="empty reader-empty">
          <h3>{total > 0 ? 'Select a message to read it' : 'Nothing to read yet'}</h3>
          <p>
            {total > 0 ? (
              <>
                Move with <kbd>J</kbd> and <kbd>K</kbd> (or the arrow keys), then press <kbd>Enter</kbd> to open.
              </>
            ) : (
              <>
                Press <kbd>C</kbd> to write a message.
              </>
            )}
          </p>
        </div>
      </section>
    );
  }

  if (error) {
    return (
      <section className="pane reader-pane" aria-label="Reading pane">
        <div className="pane-error" role="alert">
          <p>This message could not be opened: {error}</p>
          <button type="button" onClick={() => void reader.getState().reload()}>
            Try again
          </button>
        </div>
      </section>
    );
  }

  if (!message || (loading && message.id !== openId)) {
    return (
      <section className="pane reader-pane" aria-label="Reading pane" aria-busy="true">
        <p className="loading">Opening message…</p>
      </section>
    );
  }

  const level = LEVEL_LABELS[message.level];
  const isDraft = message.folder === 'drafts';
  return (
    <section className="pane reader-pane" aria-label="Reading pane">
      <article className="message" aria-labelledby={titleId}>
        <header className="message-header">
          <div className="message-title">
            <h1 id={titleId} className="message-subject">
              {message.subject || '(no subject)'}
            </h1>
            <div className="message-actions">
              {isDraft && (
                <button type="button" className="primary" onClick={() => composer.getState().openDraft(message)}>
                  Edit draft
                </button>
              )}
              <button type="button" onClick={() => reader.getState().close()} aria-label="Close message">
                Close
              </button>
            </div>
          </div>
          <dl className="message-meta">
            {!isDraft && (
              <div>
                <dt>From</dt>
                <dd>{message.from}</dd>
              </div>
            )}
            <div>
              <dt>To</dt>
              <dd>{message.to.length ? message.to.map(displayName).join(', ') : <span className="muted">No recipients yet</span>}</dd>
            </div>
            <div>
              <dt>{isDraft ? 'Saved' : 'Date'}</dt>
              <dd>
                <time dateTime={new Date(message.date).toISOString()}>{formatFullDate(message.date)}</time>
              </dd>
            </div>
          </dl>
          <p className={`level level-${message.level}`} title={level.long}>
            <ShieldIcon />
            <span>{level.short}</span>
            <span className="visually-hidden">: {level.long}</span>
          </p>
        </header>
        <div className="message-body" tabIndex={0} aria-label="Message text">
          {message.body || <span className="muted">This message has no text.</span>}
        </div>
      </article>
    </section>
  );
}
