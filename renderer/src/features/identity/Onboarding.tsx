// Onboarding once the vault exists: make (or restore) the identity, choose where the mail is
// stored, then show the recovery phrase and have the user retype some of its words.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ServerInfo } from '../../../../shared/ipc/contract.js';
import { useIdentity, useStores } from '../../app/context.js';
import { Logo } from '../../ui/icons.js';
import { choiceProblem, MAX_STORAGE, MIN_STORAGE } from './store.js';
import { PaidHireNote } from '../servers/PaidHireNote.js';

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  if (d >= 1) return `${d} day${d === 1 ? '' : 's'}`;
  const h = Math.floor(seconds / 3600);
  if (h >= 1) return `${h} h`;
  return `${Math.max(0, Math.floor(seconds / 60))} min`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

function ServerTable() {
  const { identity } = useStores();
  const servers = useIdentity((s) => s.servers);
  const loading = useIdentity((s) => s.serversLoading);
  const error = useIdentity((s) => s.serversError);
  const choice = useIdentity((s) => s.choice);
  const captionId = useId();
  if (loading)
    return (
      <p className="loading" aria-busy="true">
        Asking the directory for servers…
      </p>
    );
  if (error)
    return (
      <div className="form-error" role="alert">
        <p>The directory could not be reached: {error}</p>
        <button type="button" onClick={() => void identity.getState().loadServers()}>
          Try again
        </button>
      </div>
    );
  if (servers.length === 0) return <p className="hint">No servers are listed yet; QMail will choose for you.</p>;
  return (
    <div className="server-table-wrap">
      <table className="server-table" aria-describedby={captionId}>
        <caption id={captionId}>
          Your mail is striped over the storage servers you hire ({MIN_STORAGE}–{MAX_STORAGE}); the beacon announces new mail to you.{' '}
          {choice.storage.length} chosen.
        </caption>
        <thead>
          <tr>
            <th scope="col">Store</th>
            <th scope="col">Beacon</th>
            <th scope="col">Server</th>
            <th scope="col">Location</th>
            <th scope="col">Price / MB·month</th>
            <th scope="col">Uptime</th>
          </tr>
        </thead>
        <tbody>
          {servers.map((s: ServerInfo) => (
            <tr key={s.nodeId}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Store mail on ${s.name}`}
                  checked={choice.storage.includes(s.nodeId)}
                  onChange={() => identity.getState().toggleStorage(s.nodeId)}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="beacon"
                  aria-label={`Use ${s.name} as beacon`}
                  checked={choice.beacon === s.nodeId}
                  onChange={() => identity.getState().setBeacon(s.nodeId)}
                />
              </td>
              <td>
                <strong>{s.name}</strong>
                <span className="muted small">
                  {s.host}:{s.port} · up to {formatBytes(s.maxAttachmentBytes)}
                </span>
              </td>
              <td>
                {s.location}
                <span className="muted small">{s.jurisdiction}</span>
              </td>
              <td>{s.pricePerMbMonth === 0 ? 'free' : `${s.pricePerMbMonth} Chips`}</td>
              <td>{formatUptime(s.uptimeSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The 24 words, numbered, for writing down. */
export function PhraseWords({ phrase }: { phrase: string }) {
  return (
    <ol className="phrase" aria-label="Recovery phrase">
      {phrase
        .trim()
        .split(/\s+/)
        .map((w, i) => (
          <li key={i}>
            <span className="mono">{w}</span>
          </li>
        ))}
    </ol>
  );
}

function PhraseScreen({ phrase }: { phrase: string }) {
  const { identity } = useStores();
  const address = useIdentity((s) => s.identity?.address);
  const fingerprint = useIdentity((s) => s.identity?.fingerprint);
  const titleId = useId();
  return (
    <main className="gate" aria-labelledby={titleId}>
      <div className="gate-card wide">
        <Logo size={44} />
        <h1 id={titleId}>Write down your recovery phrase</h1>
        <p className="gate-intro">
          Your QMail address is <strong className="mono">{address}</strong>. These 24 words are the only way to get it back on another
          computer or after losing this one. Write them on paper, in order, and keep it safe: anyone with them can read your mail. Next, you
          type three of them to show they are written down.
        </p>
        <PhraseWords phrase={phrase} />
        {fingerprint && (
          <p className="hint">
            Your fingerprint (read it to correspondents to verify each other): <span className="mono">{fingerprint}</span>
          </p>
        )}
        <button type="button" className="primary wide" onClick={() => identity.getState().acknowledgePhrase()}>
          I wrote them down
        </button>
      </div>
    </main>
  );
}

function ConfirmPhraseScreen() {
  const { identity } = useStores();
  const challenge = useIdentity((s) => s.challenge);
  const busy = useIdentity((s) => s.busy);
  const error = useIdentity((s) => s.error);
  const [words, setWords] = useState<string[]>([]);
  const [showAgain, setShowAgain] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const titleId = useId();
  const firstRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!challenge) void identity.getState().loadChallenge();
  }, [challenge, identity]);
  useEffect(() => firstRef.current?.focus(), [challenge]);
  useEffect(() => {
    if (showAgain) passRef.current?.focus();
  }, [showAgain]);

  const positions = challenge ?? [];
  const list = positions.join(', ').replace(/, (\d+)$/, ' and $1');
  return (
    <main className="gate" aria-labelledby={titleId}>
      <div className="gate-card">
        <Logo size={44} />
        <h1 id={titleId}>Confirm your recovery phrase</h1>
        <p className="gate-intro">
          {positions.length ? `Type words ${list} of your recovery phrase, as you wrote them down.` : 'Loading the words to check…'} Your
          inbox opens once they match.
        </p>
        <form
          className="gate-form"
          aria-label="Confirm your recovery phrase"
          noValidate
          aria-busy={busy === 'confirm' ? true : undefined}
          onSubmit={(e) => {
            e.preventDefault();
            void identity.getState().confirmPhrase(positions.map((_, i) => words[i] ?? ''));
          }}
        >
          <div className="confirm-words">
            {positions.map((p, i) => (
              <label key={p}>
                <span>Word {p}</span>
                <input
                  ref={i === 0 ? firstRef : undefined}
                  type="text"
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                  value={words[i] ?? ''}
                  onChange={(e) => setWords((w) => Object.assign([...w], { [i]: e.target.value }))}
                />
              </label>
            ))}
          </div>
          {error && !showAgain && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary wide" disabled={busy !== null || positions.length === 0}>
            {busy === 'confirm' ? 'Checking…' : 'Open my inbox'}
          </button>
        </form>
        {showAgain ? (
          <form
            className="gate-form reveal-form"
            aria-label="Show the recovery phrase again"
            onSubmit={(e) => {
              e.preventDefault();
              void identity
                .getState()
                .revealPhrase(passphrase)
                .then((ok) => ok && setPassphrase(''));
            }}
          >
            <label>
              <span>Your passphrase</span>
              <input
                ref={passRef}
                type="password"
                autoComplete="current-password"
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
              />
            </label>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy !== null || !passphrase}>
              {busy === 'reveal' ? 'Checking…' : 'Show the phrase'}
            </button>
          </form>
        ) : (
          <button type="button" className="link" onClick={() => setShowAgain(true)}>
            I did not write it down: show the phrase again
          </button>
        )}
      </div>
    </main>
  );
}

export function Onboarding() {
  const { identity } = useStores();
  const status = useIdentity((s) => s.status);
  const phrase = useIdentity((s) => s.phrase);
  const busy = useIdentity((s) => s.busy);
  const error = useIdentity((s) => s.error);
  const servers = useIdentity((s) => s.servers);
  const choice = useIdentity((s) => s.choice);
  const confirming = useIdentity((s) => s.status === 'ready' && s.identity?.phraseConfirmed === false);
  const [mode, setMode] = useState<'create' | 'restore'>('create');
  const [name, setName] = useState('');
  const [words, setWords] = useState('');
  const titleId = useId();
  const errId = useId();
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (status === 'none') void identity.getState().loadServers();
  }, [status, identity]);
  useEffect(() => nameRef.current?.focus(), [mode]);

  if (phrase) return <PhraseScreen phrase={phrase} />;
  if (confirming) return <ConfirmPhraseScreen />;

  if (status === 'error')
    return (
      <main className="gate">
        <div className="gate-card">
          <Logo size={44} />
          <p role="alert">QMail could not read your identity: {error}</p>
          <button type="button" className="primary" onClick={() => void identity.getState().check()}>
            Try again
          </button>
        </div>
      </main>
    );
  if (status !== 'none')
    return (
      <main className="gate" aria-busy="true">
        <div className="gate-card splash">
          <Logo size={44} />
          <p>Opening your mail…</p>
        </div>
      </main>
    );

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (mode === 'create') await identity.getState().create(name);
    else await identity.getState().restore(words, name);
  }

  const problem = choiceProblem(choice, servers);
  const progress =
    busy === 'create'
      ? 'Making your keys and registering your address with the directory… this takes a few seconds.'
      : busy === 'restore'
        ? 'Rebuilding your keys from the phrase…'
        : null;
  return (
    <main className="gate" aria-labelledby={titleId}>
      <div className="gate-card wide">
        <Logo size={44} />
        <h1 id={titleId}>{mode === 'create' ? 'Make your QMail address' : 'Restore your QMail address'}</h1>
        <p className="gate-intro">
          Your vault is ready. Now QMail makes your quantum-safe keys and an address people can write to, and hires the servers that will
          store your mail.
        </p>
        <div className="segmented" role="group" aria-label="New or existing address">
          <button type="button" aria-pressed={mode === 'create'} onClick={() => setMode('create')}>
            I am new to QMail
          </button>
          <button type="button" aria-pressed={mode === 'restore'} onClick={() => setMode('restore')}>
            I have a recovery phrase
          </button>
        </div>
        <form
          className="gate-form"
          onSubmit={submit}
          noValidate
          aria-label={mode === 'create' ? 'Create your identity' : 'Restore your identity'}
          aria-busy={busy ? true : undefined}
        >
          <label>
            <span>{mode === 'create' ? 'Your name' : 'Your name (optional)'}</span>
            <input
              ref={nameRef}
              type="text"
              autoComplete="name"
              maxLength={64}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="Ada Lovelace"
            />
          </label>
          {mode === 'restore' && (
            <label>
              <span>Recovery phrase</span>
              <textarea
                rows={3}
                spellCheck={false}
                autoComplete="off"
                value={words}
                onChange={(e) => setWords(e.target.value)}
                placeholder="24 words, separated by spaces"
              />
            </label>
          )}
          <fieldset className="servers">
            <legend>Storage servers and beacon</legend>
            <ServerTable />
            <PaidHireNote />
          </fieldset>
          {progress && (
            <p className="progress-note" role="status">
              <span className="spinner" aria-hidden /> {progress}
            </p>
          )}
          {(error ?? (servers.length ? problem : null)) && (
            <p id={errId} className="form-error" role="alert">
              {error ?? problem}
            </p>
          )}
          <button type="submit" className="primary wide" disabled={Boolean(busy)}>
            {busy ? 'Working…' : mode === 'create' ? 'Create my address' : 'Restore my address'}
          </button>
        </form>
      </div>
    </main>
  );
}
