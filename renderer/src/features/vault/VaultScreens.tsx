// First run (create a vault) and unlock. Both keep what was typed when something fails.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useStores, useVault } from '../../app/context.js';
import { Logo } from '../../ui/icons.js';
import { MIN_PASSPHRASE } from './store.js';

function Card({ title, intro, children }: { title: string; intro: string; children: ReactNode }) {
  const titleId = useId();
  return (
    <main className="gate" aria-labelledby={titleId}>
      <div className="gate-card">
        <Logo size={44} />
        <h1 id={titleId}>{title}</h1>
        <p className="gate-intro">{intro}</p>
        {children}
      </div>
    </main>
  );
}

export function FirstRunScreen() {
  const { vault } = useStores();
  const busy = useVault((s) => s.busy);
  const error = useVault((s) => s.error);
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const hintId = useId();
  const errId = useId();
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => first.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (pass.length < MIN_PASSPHRASE) return setLocalError(`Use at least ${MIN_PASSPHRASE} characters.`);
    if (pass !== again) return setLocalError('The two passphrases are different. Type the same one twice.');
    setLocalError(null);
    await vault.getState().create(pass);
  }

  const shown = localError ?? error?.message ?? null;
  return (
    <Card
      title="Welcome to QMail"
      intro="QMail keeps your mail and keys in a vault on this computer, encrypted with a passphrase only you know. Choose one you will remember: nobody can recover it for you."
    >
      <form className="gate-form" onSubmit={submit} noValidate aria-label="Create your vault">
        <label>
          <span>Passphrase</span>
          <input
            ref={first}
            type="password"
            autoComplete="new-password"
            value={pass}
            onChange={(e) => setPass(e.target.value)}
            aria-describedby={shown ? `${hintId} ${errId}` : hintId}
            aria-invalid={Boolean(shown) || undefined}
          />
        </label>
        <label>
          <span>Repeat passphrase</span>
          <input
            type="password"
            autoComplete="new-password"
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            aria-invalid={Boolean(localError) || undefined}
          />
        </label>
        <p id={hintId} className="hint">
          At least {MIN_PASSPHRASE} characters. A few unrelated words are strong and easy to remember.
        </p>
        {shown && (
          <p id={errId} className="form-error" role="alert">
            {shown}
          </p>
        )}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Creating your vault…' : 'Create vault'}
        </button>
      </form>
    </Card>
  );
}

export function UnlockScreen() {
  const { vault } = useStores();
  const busy = useVault((s) => s.busy);
  const error = useVault((s) => s.error);
  const [pass, setPass] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const errId = useId();

  useEffect(() => input.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await vault.getState().unlock(pass);
    if (!ok) {
      // Keep what was typed so a typo can be fixed, and select it for a quick retype.
      input.current?.focus();
      input.current?.select();
    }
  }

  return (
    <Card title="Unlock QMail" intro="Your mail is locked. Enter the vault passphrase for this computer to open it.">
      <form className="gate-form" onSubmit={submit} noValidate aria-label="Unlock your vault">
        <label>
          <span>Passphrase</span>
          <input
            ref={input}
            type="password"
            autoComplete="current-password"
            value={pass}
            onChange={(e) => {
              setPass(e.target.value);
              if (error) vault.getState().clearError();
            }}
            aria-describedby={error ? errId : undefined}
            aria-invalid={Boolean(error) || undefined}
          />
        </label>
        {error && (
          <p id={errId} className="form-error" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </Card>
  );
}
