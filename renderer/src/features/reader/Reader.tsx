// The reading pane. Bodies are shown as text, or a formatted body through CbdfView — never as HTML.
import { useId, useMemo, useState } from 'react';
import { decodeDocument, imageSourcesOf, type CbdfDocument } from '../../../../shared/cbdf/index.js';
import { base64Decode } from '../../../../shared/qkd/base64.js';
import { CbdfView } from '../../components/cbdf/CbdfView.js';
import { useReader, useStores, useMessages } from '../../app/context.js';
import { countOf, displayName, formatFullDate, formatListDate, LEVEL_LABELS } from '../../ui/format.js';
import { FOLDER_NAMES } from '../folders/store.js';
import type { MessageView, RecipientDelivery } from '../../../../shared/ipc/contract.js';
import { ShieldIcon } from '../../ui/icons.js';
import { errorMessage } from '../../runtime/errors.js';
import { formatBytes } from '../identity/Onboarding.js';
import { CertificateDialog } from './Certificate.js';
import { attachmentBlob, saveBlob } from './save.js';
import { isLevelName, isQuantum } from '../../../../shared/qmail/levels.js';
import { MessageFees } from '../fees/ReaderFees.js';

const DELIVERY_WORDS: Record<RecipientDelivery['state'], string> = {
  queued: 'Queued',
  sending: 'Sending',
  delivered: 'Delivered to the recipient’s beacon',
  failed: 'Not delivered',
};

/** Each recipient's delivery state (Sent mail and outbox items). */
export function DeliveryList({ recipients }: { recipients: readonly RecipientDelivery[] }) {
  return (
    <ul className="delivery" aria-label="Delivery">
      {recipients.map((r) => (
        <li key={r.address} className={`delivery-${r.state}`}>
          <span className="delivery-who">{r.name ? `${r.name} <${r.address}>` : r.address}</span>
          <span className="delivery-state">
            {DELIVERY_WORDS[r.state]}
            {r.state === 'delivered' && r.at ? ` · ${formatListDate(r.at)}` : ''}
            {r.reason ? `: ${r.reason}` : ''}
            {r.paid ? (r.refunded ? ` · ${r.paid} CC came back to your wallet` : ` · paid ${r.paid} CC`) : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A formatted body decoded for the view; null when the message has none or it does not decode (its text is shown then). */
function formattedBody(document: string | undefined): CbdfDocument | null {
  if (!document) return null;
  try {
    const doc = decodeDocument(base64Decode(document));
    return doc.kind === 'phase2' ? doc : null;
  } catch {
    return null;
  }
}

/** Remote images named by a document (never loaded: the page's CSP allows images from the app and the message itself only). */
export function remoteImageCount(doc: CbdfDocument): number {
  if (doc.kind !== 'phase2') return 0;
  return [...imageSourcesOf(doc).values()].filter((s) => s.url && !doc.resources.some((r) => r.id === s.resourceId)).length;
}

/** Links leave the app only for the web or mail, in a new window the shell asks about first. */
function openLink(target: string): void {
  if (/^(https?:|mailto:)/i.test(target)) window.open(target, '_blank', 'noopener,noreferrer');
}

const PROBLEM: Record<string, string> = {
  tampered: 'This encrypted message was altered on the way or forged. It is not shown.',
  not_for_us: 'This encrypted message is for someone else.',
  unknown_sender: 'The sender’s QMail identity does not match the directory. The message is not shown.',
  keys_unavailable: 'The quantum keys this message needs are not available from your key manager.',
};

/** Email: remote images held back until the user allows the sender (the main process then fetches them into the document). */
function EmailImages({ message }: { message: MessageView }) {
  const { reader } = useStores();
  const n = message.legacy?.remoteImages ?? 0;
  if (n === 0) return null;
  return (
    <p className="remote-images" role="note">
      {n === 1 ? 'A remote image was not loaded' : `${n} remote images were not loaded`}: pictures from other servers can tell the sender
      when and where you read it.{' '}
      <button type="button" className="small" onClick={() => void reader.getState().allowImages()}>
        Show images from {message.from}
      </button>
    </p>
  );
}

function MessageBody({ message }: { message: MessageView }) {
  const doc = useMemo(() => formattedBody(message.document), [message.document]);
  const remote = doc && !message.legacy ? remoteImageCount(doc) : 0;
  const problem = message.legacy?.problem;
  if (problem) {
    return (
      <p className="form-error reader-problem" role="alert">
        {PROBLEM[problem.code] ?? 'This encrypted message cannot be opened.'} <span className="small">({problem.message})</span>
      </p>
    );
  }
  return (
    <>
      <EmailImages message={message} />
      {remote > 0 && (
        <p className="remote-images" role="note">
          {remote === 1 ? 'A remote image in this message was not loaded' : `${remote} remote images in this message were not loaded`}:
          pictures from other servers can tell the sender when and where you read it.
        </p>
      )}
      <div className={`message-body${doc ? ' formatted' : ''}`} tabIndex={0} aria-label="Message text">
        {doc ? <CbdfView doc={doc} onOpenLink={openLink} /> : message.body || <span className="muted">This message has no text.</span>}
      </div>
    </>
  );
}

export function Reader() {
  const { reader, composer, runtime, accounts } = useStores();
  const [certOpen, setCertOpen] = useState(false);
  const [attError, setAttError] = useState<string | null>(null);
  const [saving, setSaving] = useState<{ index: number; done: number } | null>(null);
  const message = useReader((s) => s.message);
  const loading = useReader((s) => s.loading);
  const error = useReader((s) => s.error);
  const openId = useReader((s) => s.openId);
  const total = useMessages((s) => s.total);
  const confirming = useReader((s) => s.confirmingDelete);
  const thread = useReader((s) => s.thread);
  const titleId = useId();
  const confirmId = useId();

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
  const inTrash = message.folder === 'trash';
  const canArchive = !isDraft && !inTrash;
  const email = message.legacy ? message : null;
  const secure = message.legacy?.secure;
  return (
    <section className="pane reader-pane" aria-label="Reading pane">
      <article className="message" aria-labelledby={titleId}>
        <header className="message-header">
          <div className="message-title">
            <h2 id={titleId} className="message-subject">
              {message.subject || '(no subject)'}
            </h2>
            <div className="message-actions">
              {!isDraft && (
                <button
                  type="button"
                  className="primary"
                  onClick={() => (email ? accounts.getState().reply(email) : composer.getState().openReply(message))}
                  disabled={Boolean(message.legacy?.problem)}
                  aria-keyshortcuts="r"
                  title="Reply (R)"
                >
                  Reply
                </button>
              )}
              {!isDraft && (
                <button
                  type="button"
                  onClick={() => (email ? accounts.getState().forward(email) : composer.getState().openForward(message))}
                  disabled={Boolean(message.legacy?.problem)}
                >
                  Forward
                </button>
              )}
              {canArchive && (
                <button
                  type="button"
                  onClick={() => void reader.getState().archive()}
                  aria-keyshortcuts="e"
                  title={message.folder === 'archive' ? 'Move to Inbox (E)' : 'Archive (E)'}
                >
                  {message.folder === 'archive' ? 'Move to Inbox' : 'Archive'}
                </button>
              )}
              {inTrash && !email && (
                <button type="button" onClick={() => void reader.getState().restore()}>
                  Restore to {FOLDER_NAMES[message.restoreTo ?? 'inbox']}
                </button>
              )}
              <button
                type="button"
                onClick={() => void reader.getState().remove()}
                aria-keyshortcuts="Delete"
                title={inTrash ? 'Delete for good (Del)' : 'Delete (Del)'}
              >
                {inTrash ? 'Delete for good' : 'Delete'}
              </button>
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
                <dd>
                  {message.fromName && <span className="sender-name">{message.fromName} </span>}
                  <span className={message.fromName ? 'sender-address muted' : 'sender-address'}>
                    {message.fromName ? `<${message.from}>` : message.from}
                  </span>
                  {message.certificate && message.certificate.direction === 'received' && (
                    <span className="fingerprint mono" title="Sender fingerprint: compare it with what your correspondent reads to you">
                      {message.certificate.senderFingerprint}
                    </span>
                  )}
                </dd>
              </div>
            )}
            <div>
              <dt>To</dt>
              <dd>
                {message.to.length ? (
                  message.to.map((a) => (message.toNames?.[a] ? `${message.toNames[a]} <${a}>` : displayName(a))).join(', ')
                ) : (
                  <span className="muted">No recipients yet</span>
                )}
              </dd>
            </div>
            {email && email.legacy && email.legacy.cc.length > 0 && (
              <div>
                <dt>Cc</dt>
                <dd>{email.legacy.cc.join(', ')}</dd>
              </div>
            )}
            <div>
              <dt>{isDraft ? 'Saved' : 'Date'}</dt>
              <dd>
                <time dateTime={new Date(message.date).toISOString()}>{formatFullDate(message.date)}</time>
              </dd>
            </div>
          </dl>
          <div className="badges">
            {/* An encrypted email that failed to open has no level to show: the alert above says why. */}
            {!message.legacy?.problem && (
              <p className={`level level-${message.level}`} title={level.long}>
                <ShieldIcon />
                <span>
                  {isLevelName(message.level) ? `${message.level} · ` : ''}
                  {level.short}
                </span>
                <span className="visually-hidden">: {level.long}</span>
              </p>
            )}
            {isQuantum(message.level) && <p className="badge quantum">Quantum Secured</p>}
            {message.origin && (
              <p className="badge origin">
                <span>
                  Email through <strong>{message.origin.account}</strong>
                </span>
              </p>
            )}
            {message.certificate && (
              <button type="button" className="small" onClick={() => setCertOpen(true)}>
                Certificate
              </button>
            )}
          </div>
          <MessageFees message={message} />
          {confirming && (
            <div className="confirm-bar" role="alertdialog" aria-labelledby={confirmId}>
              <p id={confirmId}>Delete “{message.subject || '(no subject)'}” for good? It cannot be restored afterwards.</p>
              <button type="button" className="danger" onClick={() => void reader.getState().confirmRemove()} autoFocus>
                Delete for good
              </button>
              <button type="button" onClick={() => reader.getState().cancelRemove()}>
                Keep it
              </button>
            </div>
          )}
          {secure && (
            <p className="note" aria-label="Certificate">
              Encrypted with QMail over email, signed by QMail address {secure.sender}, fingerprint{' '}
              <span className="mono">{secure.senderFingerprint}</span>
              {secure.keyIds.length > 0 && <>, quantum keys {secure.keyIds.join(', ')}</>}.
            </p>
          )}
          {message.delivery && message.delivery.length > 0 && <DeliveryList recipients={message.delivery} />}
          {message.repaired !== undefined && message.repaired > 0 && (
            <p className="note" role="note">
              {message.repaired} {message.repaired === 1 ? 'server' : 'servers'} lost or damaged a stripe of this message; it was rebuilt
              from parity
              {message.stripes ? ` (${message.stripes.k} data + ${message.stripes.p} parity stripes)` : ''}.
            </p>
          )}
        </header>
        {thread && thread.length > 1 && (
          <nav className="conversation" aria-label="Conversation">
            <h2 className="conversation-title">Conversation · {countOf(thread.length, 'message')}</h2>
            <ol>
              {thread.map((t) => (
                <li key={t.id}>
                  {t.id === message.id ? (
                    <span aria-current="true" className="conversation-here">
                      {t.fromName || displayName(t.from)} · {formatListDate(t.date)} (this message)
                    </span>
                  ) : (
                    <button type="button" className="link" onClick={() => void reader.getState().open(t.id)}>
                      {t.fromName || displayName(t.from)} · {formatListDate(t.date)} · {FOLDER_NAMES[t.folder]}
                      {t.id === message.thread?.inReplyTo ? ' (answered here)' : ''}
                    </button>
                  )}
                </li>
              ))}
            </ol>
          </nav>
        )}
        <MessageBody message={message} />
        {message.attachments && message.attachments.length > 0 && (
          <section className="reader-attachments" aria-label="Attachments">
            <h3>Attachments</h3>
            <ul>
              {message.attachments.map((a) => (
                <li key={a.index}>
                  <span className="chip-name">{a.name}</span> <span className="muted small">{formatBytes(a.size)}</span>{' '}
                  {saving?.index === a.index && (
                    <progress className="small" max={a.size || 1} value={saving.done} aria-label={`Saving ${a.name}`} />
                  )}{' '}
                  <button
                    type="button"
                    className="small"
                    aria-label={`Download ${a.name}`}
                    onClick={() => {
                      setAttError(null);
                      setSaving({ index: a.index, done: 0 });
                      attachmentBlob(runtime, message.id, a.index, (done) => setSaving({ index: a.index, done }))
                        .then((f) => saveBlob(f.name, f.blob))
                        .catch((e: unknown) => setAttError(`${a.name} could not be saved: ${errorMessage(e)}`))
                        .finally(() => setSaving(null));
                    }}
                  >
                    Download
                  </button>
                </li>
              ))}
            </ul>
            {attError && (
              <p className="form-error" role="alert">
                {attError}
              </p>
            )}
          </section>
        )}
      </article>
      {message.certificate && <CertificateDialog certificate={message.certificate} open={certOpen} onClose={() => setCertOpen(false)} />}
    </section>
  );
}
