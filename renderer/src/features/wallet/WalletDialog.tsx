// The Wallet: what the wallet holds (by denomination, test money marked), its coins and
// history; import a coin file, export an exact amount, and on a test network get test Chips.
import { useId, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { saveBlob } from '../reader/save.js';
import type { WalletStore } from './store.js';

const useWallet = <T,>(select: (s: WalletStore) => T): T => useStore(useStores().wallet, select);

const KIND: Record<string, string> = {
  received: 'Received',
  imported: 'Imported',
  minted: 'Test Chips',
  rejected: 'Refused',
  exported: 'Exported',
  change: 'Change made',
  recovered: 'Recovered',
  locker: 'Paid (locker)',
};
/** Going out: shown with a minus. */
const OUT = new Set(['exported', 'locker']);
/** Coins shown in the serials table; the rest are counted. */
const SHOWN_COINS = 200;

export function WalletIcon() {
  return (
    <svg
      width={18}
      height={18}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden
      focusable={false}
    >
      <rect x="3" y="6" width="18" height="14" rx="2" />
      <path d="M3 10h18M16 15h2M6 6l9-3 2 3" />
    </svg>
  );
}

export function WalletDialog() {
  const { wallet } = useStores();
  const open = useWallet((s) => s.open);
  const balance = useWallet((s) => s.balance);
  const coins = useWallet((s) => s.coins);
  const coinCount = useWallet((s) => s.coinCount);
  const history = useWallet((s) => s.history);
  const loading = useWallet((s) => s.loading);
  const busy = useWallet((s) => s.busy);
  const error = useWallet((s) => s.error);
  const done = useWallet((s) => s.done);
  const exported = useWallet((s) => s.exported);
  const titleId = useId();
  const amountId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const [amount, setAmount] = useState('');
  const testMoney = balance && balance.test !== '0';

  return (
    <ModalDialog
      open={open}
      onClose={() => wallet.getState().hide()}
      title="Wallet"
      closeLabel="Close the wallet"
      className="settings wallet"
      bodyClassName="wallet-body"
    >
      <section className="wallet-balance" aria-label="Balance">
        <p className="wallet-total" role="status" aria-live="polite">
          {balance ? (
            <>
              <span className="wallet-amount">{balance.total}</span> <span className="wallet-unit">CC</span>
            </>
          ) : loading ? (
            'Reading the wallet…'
          ) : (
            '—'
          )}
        </p>
        {testMoney && (
          <p className="wallet-test-note">
            <span className="badge test">test money</span> {balance.test === balance.total ? 'All of it is' : `${balance.test} CC of it is`}{' '}
            test Chips from the local test network: not real money.
          </p>
        )}
        {balance && balance.limbo > 0 && (
          <p className="hint small">{balance.limbo} coin(s) not yet confirmed by the coin servers (not counted).</p>
        )}
      </section>

      {error && (
        <p className="form-error wallet-error" role="alert">
          {error}
        </p>
      )}
      {done && !error && (
        <p className="wallet-done" role="status">
          {done}
        </p>
      )}
      {exported?.blob && (
        <p className="wallet-done">
          <button type="button" className="primary" onClick={() => saveBlob(exported.name, exported.blob!)}>
            Save {exported.name} again
          </button>
        </p>
      )}

      <div className="wallet-actions">
        {balance?.testNetwork && (
          <section className="settings-section" aria-label="Test Chips">
            <h3>Test Chips</h3>
            <p className="hint small">This is a test network: its mint gives 100 CC of test money, not real money.</p>
            <button type="button" className="primary" disabled={busy !== null} onClick={() => void wallet.getState().fund()}>
              {busy === 'fund' ? 'Getting test Chips…' : 'Get test Chips (test money)'}
            </button>
          </section>
        )}
        <form
          className="settings-section"
          aria-label="Export coins"
          onSubmit={(e) => {
            e.preventDefault();
            void wallet
              .getState()
              .exportAmount(amount)
              .then((f) => {
                if (f?.blob) saveBlob(f.name, f.blob);
                if (f) setAmount('');
              });
          }}
        >
          <h3>Export</h3>
          <p className="hint small">
            Coins worth exactly this amount leave the wallet as a coin file (larger coins are broken into change).
          </p>
          <label className="wallet-label" htmlFor={amountId}>
            Amount in CC
          </label>
          <div className="wallet-row">
            <input
              id={amountId}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              spellCheck={false}
              placeholder="12.5"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
            <button type="submit" disabled={busy !== null}>
              {busy === 'export' ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </form>
        <section className="settings-section" aria-label="Import coins">
          <h3>Import</h3>
          <p className="hint small">A coin file (.bin, .stack): its coins are checked with the coin servers and become yours.</p>
          <input
            ref={fileRef}
            type="file"
            className="visually-hidden"
            aria-label="Coin file to import"
            tabIndex={-1}
            accept=".bin,.stack,.chips,application/octet-stream,application/json"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void wallet.getState().importFile(f);
            }}
          />
          <button type="button" disabled={busy !== null} onClick={() => fileRef.current?.click()}>
            {busy === 'import' ? 'Importing…' : 'Import a coin file…'}
          </button>
        </section>
      </div>

      <section className="wallet-section" aria-labelledby={`${titleId}-den`}>
        <h3 id={`${titleId}-den`}>Coins by denomination</h3>
        {balance && balance.byDenomination.length > 0 ? (
          <table className="wallet-table compact">
            <thead>
              <tr>
                <th scope="col">Denomination</th>
                <th scope="col">Coins</th>
              </tr>
            </thead>
            <tbody>
              {balance.byDenomination.map((d) => (
                <tr key={d.denomination}>
                  <td className="num">{d.value} CC</td>
                  <td className="num">{d.coins}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="hint small">The wallet is empty.</p>
        )}
        {coinCount > 0 && (
          <details className="wallet-coins">
            <summary>
              Serial numbers ({coinCount} coin{coinCount === 1 ? '' : 's'})
            </summary>
            <table className="wallet-table compact">
              <thead>
                <tr>
                  <th scope="col">Value</th>
                  <th scope="col">Serial</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {coins.slice(0, SHOWN_COINS).map((c) => (
                  <tr key={`${c.denomination}.${c.serial}`}>
                    <td className="num">{c.value} CC</td>
                    <td className="num mono">{c.serial}</td>
                    <td>
                      {c.state === 'bank' ? 'held' : c.state === 'limbo' ? 'being checked' : 'in a locker'}
                      {c.test ? ', test money' : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {coinCount > SHOWN_COINS && <p className="hint small">and {coinCount - SHOWN_COINS} more.</p>}
          </details>
        )}
      </section>

      <section className="wallet-section" aria-labelledby={`${titleId}-hist`}>
        <h3 id={`${titleId}-hist`}>History</h3>
        {history.length > 0 ? (
          <table className="wallet-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Amount</th>
                <th scope="col">Coins</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h, i) => (
                <tr key={`${h.at}-${i}`}>
                  <td>{new Date(h.at).toLocaleString()}</td>
                  <td>
                    {KIND[h.kind] ?? h.kind}
                    {h.test && <span className="badge test">test money</span>}
                    {h.note && <span className="hint small wallet-note"> {h.note}</span>}
                  </td>
                  <td className="num">
                    {OUT.has(h.kind) ? '−' : h.kind === 'change' || h.kind === 'rejected' ? '' : '+'}
                    {h.amount} CC
                  </td>
                  <td className="num">{h.coins}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="hint small">Nothing yet.</p>
        )}
      </section>
    </ModalDialog>
  );
}
