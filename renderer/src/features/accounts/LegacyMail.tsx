// The Email window: sending through an email account — a new email, a reply to or a forward
// of an email read in the main window's folders (where the accounts' mail is listed and read
// with QMail's), or a qmail to plain addresses handed over by the composer. Every send first
// says plainly that the message leaves QMail.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { AttachmentsBar } from '../composer/AttachmentsBar.js';
import { formatBytes } from '../identity/Onboarding.js';
import { Outcome } from './AccountsDialog.js';
import type { EmailAnswer, GatewayDraft, Outgoing } from './store.js';
import './accounts.css';

/** The forwarded email under the user's text, as mail clients write it. */
export function forwardedText(a: EmailAnswer): string {
  return [
    '',
    '',
    '---------- Forwarded message ----------',
    `From: ${a.fromName ? `${a.fromName} <${a.from}>` : a.from}`,
    `Date: ${new Date(a.date).toUTCString()}`,
    `Subject: ${a.subject}`,
    `To: ${a.to.join(', ')}`,
    '',
    a.body,
  ].join('\n');
}

function subjectFor(a: EmailAnswer): string {
  if (a.kind === 'reply') return /^re:/i.test(a.subject) ? a.subject : `Re: ${a.subject}`;
  return /^fwd?:/i.test(a.subject) ? a.subject : `Fwd: ${a.subject}`;
}

const TITLE = { new: 'New email', reply: 'Reply by email', forward: 'Forward by email' } as const;

export function Compose({ answer, draft, onDone }: { answer: EmailAnswer | null; draft: GatewayDraft | null; onDone: () => void }) {
  const { accounts } = useStores();
  const list = useStore(accounts, (s) => s.accounts);
  const attachments = useStore(accounts, (s) => s.attachments);
  const attachError = useStore(accounts, (s) => s.attachError);
  const reply = answer?.kind === 'reply' ? answer : null;
  const [accountId, setAccountId] = useState(answer?.accountId ?? list[0]?.id ?? '');
  const [to, setTo] = useState(reply ? reply.from : (draft?.to.join(', ') ?? ''));
  const [subject, setSubject] = useState(answer ? subjectFor(answer) : (draft?.subject ?? ''));
  const [body, setBody] = useState(answer?.kind === 'forward' ? forwardedText(answer) : (draft?.body ?? ''));
  // The composer's formatting travels as long as the text is left as it came.
  const document = draft?.document !== undefined && body === draft.body ? draft.document : undefined;
  const [encrypt, setEncrypt] = useState(Boolean(reply?.qmailSender));
  const [qmailAddress, setQmailAddress] = useState(reply?.qmailSender ?? '');
  const [level, setLevel] = useState<'L1' | 'L2' | 'L3'>('L3');
  const viaId = useId();
  const levelId = useId();
  const messageId = useId();
  const preset = list.find((a) => a.id === accountId)?.preset ?? 'generic';
  function submit(e: FormEvent) {
    e.preventDefault();
    if (attachments.some((a) => a.forwarded === undefined && a.staged === undefined)) {
      accounts.setState({ attachError: 'Attachments are still uploading; send again when they are done.' });
      return;
    }
    const staged = attachments.flatMap((a) => (a.staged ? [a.staged] : []));
    const m: Outgoing = {
      accountId,
      to: to.split(/[,;\s]+/).filter(Boolean),
      subject,
      body,
      ...(document ? { document } : {}),
      ...(reply ? { inReplyTo: reply.id } : {}),
      ...(staged.length ? { staged } : {}),
      ...(answer?.kind === 'forward'
        ? { forward: { id: answer.id, attachments: attachments.flatMap((a) => (a.forwarded !== undefined ? [a.forwarded] : [])) } }
        : {}),
      ...(encrypt ? { encryptFor: { address: qmailAddress.trim(), level } } : {}),
    };
    accounts.getState().requestSend(m);
    onDone();
  }
  return (
    <form className="settings-section legacy-compose" aria-label={TITLE[answer?.kind ?? 'new']} onSubmit={submit}>
      <h3>{answer ? TITLE[answer.kind] : 'New email through an account'}</h3>
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
      <AttachmentsBar
        items={attachments.map((a) => ({
          key: a.key,
          name: a.name,
          size: a.size,
          ...(a.forwarded === undefined && a.staged === undefined ? { uploading: a.uploaded ?? 0 } : {}),
        }))}
        onRemove={(key) => accounts.getState().removeAttachment(key)}
        onFiles={(files) => {
          for (const f of files) void accounts.getState().attachFile(f, f.name || 'attachment', preset);
        }}
      >
        {attachError && (
          <span className="form-error" role="alert">
            {attachError}
          </span>
        )}
      </AttachmentsBar>
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
        <button
          type="button"
          onClick={() => {
            accounts.getState().clearAttachments();
            onDone();
          }}
        >
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
  const files = useStore(accounts, (s) => s.attachments);
  if (!m) return null;
  const account = list.find((a) => a.id === m.accountId);
  const size = files.reduce((n, a) => n + a.size, 0);
  return (
    <section className="gateway-confirm" role="alertdialog" aria-labelledby="gateway-title" aria-describedby="gateway-text">
      <h3 id="gateway-title">This message leaves QMail</h3>
      <p id="gateway-text">
        It goes as ordinary email through {account ? `${account.name} (${account.email})` : 'your account'} to {m.to.join(', ')}.{' '}
        {m.encryptFor
          ? `It is encrypted at ${m.encryptFor.level} for QMail address ${m.encryptFor.address}: the mail servers on the way see who writes to whom, not the subject or the text.`
          : 'It is not encrypted: the mail providers on the way can read it, and it is not striped over QMail servers.'}
        {files.length > 0 && ` With ${files.length === 1 ? '1 attachment' : `${files.length} attachments`} (${formatBytes(size)}).`}
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
  const answer = useStore(accounts, (s) => s.answer);
  const onClose = () => accounts.getState().closeMail();
  const busy = useStore(accounts, (s) => s.busy);
  const error = useStore(accounts, (s) => s.error);
  const sent = useStore(accounts, (s) => s.sent);
  const confirm = useStore(accounts, (s) => s.confirm);
  const count = useStore(accounts, (s) => s.accounts.length);
  const [composing, setComposing] = useState(false);
  useEffect(() => {
    if (open) void accounts.getState().load();
  }, [open, accounts]);
  // A qmail handed over by the composer, or an email answered from the reader, opens its form at once.
  const showForm = Boolean(prefill || answer || composing);

  return (
    <ModalDialog open={open} onClose={onClose} title="Email" closeLabel="Close email" className="settings legacy-mail">
      <div className="row-buttons">
        <button type="button" disabled={busy !== null || count === 0} onClick={() => void accounts.getState().sync()}>
          {busy === 'syncing' ? 'Checking…' : 'Check email'}
        </button>
        <button
          type="button"
          disabled={count === 0}
          onClick={() => {
            accounts.getState().clearAttachments();
            accounts.setState({ prefill: null, answer: null, sent: null });
            setComposing(true);
          }}
        >
          New email
        </button>
        <button type="button" onClick={() => accounts.getState().show()}>
          Accounts…
        </button>
      </div>
      {confirm ? (
        <Confirm />
      ) : showForm ? (
        <Compose
          key={prefill ? 'gateway' : answer ? `${answer.kind}:${answer.id}` : 'new'}
          answer={prefill ? null : answer}
          draft={prefill}
          onDone={() => {
            setComposing(false);
            accounts.setState({ prefill: null, answer: null });
          }}
        />
      ) : count === 0 ? (
        <p className="muted">
          Add a Gmail, Outlook, Yahoo or other email account under Accounts… Its mail then shows in your folders beside your qmail.
        </p>
      ) : (
        <p className="muted">
          Your accounts’ email is in your folders beside your qmail, each message marked with its account. Write a new email here, or reply
          from the message.
        </p>
      )}
      <Outcome done={sent} error={error} />
    </ModalDialog>
  );
}
