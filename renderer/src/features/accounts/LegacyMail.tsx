// The mail of the legacy accounts: each row says which account it came through; a message
// opens with its remote images blocked until the user allows that sender (the main process
// then fetches them, the page never does); reply, and new email through an account. Every
// send through an account first says plainly that the message leaves QMail.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { decodeDocument, type CbdfDocument } from '../../../../shared/cbdf/index.js';
import type { LegacyMessageView } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';
import { CbdfView } from '../../components/cbdf/CbdfView.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { Outcome } from './AccountsDialog.js';
import type { GatewayDraft, Outgoing } from './store.js';
import './accounts.css';

function docOf(b64: string | undefined): CbdfDocument | null {
  if (!b64) return null;
  try {
    return decodeDocument(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

function openLink(target: string): void {
  if (/^(https?:|mailto:)/i.test(target)) window.open(target, '_blank', 'noopener,noreferrer');
}

const PROBLEM: Record<string, string> = {
  tampered: 'This encrypted message was altered on the way or forged. It is not shown.',
  not_for_us: 'This encrypted message is for someone else.',
  unknown_sender: 'The sender’s QMail identity does not match the directory. The message is not shown.',
  keys_unavailable: 'The quantum keys this message needs are not available from your key manager.',
};

function Message({ m, onReply }: { m: LegacyMessageView; onReply: () => void }) {
  const { accounts } = useStores();
  const doc = useMemo(() => docOf(m.document), [m.document]);
  return (
    <article className="legacy-message" aria-labelledby="legacy-subject">
      <h3 id="legacy-subject">{m.subject || '(no subject)'}</h3>
      <p className="legacy-meta">
        From <strong>{m.fromName ? `${m.fromName} <${m.from}>` : m.from}</strong> · <span className="origin-badge">via {m.account}</span>
        {m.secure && <span className="secure-badge"> · Encrypted with QMail ({m.secure.level})</span>}
      </p>
      {m.secure && (
        <p className="hint small" aria-label="Certificate">
          Signed by QMail address {m.secure.sender}, fingerprint <span className="mono">{m.secure.senderFingerprint}</span>
          {m.secure.keyIds.length > 0 && <>, quantum keys {m.secure.keyIds.join(', ')}</>}.
        </p>
      )}
      {m.problem ? (
        <p className="form-error" role="alert">
          {PROBLEM[m.problem.code] ?? 'This encrypted message cannot be opened.'} <span className="small">({m.problem.message})</span>
        </p>
      ) : (
        <>
          {m.remoteImages > 0 && (
            <p className="remote-images" role="note">
              {m.remoteImages === 1 ? 'A remote image was not loaded' : `${m.remoteImages} remote images were not loaded`}: pictures from
              other servers can tell the sender when and where you read it.{' '}
              <button type="button" onClick={() => void accounts.getState().allowImages()}>
                Show images from {m.from}
              </button>
            </p>
          )}
          <div className={`message-body${doc ? ' formatted' : ''}`} tabIndex={0} aria-label="Message text">
            {doc ? <CbdfView doc={doc} onOpenLink={openLink} /> : m.body || <span className="muted">This message has no text.</span>}
          </div>
        </>
      )}
      {m.attachments.length > 0 && <p className="muted small">Attachments: {m.attachments.map((a) => a.name).join(', ')}</p>}
      <div className="row-buttons">
        <button type="button" className="primary" onClick={onReply} disabled={Boolean(m.problem)}>
          Reply
        </button>
        <button type="button" onClick={() => accounts.getState().close()}>
          Back to the list
        </button>
      </div>
    </article>
  );
}

function Compose({ reply, draft, onDone }: { reply: LegacyMessageView | null; draft: GatewayDraft | null; onDone: () => void }) {
  const { accounts } = useStores();
  const list = useStore(accounts, (s) => s.accounts);
  const [accountId, setAccountId] = useState(reply?.accountId ?? list[0]?.id ?? '');
  const [to, setTo] = useState(reply ? reply.from : (draft?.to.join(', ') ?? ''));
  const [subject, setSubject] = useState(
    reply ? (/^re:/i.test(reply.subject) ? reply.subject : `Re: ${reply.subject}`) : (draft?.subject ?? ''),
  );
  const [body, setBody] = useState(draft?.body ?? '');
  // The composer's formatting travels as long as the text is left as it came.
  const document = draft?.document !== undefined && body === draft.body ? draft.document : undefined;
  const [encrypt, setEncrypt] = useState(false);
  const [qmailAddress, setQmailAddress] = useState(reply?.secure?.sender ?? '');
  const [level, setLevel] = useState<'L1' | 'L2' | 'L3'>('L3');
  const viaId = useId();
  const levelId = useId();
  const messageId = useId();
  function submit(e: FormEvent) {
    e.preventDefault();
    const m: Outgoing = {
      accountId,
      to: to.split(/[,;\s]+/).filter(Boolean),
      subject,
      body,
      ...(document ? { document } : {}),
      ...(reply ? { inReplyTo: reply.id } : {}),
      ...(encrypt ? { encryptFor: { address: qmailAddress.trim(), level } } : {}),
    };
    accounts.getState().requestSend(m);
    onDone();
  }
  return (
    <form className="settings-section legacy-compose" aria-label={reply ? 'Reply by email' : 'New email'} onSubmit={submit}>
      <h3>{reply ? 'Reply by email' : 'New email through an account'}</h3>
      <label className="field">
        <span id={viaId}>Send through</span>
        <select aria-labelledby={viaId} value={accountId} onChange={(e) => setAccountId(e.target.value)} required>
          {list.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.email})
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>To (email addresses)</span>
        <input type="text" required value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <label className="field">
        <span>Subject</span>
        <input type="text" value={subject} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label className="field">
        <span id={messageId}>Message</span>
        <textarea aria-labelledby={messageId} rows={6} value={body} onChange={(e) => setBody(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} /> The recipient reads this mailbox with
        QMail Desktop: encrypt for them
      </label>
      {encrypt && (
        <div className="legacy-encrypt">
          <label className="field">
            <span>Their QMail address</span>
            <input
              type="text"
              required
              spellCheck={false}
              value={qmailAddress}
              onChange={(e) => setQmailAddress(e.target.value)}
              placeholder="0006.1.12345"
            />
          </label>
          <label className="field">
            <span id={levelId}>Security level</span>
            <select aria-labelledby={levelId} value={level} onChange={(e) => setLevel(e.target.value as 'L1' | 'L2' | 'L3')}>
              <option value="L3">L3 post-quantum</option>
              <option value="L2">L2 quantum keys + AES</option>
              <option value="L1">L1 quantum one-time pad</option>
            </select>
          </label>
        </div>
      )}
      <div className="row-buttons">
        <button type="submit" className="primary" disabled={!accountId}>
          Send…
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The gateway confirmation: nothing leaves before the user says so. */
function Confirm() {
  const { accounts } = useStores();
  const m = useStore(accounts, (s) => s.confirm);
  const busy = useStore(accounts, (s) => s.busy);
  const list = useStore(accounts, (s) => s.accounts);
  if (!m) return null;
  const account = list.find((a) => a.id === m.accountId);
  return (
    <section className="gateway-confirm" role="alertdialog" aria-labelledby="gateway-title" aria-describedby="gateway-text">
      <h3 id="gateway-title">This message leaves QMail</h3>
      <p id="gateway-text">
        It goes as ordinary email through {account ? `${account.name} (${account.email})` : 'your account'} to {m.to.join(', ')}.{' '}
        {m.encryptFor
          ? `It is encrypted at ${m.encryptFor.level} for QMail address ${m.encryptFor.address}: the mail servers on the way see who writes to whom, not the subject or the text.`
          : 'It is not encrypted: the mail providers on the way can read it, and it is not striped over QMail servers.'}
      </p>
      <div className="row-buttons">
        <button type="button" className="primary" disabled={busy !== null} onClick={() => void accounts.getState().confirmSend()}>
          Send as email
        </button>
        {/* Focus lands on the safe choice. */}
        <button type="button" autoFocus onClick={() => accounts.getState().cancelSend()}>
          Back
        </button>
      </div>
    </section>
  );
}

export function LegacyMailDialog() {
  const { accounts } = useStores();
  const open = useStore(accounts, (s) => s.mailOpen);
  const prefill = useStore(accounts, (s) => s.prefill);
  const onClose = () => accounts.getState().closeMail();
  const rows = useStore(accounts, (s) => s.rows);
  const message = useStore(accounts, (s) => s.open);
  const busy = useStore(accounts, (s) => s.busy);
  const error = useStore(accounts, (s) => s.error);
  const sent = useStore(accounts, (s) => s.sent);
  const confirm = useStore(accounts, (s) => s.confirm);
  const count = useStore(accounts, (s) => s.accounts.length);
  const [composing, setComposing] = useState<'new' | 'reply' | null>(null);
  useEffect(() => {
    if (!open) return;
    void accounts
      .getState()
      .load()
      .then(() => accounts.getState().loadRows());
  }, [open, accounts]);
  // A qmail handed over by the composer opens as a new email.
  const mode = prefill ? 'new' : composing;

  return (
    <ModalDialog open={open} onClose={onClose} title="Email accounts" closeLabel="Close email accounts" className="settings legacy-mail">
      <div className="row-buttons">
        <button type="button" disabled={busy !== null || count === 0} onClick={() => void accounts.getState().sync()}>
          {busy === 'syncing' ? 'Checking…' : 'Check email'}
        </button>
        <button type="button" disabled={count === 0} onClick={() => setComposing('new')}>
          New email
        </button>
        <button type="button" onClick={() => accounts.getState().show()}>
          Accounts…
        </button>
      </div>
      {confirm ? (
        <Confirm />
      ) : mode ? (
        <Compose
          key={prefill ? 'gateway' : mode}
          reply={mode === 'reply' ? message : null}
          draft={mode === 'new' ? prefill : null}
          onDone={() => {
            setComposing(null);
            accounts.setState({ prefill: null });
          }}
        />
      ) : message ? (
        <Message m={message} onReply={() => setComposing('reply')} />
      ) : count === 0 ? (
        <p className="muted">Add a Gmail, Outlook, Yahoo or other email account under Accounts… to read its mail here.</p>
      ) : (
        <ul className="legacy-list" aria-label="Email inbox">
          {rows.length === 0 && <li className="muted">No email yet.</li>}
          {rows.map((r) => (
            <li key={r.id}>
              <button type="button" className={r.unread ? 'unread' : ''} onClick={() => void accounts.getState().read(r.id)}>
                <span className="legacy-from">{r.fromName ?? r.from}</span>
                <span className="legacy-subject">{r.subject || '(no subject)'}</span>
                <span className="origin-badge">via {r.account}</span>
                <time dateTime={new Date(r.date).toISOString()}>{new Date(r.date).toLocaleString()}</time>
              </button>
            </li>
          ))}
        </ul>
      )}
      <Outcome done={sent} error={error} />
    </ModalDialog>
  );
}
