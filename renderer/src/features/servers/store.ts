// The server picker: the servers the directory lists, sorted and filtered; the storage
// servers and beacon chosen, the term bought (months, and MB from the mail kept and the
// stripe layout), what that costs before anything is paid, hiring (paid from the wallet)
// and renewing. In 'create' mode (onboarding) the choice goes to the identity store, which
// pays when the address is made.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HireTerm, RequestOutput, ServerInfo, WalletBalance } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { filterServers, quotaPerServer, sortServers, type MarketFilter, type MarketSort } from '../../../../shared/market/list.js';
import { errorMessage } from '../../runtime/errors.js';

export const MIN_STORAGE = 2;
export const MAX_STORAGE = 32;
export const TERM_MONTHS = [1, 3, 6, 12] as const;

export type Quote = RequestOutput<'servers.quote'>;

/** The filters as typed: empty means no limit. */
export interface FilterInput {
  maxPrice: string;
  maxLatency: string;
  /** Percent. */
  minUptime: string;
  jurisdiction: string;
}

export interface PickerChoice {
  storage: string[];
  beacon: string | null;
  term: HireTerm;
}

export interface ServerPickerStore {
  open: boolean;
  mode: 'change' | 'create';
  servers: ServerInfo[];
  balance: WalletBalance | null;
  /** When the list was read (ms): terms are shown against it. */
  loadedAt: number;
  loading: boolean;
  sort: MarketSort;
  filter: FilterInput;
  storage: string[];
  beacon: string | null;
  months: number;
  /** MB of mail kept on the servers (what the quota is bought for). */
  mailMb: number;
  /** Parity stripes p wanted in the layout k + p over the storage servers (at most n − 1 are used). */
  parity: number;
  quote: Quote | null;
  busy: 'hire' | 'renew' | 'fund' | null;
  error: string | null;
  done: string | null;
  show(mode?: 'change' | 'create'): void;
  hide(): void;
  load(): Promise<void>;
  setSort(sort: MarketSort): void;
  setFilter(patch: Partial<FilterInput>): void;
  toggleStorage(nodeId: string): void;
  setBeacon(nodeId: string): void;
  setMonths(months: number): void;
  setMailMb(mb: number): void;
  setParity(p: number): void;
  refreshQuote(): Promise<void>;
  fund(): Promise<void>;
  /** Pays and hires the choice (change mode), or hands it to onboarding (create mode). */
  hire(): Promise<boolean>;
  renew(nodeIds?: string[]): Promise<boolean>;
}

export interface ServerPickerOptions {
  /** Create mode: where the choice goes (the identity store's, paid when the address is made). */
  onChosen?(choice: PickerChoice): void;
  /** What onboarding has chosen so far, to start from. */
  initial?(): { storage: string[]; beacon: string | null } | undefined;
}

const NO_FILTER: FilterInput = { maxPrice: '', maxLatency: '', minUptime: '', jurisdiction: '' };

/** The typed filters as numbers (a field that is not a number is no limit). */
export function filterOf(f: FilterInput): MarketFilter {
  const num = (v: string) => (v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const out: MarketFilter = {};
  const maxPrice = num(f.maxPrice);
  const maxLatency = num(f.maxLatency);
  const minUptime = num(f.minUptime);
  if (maxPrice !== undefined) out.maxPrice = maxPrice;
  if (maxLatency !== undefined) out.maxLatencyMs = maxLatency;
  if (minUptime !== undefined) out.minUptime = minUptime / 100;
  if (f.jurisdiction) out.jurisdiction = f.jurisdiction;
  return out;
}

/** The servers as the table shows them: filtered, then sorted. Chosen ones stay listed even when a filter would hide them. */
export function shownServers(s: Pick<ServerPickerStore, 'servers' | 'sort' | 'filter' | 'storage' | 'beacon'>): ServerInfo[] {
  const kept = new Set(filterServers(s.servers, filterOf(s.filter)).map((x) => x.nodeId));
  return sortServers(
    s.servers.filter((x) => kept.has(x.nodeId) || s.storage.includes(x.nodeId) || s.beacon === x.nodeId),
    s.sort,
  );
}

export interface LayoutFacts {
  /** Storage servers chosen (n = k + p). */
  n: number;
  k: number;
  p: number;
  /** MB bought on each server. */
  quotaMb: number;
  /** CC a month for every chosen server (storage and beacon), at the quota. */
  perMonth: number;
}

/** What k + p means for this choice, and what it costs a month. */
export function layoutFacts(s: Pick<ServerPickerStore, 'servers' | 'storage' | 'beacon' | 'parity' | 'mailMb'>): LayoutFacts {
  const n = s.storage.length;
  const p = Math.max(0, Math.min(s.parity, n - 1));
  const k = Math.max(1, n - p);
  const quotaMb = quotaPerServer(s.mailMb, k);
  const ids = new Set([...s.storage, ...(s.beacon ? [s.beacon] : [])]);
  const perUnits = s.servers
    .filter((x) => ids.has(x.nodeId) && x.hireRequired)
    .reduce((a, x) => a + Math.round(x.pricePerMbMonth * 1e8) * quotaMb, 0);
  return { n, k, p, quotaMb, perMonth: perUnits / 1e8 };
}

/** A CC amount as people read it (at most 8 decimals, no trailing zeros). */
export function cc(n: number): string {
  return String(Number(n.toFixed(8)));
}

export function choiceProblem(s: Pick<ServerPickerStore, 'storage' | 'beacon'>): string | null {
  if (s.storage.length < MIN_STORAGE) return `Choose at least ${MIN_STORAGE} storage servers: your mail is striped across them.`;
  if (s.storage.length > MAX_STORAGE) return `Choose at most ${MAX_STORAGE} storage servers.`;
  if (!s.beacon) return 'Choose a beacon: it is where your new mail is announced.';
  return null;
}

export function createServerPickerStore(runtime: Runtime, o: ServerPickerOptions = {}): StoreApi<ServerPickerStore> {
  let quoteGen = 0;
  return createStore<ServerPickerStore>()((set, get) => {
    const term = (): HireTerm => {
      const s = get();
      return { months: s.months, quotaMb: layoutFacts(s).quotaMb };
    };
    const changed = (patch: Partial<ServerPickerStore>) => {
      set({ ...patch, error: null, done: null });
      void get().refreshQuote();
    };
    return {
      open: false,
      mode: 'change',
      servers: [],
      balance: null,
      loadedAt: 0,
      loading: false,
      sort: 'price',
      filter: NO_FILTER,
      storage: [],
      beacon: null,
      months: 1,
      mailMb: 10,
      parity: 1,
      quote: null,
      busy: null,
      error: null,
      done: null,
      show(mode = 'change') {
        set({ open: true, mode, error: null, done: null, quote: null });
        void get().load();
      },
      hide() {
        set({ open: false });
      },
      async load() {
        set({ loading: true });
        try {
          const [servers, balance] = await Promise.all([runtime.invoke('servers.list', {}), runtime.invoke('wallet.balance', {})]);
          const start = get().mode === 'create' ? o.initial?.() : undefined;
          const storage = start?.storage.length
            ? start.storage
            : servers.filter((x) => x.storage ?? (x.hired && !x.beacon)).map((x) => x.nodeId);
          const beacon = start?.beacon ?? servers.find((x) => x.beacon)?.nodeId ?? null;
          set({ servers, balance, loadedAt: Date.now(), loading: false, storage, beacon });
          await get().refreshQuote();
        } catch (e) {
          set({ loading: false, error: errorMessage(e) });
        }
      },
      setSort(sort) {
        set({ sort });
      },
      setFilter(patch) {
        set({ filter: { ...get().filter, ...patch } });
      },
      toggleStorage(nodeId) {
        const { storage } = get();
        changed({ storage: storage.includes(nodeId) ? storage.filter((x) => x !== nodeId) : [...storage, nodeId] });
      },
      setBeacon(nodeId) {
        changed({ beacon: nodeId });
      },
      setMonths(months) {
        changed({ months });
      },
      setMailMb(mb) {
        changed({ mailMb: Number.isFinite(mb) && mb >= 1 ? Math.min(Math.round(mb), 1_000_000) : 1 });
      },
      setParity(p) {
        changed({ parity: Math.max(0, Math.min(p, Math.max(0, get().storage.length - 1))) });
      },
      async refreshQuote() {
        const gen = ++quoteGen;
        const s = get();
        if (!s.open || s.storage.length === 0) return set({ quote: null });
        try {
          const quote = await runtime.invoke('servers.quote', {
            storage: s.storage.slice(0, MAX_STORAGE),
            ...(s.beacon ? { beacon: s.beacon } : {}),
            term: term(),
          });
          if (gen === quoteGen) set({ quote });
        } catch (e) {
          if (gen === quoteGen) set({ quote: null, error: errorMessage(e) });
        }
      },
      async fund() {
        if (get().busy) return;
        set({ busy: 'fund', error: null, done: null });
        try {
          const r = await runtime.invoke('wallet.fund', {});
          set({ busy: null, done: `Received ${r.amount} CC of test Chips (test money, not real).` });
        } catch (e) {
          set({ busy: null, error: errorMessage(e) });
        }
        set({ balance: await runtime.invoke('wallet.balance', {}).catch(() => get().balance) });
        await get().refreshQuote();
      },
      async hire() {
        const s = get();
        if (s.busy) return false;
        const problem = choiceProblem(s);
        if (problem) return (set({ error: problem, done: null }), false);
        if (s.quote && !s.quote.enough)
          return (
            set({
              error: `Not enough Chips: these hires cost ${s.quote.total} CC and the wallet holds ${s.quote.balance} CC. Add Chips in the wallet first.`,
              done: null,
            }),
            false
          );
        const choice: PickerChoice = { storage: s.storage, beacon: s.beacon, term: term() };
        if (s.mode === 'create') {
          o.onChosen?.(choice);
          set({ open: false });
          return true;
        }
        set({ busy: 'hire', error: null, done: null });
        try {
          const paid = s.quote?.total ?? '0';
          await runtime.invoke('servers.choose', { storage: choice.storage, beacon: choice.beacon!, term: choice.term });
          const beaconName = s.servers.find((x) => x.nodeId === s.beacon)?.name ?? 'the beacon';
          set({
            busy: null,
            done: `Hired: ${paid} CC paid. New mail is stored on ${choice.storage.length} servers and announced by ${beaconName}; mail already stored on the servers you left stays readable.`,
          });
          await get().load();
          return true;
        } catch (e) {
          set({ busy: null, error: `The servers could not be hired: ${errorMessage(e)}` });
          await get().load();
          return false;
        }
      },
      async renew(nodeIds) {
        if (get().busy) return false;
        set({ busy: 'renew', error: null, done: null });
        try {
          const r = await runtime.invoke('servers.renew', { ...(nodeIds ? { nodeIds } : {}), months: get().months });
          const ok = r.renewed.map((x) => `${x.name} until ${new Date(x.paidUntil).toLocaleDateString()} (${x.amount} CC)`);
          const bad = r.failed.map((x) => `${x.name}: ${x.reason}`);
          set({
            busy: null,
            done: ok.length ? `Renewed ${ok.join('; ')}.` : r.failed.length ? null : 'Nothing is due for renewal.',
            error: bad.length ? `Not renewed: ${bad.join('; ')}.` : null,
          });
          await get().load();
          return bad.length === 0;
        } catch (e) {
          set({ busy: null, error: errorMessage(e) });
          return false;
        }
      },
    };
  });
}
