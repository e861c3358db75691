// The composer in a modal <dialog>: recipients with directory autocomplete, subject, text,
// attachments (drop or pick), security level and stripe layout, Send (Ctrl+Enter).
// Escape or Close saves unsaved words first, and a draft is saved on its own while typing.
import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import type { SecurityLevel } from '../../../../shared/ipc/contract.js';
import { plainToEditorHtml } from '../../../../shared/cbdf/index.js';
import { useComposer, useStores } from '../../app/context.js';
import { errorMessage } from '../../runtime/errors.js';
import { LEVEL_LABELS } from '../../ui/format.js';
import { RecipientField } from './RecipientField.js';
import { RichEditor } from './RichEditor.js';
import { STAGE_ABOVE } from './upload.js';
import { AttachmentsBar } from './AttachmentsBar.js';
import { FeeLine, namesIn } from '../fees/FeeLine.js';
import { refuses, sendLabel } from '../fees/quote.js';
import { LEVEL_ORDER, bodyPayload, feeKey, levelState, recipientAddresses, splitAddresses, layoutNote, stripesProblem } from './store.js';

const AUTOSAVE_MS = 2_000;

/** Reads a File as base64 without a data: URL round trip through the DOM. */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function ComposerDialog() {
  const { composer, accounts } = useStores();
  const open = useComposer((s) => s.open);
  const to = useComposer((s) => s.to);
  const cc = useComposer((s) => s.cc);
  const subject = useComposer((s) => s.subject);
  const body = useComposer((s) => s.body);
  const html = useComposer((s) => s.html);
  const editorSeed = useComposer((s) => s.editorSeed);
  const saving = useComposer((s) => s.saving);
  const savedAt = useComposer((s) => s.savedAt);
  const dirty = useComposer((s) => s.dirty);
  const error = useComposer((s) => s.error);
  const draftId = useComposer((s) => s.draftId);
  const attachments = useComposer((s) => s.attachments);
  const level = useComposer((s) => s.level);
  const stripes = useComposer((s) => s.stripes);
  const maxServers = useComposer((s) => s.maxServers);
  const hiredServers = useComposer((s) => s.hiredServers);
  const levels = useComposer((s) => s.levels);
  const levelsError = useComposer((s) => s.levelsError);
  const sending = useComposer((s) => s.sending);
  const restoring = useComposer((s) => s.restoring);
  const replyTitle = useComposer((s) => s.replyTitle);
  const recipientError = useComposer((s) => s.recipientError);
  const quotes = useComposer((s) => s.quotes);
  const quotedFor = useComposer((s) => s.quotedFor);
  const quoting = useComposer((s) => s.quoting);
  const balance = useComposer((s) => s.balance);
  const ref = useRef<HTMLDialogElement>(null);
  const toRef = useRef<HTMLInputElement>(null);
  const subjectRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);
  const [showCc, setShowCc] = useState(false);
  const titleId = useId();
  const statusId = useId();
  const levelHelpId = useId();
  const feesId = useId();

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      setShowCc(false);
      // A reply starts in the text, above the quote; an addressed message at its subject.
      const st = composer.getState();
      if (st.focus === 'body' && bodyRef.current) {
        bodyRef.current.focus();
        document.getSelection()?.collapse(bodyRef.current, 0);
        bodyRef.current.scrollTop = 0;
      } else if (st.focus === 'subject' && subjectRef.current) subjectRef.current.focus();
      else toRef.current?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open, composer]);

  // Draft autosave: a pause in typing saves.
  useEffect(() => {
    if (!open || !dirty || saving || sending) return;
    if (!(to.trim() || subject.trim() || body.trim())) return;
    const t = setTimeout(() => void composer.getState().save(), AUTOSAVE_MS);
    return () => clearTimeout(t);
  }, [open, dirty, saving, sending, to, subject, body, composer]);

  // Ask which levels the recipients allow (debounced).
  const recipientsKey = `${splitAddresses(to).ok.join(',')}|${splitAddresses(cc).ok.join(',')}|${stripes.k}+${stripes.p}|${attachments.length}`;
  useEffect(() => {
    if (!open) return;
    const t = setTimeout(() => void composer.getState().checkLevels(), 300);
    return () => clearTimeout(t);
  }, [open, recipientsKey, composer]);

  // Ask what each recipient's inbox charges as they are entered (debounced; checkFees drops stale answers).
  const feesKey = feeKey(recipientAddresses({ to, cc }));
  useEffect(() => {
    if (!open) return;
    const t = setTimeout(() => void composer.getState().checkFees(), 300);
    return () => clearTimeout(t);
  }, [open, feesKey, composer]);

  async function addFiles(files: FileList | File[]) {
    setReadError(null);
    for (const f of Array.from(files)) {
      try {
        // Large files stream to the main process in slices (with progress) instead of one base64 string.
        if (f.size > STAGE_ABOVE) void composer.getState().attachFile(f, f.name || 'attachment');
        else composer.getState().addAttachment({ name: f.name || 'attachment', size: f.size, data: await fileToBase64(f) });
      } catch (e) {
        setReadError(`${f.name} could not be read: ${errorMessage(e)}`);
      }
    }
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length) void addFiles(e.dataTransfer.files);
  }

  const c = composer.getState();
  const status = error
    ? null
    : sending
      ? 'Sending…'
      : saving
        ? 'Saving…'
        : savedAt && !dirty
          ? `Draft saved at ${new Date(savedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
          : dirty
            ? 'Unsaved changes'
            : '';
  const hasRecipients = splitAddresses(to).ok.length + splitAddresses(cc).ok.length > 0;
  const current = levelState(level, levels, levelsError, hasRecipients);
  const stripeErr = stripesProblem(stripes, maxServers);
  const serverCap = Math.min(32, maxServers ?? 32);
  // The fees shown are for the recipients typed now (a stale answer is not offered as the price).
  const currentQuotes = quotedFor === feesKey ? quotes : null;
  const refused = currentQuotes?.some(refuses) ?? false;

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
          className={`composer-form${dragging ? ' dragging' : ''}`}
          onSubmit={(e) => {
            e.preventDefault();
            void composer.getState().save();
          }}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
              e.preventDefault();
              void composer.getState().save();
            } else if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
              e.preventDefault();
              void composer.getState().send();
            }
          }}
          onDragOver={(e) => {
            if (e.dataTransfer.types.includes('Files')) {
              e.preventDefault();
              setDragging(true);
            }
          }}
          onDragLeave={(e) => {
            if (e.currentTarget === e.target) setDragging(false);
          }}
          onDrop={onDrop}
        >
          <header className="composer-header">
            <h2 id={titleId}>{replyTitle ?? (draftId ? 'Edit draft' : 'New message')}</h2>
            <button type="button" className="ghost" aria-label="Close the composer" onClick={() => void composer.getState().close()}>
              ✕
            </button>
          </header>
          <div className="recipients-row">
            <RecipientField
              label="To"
              inputRef={toRef}
              value={to}
              onChange={(v) => c.setField('to', v)}
              placeholder="Name or address (0006.1.42)"
              error={recipientError?.field === 'to' ? recipientError.message : null}
            />
            {!showCc && !cc && (
              <button type="button" className="ghost small" onClick={() => setShowCc(true)}>
                Cc
              </button>
            )}
          </div>
          {(showCc || cc || recipientError?.field === 'cc') && (
            <RecipientField
              label="Cc"
              value={cc}
              onChange={(v) => c.setField('cc', v)}
              error={recipientError?.field === 'cc' ? recipientError.message : null}
            />
          )}
          {recipientError?.message.includes('is an email address') && (
            <p className="gateway-offer">
              {/* The gateway: plain addresses are reached by email, through one of the user's accounts, after a confirmation there. */}
              <button
                type="button"
                onClick={() => {
                  const s = composer.getState();
                  const to = `${s.to},${s.cc}`
                    .split(/[,;]/)
                    .map((p) => /<([^>]+@[^>]+)>/.exec(p)?.[1] ?? p.trim())
                    .filter((p) => p.includes('@'));
                  accounts.getState().gateway({ to, subject: s.subject, ...bodyPayload(s) });
                }}
              >
                Send it as email through one of your accounts…
              </button>
            </p>
          )}
          <FeeLine id={feesId} quotes={currentQuotes} quoting={quoting} balance={balance} names={namesIn(to, cc)} />
          <label className="field">
            <span>Subject</span>
            <input ref={subjectRef} type="text" value={subject} onChange={(e) => c.setField('subject', e.target.value)} />
          </label>
          <div className="field field-body">
            <RichEditor
              editorRef={bodyRef}
              html={html ?? plainToEditorHtml(body)}
              seed={editorSeed}
              onChange={(h, text) => c.setRich(h, text)}
              placeholder="Write your message… (drop files here to attach them)"
            />
          </div>
          <AttachmentsBar
            items={attachments.map((a) => ({
              key: a.key,
              name: a.name,
              size: a.size,
              ...(a.data === undefined && a.staged === undefined ? { uploading: a.uploaded ?? 0 } : {}),
            }))}
            onRemove={(key) => c.removeAttachment(key)}
            onFiles={(files) => void addFiles(files)}
          >
            {restoring && <span className="muted small">Restoring the draft’s attachments…</span>}
            {readError && (
              <span className="form-error" role="alert">
                {readError}
              </span>
            )}
          </AttachmentsBar>
          <fieldset className="security">
            <legend>Protection</legend>
            <div className="level-picker" role="radiogroup" aria-label="Security level" aria-describedby={levelHelpId}>
              {LEVEL_ORDER.map((l: SecurityLevel) => {
                const st = levelState(l, levels, levelsError, hasRecipients);
                return (
                  <label key={l} className={`level-option${st.available ? '' : ' unavailable'}`} title={st.reason ?? LEVEL_LABELS[l].long}>
                    <input
                      type="radio"
                      name="level"
                      value={l}
                      checked={level === l}
                      disabled={!st.available}
                      onChange={() => c.setLevel(l)}
                    />
                    <span>
                      <strong>{l}</strong> {LEVEL_LABELS[l].short}
                    </span>
                  </label>
                );
              })}
              <label className="level-option unavailable" title="for legacy mail">
                <input type="radio" name="level" value="plain" disabled />
                <span>
                  <strong>Plain</strong> for legacy mail
                </span>
              </label>
            </div>
            <p id={levelHelpId} className="hint small">
              {current.available ? `${LEVEL_LABELS[level].long}.` : `${level}: ${current.reason}.`}
              {levels
                ?.filter((l) => !l.available && (l.level === 'L1' || l.level === 'L2'))
                .map((l) => (
                  <span key={l.level} className="level-reason">
                    {' '}
                    {l.level} unavailable: {l.reason}.
                  </span>
                ))}
            </p>
            <div className="stripes">
              <label>
                <span>Data stripes</span>
                <input
                  type="number"
                  min={1}
                  max={Math.max(1, serverCap - stripes.p)}
                  value={stripes.k}
                  onChange={(e) => c.setStripes({ ...stripes, k: Number(e.target.value) })}
                />
              </label>
              <span aria-hidden>+</span>
              <label>
                <span>Parity</span>
                <input
                  type="number"
                  min={0}
                  max={Math.max(0, serverCap - stripes.k)}
                  value={stripes.p}
                  onChange={(e) => c.setStripes({ ...stripes, p: Number(e.target.value) })}
                />
              </label>
              <span className={stripeErr ? 'form-error small' : 'muted small'} role={stripeErr ? 'alert' : undefined}>
                {stripeErr ?? layoutNote(stripes, maxServers, hiredServers)}
              </span>
            </div>
          </fieldset>
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
            <button type="button" onClick={() => composer.getState().discard()} disabled={saving || sending}>
              {draftId ? 'Close without saving' : 'Discard'}
            </button>
            <button type="submit" disabled={saving || sending} aria-describedby={statusId}>
              Save draft
            </button>
            <button
              type="button"
              className="primary"
              disabled={sending || refused}
              aria-keyshortcuts="Control+Enter"
              aria-describedby={currentQuotes ? feesId : undefined}
              title="Send (Ctrl+Enter)"
              onClick={() => void composer.getState().send()}
            >
              {sending ? 'Sending…' : sendLabel(currentQuotes)}
            </button>
          </footer>
        </form>
      )}
    </dialog>
  );
}
