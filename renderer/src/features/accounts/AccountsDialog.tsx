// Settings → Accounts: the legacy mail accounts of this profile. Add one from a preset
// (Gmail, Outlook, Yahoo) or by hand (IMAP or POP3 + SMTP), test the connection (the
// answer names the stage that failed: DNS, TCP, TLS certificate, login), edit, remove.
import { useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { LegacyAccount, LegacyAccountInput } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { PRESETS, type PresetName } from './store.js';
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
} & { incoming: LegacyAccountInput['incoming']; smtp: LegacyAccountInput['smtp'] };

function emptyForm(preset: PresetName = 'generic'): Form {
  return {
    name: '',
    preset,
    email: '',
    displayName: '',
    user: '',
    password: '',
    leaveOnServer: true,
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
  };
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
  const [form, setForm] = useState<Form>(emptyForm());
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const providerId = useId();

  function choosePreset(p: PresetName) {
    setForm({ ...form, preset: p, incoming: { ...PRESETS[p].incoming }, smtp: { ...PRESETS[p].smtp } });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
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
        vault and never shown again.
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
        <div className="row-buttons">
          <button type="submit" className="primary" disabled={busy !== null}>
            {editing ? 'Save' : 'Add account'}
          </button>
          <button type="button" disabled={busy !== null || !form.password} onClick={() => void accounts.getState().runTest(inputOf(form))}>
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
