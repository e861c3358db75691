// The server picker: every server the directory lists with its price and what the directory
// measured, sorted and filtered; which ones this identity uses, its beacon and each paid
// term; what a k + p stripe layout needs and costs; hiring (paying each server from the
// wallet, the price shown first) and renewing. Opened from the toolbar (Servers) and, on a
// network whose servers take only paid hires, from onboarding.
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import type { ServerInfo } from '../../../../shared/ipc/contract.js';
import type { MarketSort } from '../../../../shared/market/list.js';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { MAX_STORAGE, MIN_STORAGE, TERM_MONTHS, cc, choiceProblem, layoutFacts, shownServers, type ServerPickerStore } from './store.js';
import './servers.css';

const usePicker = <T,>(select: (s: ServerPickerStore) => T): T => useStore(useStores().servers, select);

/** Stores this identity's new mail (the published choice; older main processes only say hired). */
const inUse = (s: ServerInfo) => s.storage ?? (s.hired && !s.beacon);
const date = (ms: number) => new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const latency = (s: ServerInfo) =>
  s.latencyMs == null ? 'not measured' : `${s.latencyMs < 10 ? s.latencyMs.toFixed(1) : Math.round(s.latencyMs)} ms`;
const uptime = (s: ServerInfo) => `${Math.round((s.uptime ?? 0) * 100)}%`;
const price = (s: ServerInfo) =>
  s.hireRequired ? `${s.pricePerMbMonth} CC` : s.pricePerMbMonth === 0 ? 'free' : `free here (lists ${s.pricePerMbMonth} CC)`;

function Term({ s, now }: { s: ServerInfo; now: number }) {
  if (s.paidUntil === undefined) return <>{s.hired ? (s.hireRequired ? 'not known here' : 'free') : '—'}</>;
  const left = s.paidUntil - now;
  return (
    <>
      {left <= 0 ? 'ended ' : 'until '}
      {date(s.paidUntil)}
      <span className="muted small">
        {s.quotaMb} MB{left > 0 && left < 7 * 86_400_000 ? ', renews soon' : ''}
      </span>
    </>
  );
}

export function ServerPickerDialog() {
  const { servers: picker } = useStores();
  const open = usePicker((s) => s.open);
  const mode = usePicker((s) => s.mode);
  const all = usePicker((s) => s.servers);
  const loading = usePicker((s) => s.loading);
  const sort = usePicker((s) => s.sort);
  const filter = usePicker((s) => s.filter);
  const storage = usePicker((s) => s.storage);
  const beacon = usePicker((s) => s.beacon);
  const months = usePicker((s) => s.months);
  const mailMb = usePicker((s) => s.mailMb);
  const parity = usePicker((s) => s.parity);
  const quote = usePicker((s) => s.quote);
  const balance = usePicker((s) => s.balance);
  const busy = usePicker((s) => s.busy);
  const error = usePicker((s) => s.error);
  const done = usePicker((s) => s.done);
  const id = useId();
  const state = { servers: all, sort, filter, storage, beacon, parity, mailMb };
  const rows = shownServers(state);
  const facts = layoutFacts(state);
  const problem = choiceProblem(state);
  const jurisdictions = [...new Set(all.map((s) => s.jurisdiction))].sort();
  const now = usePicker((s) => s.loadedAt);
  const paidTerms = all.filter((s) => s.paidUntil !== undefined && (inUse(s) || s.beacon));
  const testMoney = (quote?.test ?? balance?.test ?? '0') !== '0';

  useEffect(() => {
    if (!open) return;
    const t = setInterval(() => void picker.getState().refreshQuote(), 30_000);
    return () => clearInterval(t);
  }, [open, picker]);

  return (
    <ModalDialog
      open={open}
      onClose={() => picker.getState().hide()}
      title={mode === 'create' ? 'Choose and pay your servers' : 'Servers'}
      closeLabel="Close the server picker"
      className="settings servers-picker"
      bodyClassName="servers-body"
    >
      <section className="servers-wallet" aria-label="Wallet balance">
        <p role="status" aria-live="polite">
          Wallet: <strong className="servers-balance">{quote?.balance ?? balance?.total ?? '…'} CC</strong>
          {testMoney && <span className="badge test">test money</span>}
        </p>
        {balance?.testNetwork && (
          <button type="button" disabled={busy !== null} onClick={() => void picker.getState().fund()}>
            {busy === 'fund' ? 'Getting test Chips…' : 'Get test Chips (test money)'}
          </button>
        )}
      </section>
      {balance?.testNetwork && <p className="hint small servers-note">This is a test network: its Chips are test money, not real money.</p>}

      <form className="servers-controls" aria-label="Sort and filter" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Sort by</span>
          <select value={sort} onChange={(e) => picker.getState().setSort(e.target.value as MarketSort)}>
            <option value="price">Price (cheapest first)</option>
            <option value="latency">Latency (fastest first)</option>
            <option value="uptime">Uptime (most available first)</option>
          </select>
        </label>
        <label>
          <span>Max price (CC per MB·month)</span>
          <input
            type="number"
            min={0}
            step="any"
            inputMode="decimal"
            value={filter.maxPrice}
            onChange={(e) => picker.getState().setFilter({ maxPrice: e.target.value })}
          />
        </label>
        <label>
          <span>Max latency (ms)</span>
          <input
            type="number"
            min={0}
            inputMode="numeric"
            value={filter.maxLatency}
            onChange={(e) => picker.getState().setFilter({ maxLatency: e.target.value })}
          />
        </label>
        <label>
          <span>Min uptime (%)</span>
          <input
            type="number"
            min={0}
            max={100}
            inputMode="numeric"
            value={filter.minUptime}
            onChange={(e) => picker.getState().setFilter({ minUptime: e.target.value })}
          />
        </label>
        <label>
          <span>Jurisdiction</span>
          <select value={filter.jurisdiction} onChange={(e) => picker.getState().setFilter({ jurisdiction: e.target.value })}>
            <option value="">Any</option>
            {jurisdictions.map((j) => (
              <option key={j} value={j}>
                {j}
              </option>
            ))}
          </select>
        </label>
      </form>

      {loading && all.length === 0 ? (
        <p className="loading servers-note" aria-busy="true">
          Asking the directory for servers…
        </p>
      ) : (
        <div className="servers-table-wrap">
          <table className="server-table servers-table" aria-describedby={`${id}-cap`}>
            <caption id={`${id}-cap`}>
              {rows.length} of {all.length} servers, by {sort}. Store on {MIN_STORAGE}–{MAX_STORAGE} servers and pick one beacon;{' '}
              {storage.length} chosen.
            </caption>
            <thead>
              <tr>
                <th scope="col">Store</th>
                <th scope="col">Beacon</th>
                <th scope="col">Server</th>
                <th scope="col" className="num">
                  Price / MB·month
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  Uptime
                </th>
                <th scope="col">Where</th>
                <th scope="col">Paid term</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.nodeId} className={storage.includes(s.nodeId) || beacon === s.nodeId ? 'chosen' : undefined}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Store mail on ${s.name}`}
                      checked={storage.includes(s.nodeId)}
                      onChange={() => picker.getState().toggleStorage(s.nodeId)}
                    />
                  </td>
                  <td>
                    <input
                      type="radio"
                      name={`${id}-beacon`}
                      aria-label={`Use ${s.name} as beacon`}
                      checked={beacon === s.nodeId}
                      onChange={() => picker.getState().setBeacon(s.nodeId)}
                    />
                  </td>
                  <th scope="row">
                    <span className="servers-name">{s.name}</span>
                    {s.beacon && <span className="badge">your beacon</span>}
                    {inUse(s) && <span className="badge">in use</span>}
                    {s.hired && !inUse(s) && !s.beacon && <span className="badge">registered</span>}
                    <span className="muted small">
                      {s.host}:{s.port}
                    </span>
                  </th>
                  <td className="num">{price(s)}</td>
                  <td className="num">{latency(s)}</td>
                  <td className="num">{uptime(s)}</td>
                  <td>
                    {s.location}
                    <span className="muted small">{s.jurisdiction}</span>
                  </td>
                  <td>
                    <Term s={s} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="hint small">No server matches these filters.</p>}
        </div>
      )}

      <section className="settings-section servers-layout" aria-labelledby={`${id}-kp`}>
        <h3 id={`${id}-kp`}>What k + p needs</h3>
        <p className="small">
          Each qmail is cut into <strong>k data stripes</strong> and <strong>p parity stripes</strong>, one on each storage server. It stays
          readable while up to p of those servers are down, so you need at least k + p servers: more parity means more servers and more
          storage for the same mail.
        </p>
        <div className="servers-inputs">
          <label>
            <span>Parity stripes (p)</span>
            <select value={facts.p} onChange={(e) => picker.getState().setParity(Number(e.target.value))} disabled={facts.n < 2}>
              {Array.from({ length: Math.max(1, facts.n) }, (_, i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Mail kept on servers (MB)</span>
            <input
              type="number"
              min={1}
              max={1_000_000}
              inputMode="numeric"
              value={mailMb}
              onChange={(e) => picker.getState().setMailMb(Number(e.target.value))}
            />
          </label>
          <label>
            <span>Term</span>
            <select value={months} onChange={(e) => picker.getState().setMonths(Number(e.target.value))}>
              {TERM_MONTHS.map((m) => (
                <option key={m} value={m}>
                  {m} month{m === 1 ? '' : 's'}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="small" aria-live="polite">
          {facts.n >= MIN_STORAGE ? (
            <>
              With {facts.n} storage servers:{' '}
              <strong>
                {facts.k} + {facts.p}
              </strong>
              , readable with up to {facts.p} server
              {facts.p === 1 ? '' : 's'} down. {mailMb} MB of mail is about {facts.quotaMb} MB on each server: {cc(facts.perMonth)} CC a
              month for these servers{beacon && !storage.includes(beacon) ? ' and the beacon' : ''}.
            </>
          ) : (
            <>Choose at least {MIN_STORAGE} storage servers to see the layout and its cost.</>
          )}
        </p>
      </section>

      <section className="settings-section servers-quote" aria-labelledby={`${id}-pay`}>
        <h3 id={`${id}-pay`}>{mode === 'create' ? 'Paid when your address is made' : 'To pay now'}</h3>
        {quote && quote.items.length > 0 ? (
          <table className="wallet-table compact" aria-label="Price of each hire">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">
                  {months} month{months === 1 ? '' : 's'}, {facts.quotaMb} MB
                </th>
              </tr>
            </thead>
            <tbody>
              {quote.items.map((q) => (
                <tr key={q.nodeId}>
                  <td>{q.name}</td>
                  <td className="num">{q.amount} CC</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td className="num servers-total">{quote.total} CC</td>
              </tr>
            </tfoot>
          </table>
        ) : (
          <p className="hint small">
            {quote ? 'Nothing to pay: these servers are hired already or free.' : 'Choose servers to see the price.'}
          </p>
        )}
        {quote && quote.enough && quote.total !== '0' && (
          <p className="small">
            The wallet holds {quote.balance} CC{testMoney ? ' (test money)' : ''}; {cc(Number(quote.balance) - Number(quote.total))} CC
            after these hires.
          </p>
        )}
        {quote && !quote.enough && (
          <p className="form-error" role="alert">
            Not enough Chips: these hires cost {quote.total} CC and the wallet holds {quote.balance} CC.
            {balance?.testNetwork ? ' Get test Chips above first.' : ' Add Chips in the wallet first.'}
          </p>
        )}
      </section>

      {paidTerms.length > 0 && mode === 'change' && (
        <section className="settings-section" aria-labelledby={`${id}-renew`}>
          <h3 id={`${id}-renew`}>Renewals</h3>
          <p className="hint small">
            QMail renews a hire in use a week before it ends when the wallet can pay, and tells you when it cannot. Renewing now adds{' '}
            {months} month{months === 1 ? '' : 's'} to each term.
          </p>
          <button type="button" disabled={busy !== null} onClick={() => void picker.getState().renew(paidTerms.map((s) => s.nodeId))}>
            {busy === 'renew' ? 'Renewing…' : `Renew all ${paidTerms.length} hires now`}
          </button>
        </section>
      )}

      {(error ?? (storage.length ? null : problem)) && (
        <p className="form-error servers-note" role="alert">
          {error ?? problem}
        </p>
      )}
      {done && !error && (
        <p className="servers-note servers-done" role="status">
          {done}
        </p>
      )}
      <div className="servers-actions">
        <button type="button" onClick={() => picker.getState().hide()}>
          {mode === 'create' ? 'Cancel' : 'Close'}
        </button>
        <button
          type="button"
          className="primary"
          disabled={busy !== null || !!problem || (quote !== null && !quote.enough)}
          onClick={() => void picker.getState().hire()}
        >
          {busy === 'hire'
            ? 'Paying and hiring…'
            : mode === 'create'
              ? `Use these servers${quote && quote.total !== '0' ? ` (${quote.total} CC)` : ''}`
              : quote && quote.total !== '0'
                ? `Hire and pay ${quote.total} CC`
                : 'Use these servers'}
        </button>
      </div>
    </ModalDialog>
  );
}
