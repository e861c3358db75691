// The KME settings (ETSI GS QKD 014): import one side of a kme.json or type the settings,
// then "Test connection". Levels 1 and 2 need this.
import { useState, type FormEvent } from 'react';
import { useSettings, useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';

function ManualForm() {
  const { settings } = useStores();
  const state = useSettings((s) => s.state);
  const saving = useSettings((s) => s.saving);
  const init = state?.settings;
  const [form, setForm] = useState({
    url: init?.url ?? '',
    saeId: init?.saeId ?? '',
    defaultPeerSaeId: init?.defaultPeerSaeId ?? '',
    certFile: init?.certFile ?? '',
    keyFile: init?.keyFile ?? '',
    caFile: init?.caFile ?? '',
  });

  function saveManual(e: FormEvent) {
    e.preventDefault();
    void settings.getState().save({
      url: form.url.trim(),
      saeId: form.saeId.trim(),
      ...(form.defaultPeerSaeId.trim() ? { defaultPeerSaeId: form.defaultPeerSaeId.trim() } : {}),
      peers: state?.settings?.peers ?? {},
      certFile: form.certFile.trim(),
      keyFile: form.keyFile.trim(),
      caFile: form.caFile.trim(),
    });
  }

  const field = (key: keyof typeof form, label: string, placeholder?: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        type="text"
        spellCheck={false}
        value={form[key]}
        placeholder={placeholder}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </label>
  );

  return (
    <form className="settings-section" aria-label="KME settings" onSubmit={saveManual}>
      <h3>Or set them by hand</h3>
      {field('url', 'KME URL', 'https://kme.example.org:8443')}
      {field('saeId', 'Our SAE ID')}
      {field('defaultPeerSaeId', 'Default peer SAE ID')}
      {field('certFile', 'Client certificate (PEM file)')}
      {field('keyFile', 'Client key (PEM file)')}
      {field('caFile', 'CA certificate (PEM file)')}
      <div className="row-buttons">
        <button type="submit" className="primary" disabled={saving}>
          Save
        </button>
        {state?.configured && (
          <button type="button" onClick={() => void settings.getState().clear()} disabled={saving}>
            Remove KME
          </button>
        )}
      </div>
    </form>
  );
}

export function KmeSettingsDialog() {
  const { settings } = useStores();
  const open = useSettings((s) => s.open);
  const state = useSettings((s) => s.state);
  const loading = useSettings((s) => s.loading);
  const saving = useSettings((s) => s.saving);
  const testing = useSettings((s) => s.testing);
  const error = useSettings((s) => s.error);
  const saved = useSettings((s) => s.saved);
  const test = useSettings((s) => s.test);
  const [path, setPath] = useState('');
  const [side, setSide] = useState<'A' | 'B'>('A');
  const [peer, setPeer] = useState('');

  return (
    <ModalDialog open={open} onClose={() => settings.getState().hide()} title="Quantum keys (KME)" closeLabel="Close the settings">
      <p className="hint">
        Levels 1 and 2 take their keys from a Key Management Entity over ETSI GS QKD 014, with mutual TLS. Without one, QMail protects mail
        with post-quantum keys (level 3).
      </p>
      <p className="kme-state" role="status">
        {loading
          ? 'Reading the settings…'
          : state?.configured
            ? `Configured: ${state.settings?.url} as ${state.settings?.saeId}${state.settings?.defaultPeerSaeId ? `, default peer ${state.settings.defaultPeerSaeId}` : ''}`
            : 'No KME configured.'}
      </p>
      {state?.localKme && (
        <section className="settings-section" aria-label="Local test KME">
          <p className="hint small">
            This app runs a local test network with a linked KME pair; side A is for you, side B for the built-in correspondent.
          </p>
          <button type="button" className="primary" disabled={saving} onClick={() => void settings.getState().useLocalKme()}>
            Use the local test KME (side A)
          </button>
        </section>
      )}
      <form
        className="settings-section"
        aria-label="Import a kme.json"
        onSubmit={(e) => {
          e.preventDefault();
          void settings.getState().importFile(path, side);
        }}
      >
        <h3>Import a kme.json</h3>
        <label className="field">
          <span>File</span>
          <input type="text" spellCheck={false} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/kme.json" />
        </label>
        <div className="segmented" role="radiogroup" aria-label="Side">
          {(['A', 'B'] as const).map((s) => (
            <label key={s}>
              <input type="radio" name="kme-side" checked={side === s} onChange={() => setSide(s)} /> Side {s}
            </label>
          ))}
        </div>
        <button type="submit" disabled={saving}>
          Import
        </button>
      </form>
      <ManualForm key={JSON.stringify(state?.settings ?? null)} />
      <section className="settings-section" aria-label="Test connection">
        <label className="field">
          <span>Peer (address or SAE ID, optional)</span>
          <input type="text" spellCheck={false} value={peer} onChange={(e) => setPeer(e.target.value)} />
        </label>
        <button type="button" onClick={() => void settings.getState().runTest(peer)} disabled={testing || !state?.configured}>
          {testing ? 'Testing…' : 'Test connection'}
        </button>
        {test && (
          <p className={test.ok ? 'test-ok' : 'form-error'} role="status">
            {test.ok ? '✓ ' : '✗ '}
            {test.message}
          </p>
        )}
      </section>
      {saved && (
        <p className="test-ok" role="status">
          {saved}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </ModalDialog>
  );
}
