// "Your identity": name, address and fingerprint, and the recovery phrase again after the
// passphrase is typed. The service checks the passphrase; the phrase lives in this dialog's
// state only while it is on screen and is dropped when it closes or is hidden.
import { useId, useRef, useState } from 'react';
import { useIdentity, useStores } from '../../app/context.js';
import { errorMessage } from '../../runtime/errors.js';
import { useModalDialog } from '../../ui/dialog.js';
import { PhraseWords } from './Onboarding.js';

export function IdentityDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ref = useModalDialog(open);
  const titleId = useId();
  return (
    <dialog
      ref={ref}
      className="settings identity-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {/* Mounted only while open: the phrase and the typed passphrase go when it closes. */}
      {open && <IdentityBody titleId={titleId} onClose={onClose} />}
    </dialog>
  );
}

function IdentityBody({ titleId, onClose }: { titleId: string; onClose(): void }) {
  const { runtime } = useStores();
  const me = useIdentity((s) => s.identity);
  const passRef = useRef<HTMLInputElement>(null);
  const [passphrase, setPassphrase] = useState('');
  const [phrase, setPhrase] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      const r = await runtime.invoke('identity.phrase.reveal', { passphrase });
      setPhrase(r.phrase);
      setPassphrase('');
    } catch (e) {
      setError(errorMessage(e));
      passRef.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="settings-body">
      <header className="composer-header">
        <h2 id={titleId}>Your identity</h2>
        <button type="button" className="ghost" aria-label="Close your identity" onClick={onClose}>
          ✕
        </button>
      </header>
      <dl className="identity-facts">
        <dt>Name</dt>
        <dd>{me?.name}</dd>
        <dt>Address</dt>
        <dd className="mono">{me?.address}</dd>
        {me?.fingerprint && (
          <>
            <dt>Fingerprint</dt>
            <dd className="mono">{me.fingerprint}</dd>
          </>
        )}
      </dl>
      <section className="settings-section" aria-labelledby={`${titleId}-phrase`}>
        <h3 id={`${titleId}-phrase`}>Recovery phrase</h3>
        {phrase ? (
          <>
            <p className="hint">Write these 24 words down in order. Anyone who has them can read your mail.</p>
            <PhraseWords phrase={phrase} />
            <button type="button" onClick={() => setPhrase(null)}>
              Hide the phrase
            </button>
          </>
        ) : (
          <form
            className="reveal-phrase"
            onSubmit={(e) => {
              e.preventDefault();
              if (passphrase) void reveal();
            }}
          >
            <p className="hint">The 24 words that bring your address back on another computer. Type your passphrase to see them.</p>
            <label className="field">
              <span>Passphrase</span>
              <input
                ref={passRef}
                type="password"
                autoComplete="current-password"
                value={passphrase}
                aria-invalid={error ? true : undefined}
                onChange={(e) => setPassphrase(e.target.value)}
              />
            </label>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy || !passphrase}>
              {busy ? 'Checking…' : 'Show the recovery phrase'}
            </button>
          </form>
        )}
      </section>
    </div>
  );
}
