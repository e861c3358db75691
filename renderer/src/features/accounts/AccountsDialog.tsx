// Settings → Accounts: the legacy mail accounts of this profile. Add one from a preset
// (Gmail, Outlook, Yahoo) or by hand (IMAP or POP3 + SMTP), with a password or by signing in
// at the provider (OAuth2: the main process runs the browser flow and keeps the tokens; this
// window sees the provider's page address and how it went), optionally trusting a custom CA
// (checked by the main process); test the connection (the answer names the stage that
// failed: DNS, TCP, TLS certificate, login), edit, remove.
import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { LegacyAccount, LegacyAccountInput, LegacySignInInput } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { PRESETS, PROVIDER_NAMES, type OAuthPreset, type PresetName } from './store.js';
import './accounts.css';

const STAGE: Record<string, string> = {
  dns: 'the server name does not resolve (DNS)',
  tcp: 'no connection to the server (TCP)',
  tls_certificate: 'the server’s TLS certificate is not trusted',
  tls: 'the TLS handshake failed',
  auth: 'the server refused the login',
  oauth_revoked: 'the sign-in was revoked',
  protocol: 'the server answered something unexpected',
  timeout: 'the server did not answer in time',
  invalid_input: 'a setting is not valid',
};

type Form = {
  name: string;
  preset: PresetName;
  email: string;
  displayName: string;
  user: string;
  password: string;
  leaveOnServer: boolean;
  /** A password, or a sign-in at the provider (OAuth2). */
  auth: 'password' | 'oauth';
  /** Generic accounts: the provider they sign in at. */
  oauth: { authorizationUrl: string; tokenUrl: string; clientId: string; scope: string };
  /** A PEM pasted or picked; empty keeps the saved one (editing). */
  ca: string;
  /** Editing: the account has a CA saved, and whether to drop it. */
  hasCa: boolean;
  removeCa: boolean;
} & { incoming: LegacyAccountInput['incoming']; smtp: LegacyAccountInput['smtp'] };

const NO_OAUTH = { authorizationUrl: '', tokenUrl: '', clientId: '', scope: '' };

function emptyForm(preset: PresetName = 'generic'): Form {
  return {
    name: '',
    preset,
    email: '',
    displayName: '',
    user: '',
    password: '',
    leaveOnServer: true,
    auth: 'password',
    oauth: { ...NO_OAUTH },
    ca: '',
    hasCa: false,
    removeCa: false,
    incoming: { ...PRESETS[preset].incoming },
    smtp: { ...PRESETS[preset].smtp },
  };
}

function formOf(a: LegacyAccount): Form {
  return {
    name: a.name,
    preset: a.preset,
    email: a.email,
    displayName: a.displayName ?? '',
    user: a.user,
    password: '',
    leaveOnServer: a.leaveOnServer,
    auth: a.authKind === 'oauth2' ? 'oauth' : 'password',
    oauth: { ...NO_OAUTH },
    ca: '',
    hasCa: a.incoming.hasCa || a.smtp.hasCa,
    removeCa: false,
    incoming: { kind: a.incoming.kind, host: a.incoming.host, port: a.incoming.port, tls: a.incoming.tls },
    smtp: { host: a.smtp.host, port: a.smtp.port, tls: a.smtp.tls },
  };
}

function inputOf(f: Form): LegacyAccountInput {
  return {
    name: f.name.trim(),
    preset: f.preset,
    email: f.email.trim(),
    ...(f.displayName.trim() ? { displayName: f.displayName.trim() } : {}),
    user: f.user.trim() || f.email.trim(),
    password: f.password,
    incoming: { ...f.incoming, host: f.incoming.host.trim() },
    smtp: { ...f.smtp, host: f.smtp.host.trim() },
    ...(f.incoming.kind === 'pop3' ? { leaveOnServer: f.leaveOnServer } : {}),
    ...(f.ca.trim() ? { ca: f.ca.trim() } : f.removeCa ? { ca: '' } : {}),
  };
}

function signInOf(f: Form): LegacySignInInput {
  const { password: _none, ...rest } = inputOf(f);
  if (f.preset !== 'generic') return rest;
  const o = f.oauth;
  return {
    ...rest,
    oauth: { authorizationUrl: o.authorizationUrl.trim(), tokenUrl: o.tokenUrl.trim(), clientId: o.clientId.trim(), scope: o.scope.trim() },
  };
}

/** "Sign in with Google", or with the provider a generic account names. */
function signInLabel(preset: PresetName): string {
  return preset === 'gmail' || preset === 'outlook' ? `Sign in with ${PROVIDER_NAMES[preset]}` : 'Sign in with your provider (OAuth2)';
}

/** Presets that can sign in here: Gmail and Outlook when the app has their client ids, generic always (the user names the provider). */
function canSignIn(preset: PresetName, configured: OAuthPreset[]): boolean {
  return preset === 'generic' || (preset !== 'yahoo' && configured.includes(preset));
}

/** The custom CA: paste a PEM or pick its file; the main process reads it and says what it found or what is wrong. */
function CaField({ form, setForm }: { form: Form; setForm: (f: Form) => void }) {
  const { accounts } = useStores();
  const check = useStore(accounts, (s) => s.caCheck);
  const fieldId = useId();
  const noteId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  async function picked(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > 256 * 1024) {
      accounts.setState({ caCheck: { ok: false, message: `${file.name} is too large for a CA certificate (at most 256 KiB).` } });
      return;
    }
    const text = await file.text();
    setForm({ ...form, ca: text, removeCa: false });
    await accounts.getState().checkCa(text);
  }
  return (
    <fieldset className="account-server account-ca">
      <legend>Custom CA (self-hosted servers)</legend>
      <p className="hint small">
        Only for a server whose certificate is issued by your own CA. Both servers are then trusted under it as well as the system’s CAs.
        {form.hasCa && !form.removeCa && ' A CA is saved for this account; leave the field empty to keep it.'}
      </p>
      <label className="field" htmlFor={fieldId}>
        <span>CA certificate (PEM)</span>
      </label>
      <textarea
        id={fieldId}
        className="ca-pem mono"
        rows={3}
        spellCheck={false}
        placeholder="-----BEGIN CERTIFICATE-----"
        value={form.ca}
        aria-invalid={check && !check.ok && form.ca.trim() ? true : undefined}
        aria-describedby={check ? noteId : undefined}
        onChange={(e) => {
          setForm({ ...form, ca: e.target.value, removeCa: false });
          accounts.getState().clearCa();
        }}
        onBlur={() => {
          if (form.ca.trim()) void accounts.getState().checkCa(form.ca);
        }}
      />
      <div className="row-buttons">
        <input
          ref={fileRef}
          type="file"
          className="visually-hidden"
          aria-label="CA certificate file"
          tabIndex={-1}
          accept=".pem,.crt,.cer,application/x-pem-file,application/x-x509-ca-cert"
          onChange={(e) => void picked(e)}
        />
        <button type="button" onClick={() => fileRef.current?.click()}>
          Pick a CA file…
        </button>
        {form.hasCa && (
          <label className="check">
            <input
              type="checkbox"
              checked={form.removeCa}
              onChange={(e) => setForm({ ...form, removeCa: e.target.checked, ...(e.target.checked ? { ca: '' } : {}) })}
            />{' '}
            Remove the saved CA
          </label>
        )}
      </div>
      {check && (form.ca.trim() || !check.ok) && (
        <p id={noteId} className={check.ok ? 'test-ok small' : 'form-error small'} role={check.ok ? 'status' : 'alert'}>
          {check.message}
        </p>
      )}
    </fieldset>
  );
}

/** A browser sign-in under way: the provider's page as a link (host mode opens it in a new tab), and Cancel. */
function SignInProgress({ preset }: { preset: PresetName }) {
  const { accounts, runtime } = useStores();
  const signIn = useStore(accounts, (s) => s.signIn);
  const waiting = signIn?.state === 'waiting';
  const ref = useRef<HTMLDivElement>(null);
  // The link is what host mode needs: bring it on screen when the sign-in starts.
  useEffect(() => {
    if (waiting) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [waiting]);
  if (!signIn || !waiting) return null;
  const where = preset === 'gmail' || preset === 'outlook' ? PROVIDER_NAMES[preset] : 'your provider';
  return (
    <div ref={ref} className="sign-in-progress" role="status">
      <p>
        {runtime.host === 'electron'
          ? `Your browser opened ${where}’s sign-in page. Sign in there; this window goes on by itself.`
          : `Open ${where}’s sign-in page in a new tab and sign in there; this window goes on by itself.`}
      </p>
      <p className="row-buttons">
        <a href={signIn.url} target="_blank" rel="noopener noreferrer">
          Open the sign-in page
        </a>
        <button type="button" onClick={() => void accounts.getState().cancelSignIn()}>
          Cancel sign-in
        </button>
      </p>
    </div>
  );
}

function ServerFields({
  legend,
  value,
  onChange,
  kind,
}: {
  legend: string;
  value: Form['smtp'];
  onChange: (v: Form['smtp']) => void;
  kind?: { value: 'imap' | 'pop3'; set: (k: 'imap' | 'pop3') => void };
}) {
  const securityId = useId();
  return (
    <fieldset className="account-server">
      <legend>{legend}</legend>
      {kind && (
        <div className="segmented" role="radiogroup" aria-label={`${legend}: protocol`}>
          {(['imap', 'pop3'] as const).map((k) => (
            <label key={k}>
              <input type="radio" name={`kind-${legend}`} checked={kind.value === k} onChange={() => kind.set(k)} /> {k.toUpperCase()}
            </label>
          ))}
        </div>
      )}
      <label className="field">
        <span>Server</span>
        <input type="text" spellCheck={false} required value={value.host} onChange={(e) => onChange({ ...value, host: e.target.value })} />
      </label>
      <label className="field port">
        <span>Port</span>
        <input
          type="number"
          min={1}
          max={65535}
          required
          value={value.port}
          onChange={(e) => onChange({ ...value, port: Number(e.target.value) })}
        />
      </label>
      <label className="field">
        <span id={securityId}>Security</span>
        <select
          aria-labelledby={securityId}
          value={value.tls}
          onChange={(e) => onChange({ ...value, tls: e.target.value as Form['smtp']['tls'] })}
        >
          <option value="implicit">TLS</option>
          <option value="starttls">STARTTLS</option>
          <option value="none">None (local test servers only)</option>
        </select>
      </label>
    </fieldset>
  );
}

/** What the last action came to: a status line, or an alert. */
export function Outcome({ done, error }: { done: string | null; error: string | null }) {
  return (
    <>
      {done && (
        <p className="test-ok" role="status">
          {done}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export function AccountsDialog() {
  const { accounts } = useStores();
  const open = useStore(accounts, (s) => s.dialogOpen);
  const list = useStore(accounts, (s) => s.accounts);
  const busy = useStore(accounts, (s) => s.busy);
  const error = useStore(accounts, (s) => s.error);
  const saved = useStore(accounts, (s) => s.saved);
  const test = useStore(accounts, (s) => s.test);
  const oauthPresets = useStore(accounts, (s) => s.oauthPresets);
  const [form, setForm] = useState<Form>(emptyForm());
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const providerId = useId();

  function choosePreset(p: PresetName) {
    setForm({
      ...form,
      preset: p,
      incoming: { ...PRESETS[p].incoming },
      smtp: { ...PRESETS[p].smtp },
      ...(canSignIn(p, oauthPresets) ? {} : { auth: 'password' as const }),
    });
  }

  const oauth = form.auth === 'oauth';
  const newOAuth = oauth && !editing;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (form.ca.trim() && !(await accounts.getState().checkCa(form.ca))) return;
    if (newOAuth) {
      if (await accounts.getState().startSignIn(signInOf(form))) setForm(emptyForm());
      return;
    }
    const input = inputOf(form);
    const { password, ...kept } = input;
    const ok = editing ? await accounts.getState().edit(editing, password ? input : kept) : await accounts.getState().add(input);
    if (ok) {
      setForm(emptyForm());
      setEditing(null);
    }
  }

  return (
    <ModalDialog
      open={open}
      onClose={() => accounts.getState().hide()}
      title="Mail accounts"
      closeLabel="Close mail accounts"
      className="settings accounts"
    >
      <p className="hint">
        Read and send ordinary email (Gmail, Outlook, Yahoo or any IMAP/POP3 + SMTP server) in this window. The password is sealed in your
        vault and never shown again; so are the tokens of an account that signs in with its provider.
      </p>
      <section className="settings-section" aria-label="Your accounts">
        <h3>Your accounts</h3>
        {list.length === 0 ? (
          <p className="muted">No accounts yet.</p>
        ) : (
          <ul className="account-list">
            {list.map((a) => (
              <li key={a.id}>
                <span className="account-name">{a.name}</span> <span className="muted">{a.email}</span>
                {a.lastError && <span className="form-error small"> Last sync failed: {a.lastError.message}</span>}
                <span className="row-buttons">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(a.id);
                      setForm(formOf(a));
                    }}
                    aria-label={`Edit ${a.name}`}
                  >
                    Edit
                  </button>
                  {removing === a.id ? (
                    <>
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          void accounts
                            .getState()
                            .remove(a.id)
                            .then(() => setRemoving(null))
                        }
                        aria-label={`Remove ${a.name} and its downloaded mail`}
                      >
                        Remove for good
                      </button>
                      <button type="button" onClick={() => setRemoving(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => setRemoving(a.id)} aria-label={`Remove ${a.name}`}>
                      Remove
                    </button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form className="settings-section" aria-label={editing ? 'Edit the account' : 'Add an account'} onSubmit={(e) => void submit(e)}>
        <h3>{editing ? `Edit ${list.find((a) => a.id === editing)?.name ?? ''}` : 'Add an account'}</h3>
        <label className="field">
          <span id={providerId}>Provider</span>
          <select aria-labelledby={providerId} value={form.preset} onChange={(e) => choosePreset(e.target.value as PresetName)}>
            {(Object.keys(PRESETS) as PresetName[]).map((p) => (
              <option key={p} value={p}>
                {PRESETS[p].label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Account name</span>
          <input type="text" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Work" />
        </label>
        <label className="field">
          <span>Email address</span>
          <input
            type="email"
            required
            value={form.email}
            onChange={(e) => setForm({ ...form, email: e.target.value })}
            placeholder="you@example.org"
          />
        </label>
        <label className="field">
          <span>Your name (shown to recipients)</span>
          <input type="text" value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />
        </label>
        <label className="field">
          <span>Login (if not the email address)</span>
          <input type="text" spellCheck={false} value={form.user} onChange={(e) => setForm({ ...form, user: e.target.value })} />
        </label>
        {!editing && form.preset !== 'yahoo' && (
          <div className="segmented" role="radiogroup" aria-label="How to sign in">
            <label>
              <input type="radio" name="auth" checked={!oauth} onChange={() => setForm({ ...form, auth: 'password' })} /> Password
            </label>
            <label>
              <input
                type="radio"
                name="auth"
                checked={oauth}
                disabled={!canSignIn(form.preset, oauthPresets)}
                onChange={() => setForm({ ...form, auth: 'oauth' })}
              />{' '}
              {signInLabel(form.preset)}
            </label>
          </div>
        )}
        {!editing && !canSignIn(form.preset, oauthPresets) && form.preset !== 'yahoo' && (
          <p className="hint small">
            Sign-in with {PROVIDER_NAMES[form.preset as OAuthPreset]} is not set up in this build (it has no client id for it): use an app
            password.
          </p>
        )}
        {oauth ? (
          editing ? (
            <p className="hint small">This account signs in with its provider; its sign-in stays as it is.</p>
          ) : (
            form.preset === 'generic' && (
              <fieldset className="account-server">
                <legend>Provider sign-in (OAuth2)</legend>
                {(
                  [
                    ['authorizationUrl', 'Authorization URL', 'url'],
                    ['tokenUrl', 'Token URL', 'url'],
                    ['clientId', 'Client ID', 'text'],
                    ['scope', 'Scope', 'text'],
                  ] as const
                ).map(([key, label, type]) => (
                  <label className="field" key={key}>
                    <span>{label}</span>
                    <input
                      type={type}
                      spellCheck={false}
                      required={key !== 'scope'}
                      value={form.oauth[key]}
                      onChange={(e) => setForm({ ...form, oauth: { ...form.oauth, [key]: e.target.value } })}
                    />
                  </label>
                ))}
              </fieldset>
            )
          )
        ) : (
          <label className="field">
            <span>{editing ? 'Password (leave empty to keep it)' : 'Password or app password'}</span>
            <input
              type="password"
              autoComplete="off"
              required={!editing}
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </label>
        )}
        <ServerFields
          legend="Incoming mail"
          value={form.incoming}
          onChange={(v) => setForm({ ...form, incoming: { ...form.incoming, ...v } })}
          kind={{
            value: form.incoming.kind,
            set: (k) => setForm({ ...form, incoming: { ...form.incoming, kind: k, port: k === 'pop3' ? 995 : 993 } }),
          }}
        />
        {form.incoming.kind === 'pop3' && (
          <label className="check">
            <input type="checkbox" checked={form.leaveOnServer} onChange={(e) => setForm({ ...form, leaveOnServer: e.target.checked })} />{' '}
            Leave messages on the server
          </label>
        )}
        <ServerFields legend="Outgoing mail (SMTP)" value={form.smtp} onChange={(v) => setForm({ ...form, smtp: v })} />
        <CaField form={form} setForm={setForm} />
        <div className="row-buttons">
          <button type="submit" className="primary" disabled={busy !== null}>
            {editing ? 'Save' : newOAuth ? `${signInLabel(form.preset)}…` : 'Add account'}
          </button>
          <button
            type="button"
            disabled={busy !== null || (newOAuth ? true : !form.password && !editing)}
            title={newOAuth ? 'An account that signs in with its provider is tested once signed in' : undefined}
            onClick={() =>
              void (editing && !form.password ? accounts.getState().testSaved(editing) : accounts.getState().runTest(inputOf(form)))
            }
          >
            {busy === 'testing' ? 'Testing…' : 'Test connection'}
          </button>
          {editing && (
            <button
              type="button"
              onClick={() => {
                setEditing(null);
                setForm(emptyForm());
              }}
            >
              Cancel
            </button>
          )}
        </div>
        <SignInProgress preset={form.preset} />
        {test && (
          <p className={test.ok ? 'test-ok' : 'form-error'} role="status">
            {test.ok
              ? `✓ ${test.message}`
              : `✗ ${test.server === 'smtp' ? 'Outgoing server' : 'Incoming server'}: ${STAGE[test.stage ?? ''] ?? 'the connection failed'}. ${test.message}`}
          </p>
        )}
      </form>
      {busy === 'syncing' && <p role="status">Downloading mail…</p>}
      <Outcome done={saved} error={error} />
    </ModalDialog>
  );
}
