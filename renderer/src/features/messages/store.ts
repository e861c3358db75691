// The message list store. A folder may hold 100,000 messages, so rows are fetched in
// pages as the virtualised list scrolls to them, and only the pages seen are kept. A query
// searches the folder through the engine's index (text, names, attachment names), whose
// hits carry the ranges to highlight; then the email accounts' servers (mail.searchServer),
// whose further hits join the list marked "found on the server".
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FolderId, MailSource, MessageSummary, SearchHit } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export const PAGE_SIZE = 200;

export interface MessagesStore {
  folder: FolderId | null;
  total: number;
  /** Loaded pages by page index; rows of other pages are not in memory. */
  pages: ReadonlyMap<number, MessageSummary[]>;
  /** True until the first page of the current folder has arrived. */
  loading: boolean;
  error: string | null;
  /** Keyboard cursor: index into the visible rows. */
  cursor: number;
  query: string;
  /** When a query is set: the engine's hits in this folder, newest first (the last answer while a new one is coming). */
  filtered: ListRow[] | null;
  /** A search is on its way. */
  searching: boolean;
  /** The email accounts' servers are being asked (mail.searchServer, after the local answer). */
  serverSearching: boolean;
  /** How many rows of `filtered` came from the servers, and the accounts whose server did not answer (in time). */
  serverFound: number;
  serverMissing: string[];
  /** Whose mail the list shows: all (undefined), qmail only, or one email account's (its id). */
  source: MailSource | undefined;
  load(folder: FolderId): Promise<void>;
  refresh(): Promise<void>;
  ensureRange(start: number, end: number): Promise<void>;
  setCursor(index: number): void;
  moveCursor(delta: number): void;
  setQuery(query: string): void;
  /** Shows one source's mail only (undefined: all), from the top of the folder. */
  setSource(source: MailSource | undefined): Promise<void>;
  patchRow(id: string, patch: Partial<MessageSummary>): void;
  reset(): void;
}

/** A row of the list: a summary, with highlights when it is a search hit. */
export type ListRow = MessageSummary & Partial<Pick<SearchHit, 'highlights' | 'matchedIn' | 'onServer'>>;

export function visibleCount(s: Pick<MessagesStore, 'filtered' | 'total'>): number {
  return s.filtered ? s.filtered.length : s.total;
}

export function rowAt(s: Pick<MessagesStore, 'filtered' | 'pages'>, index: number): ListRow | undefined {
  if (s.filtered) return s.filtered[index];
  return s.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
}

/** The most hits one search shows (the contract's ceiling). */
export const SEARCH_LIMIT = 500;
/** The servers are asked once the words have stayed the same this long (not on every key). */
export const SERVER_SEARCH_DELAY_MS = 500;

/** The list before any folder is open (and again after a lock). */
function emptyState(): Pick<
  MessagesStore,
  | 'folder'
  | 'total'
  | 'pages'
  | 'loading'
  | 'error'
  | 'cursor'
  | 'query'
  | 'filtered'
  | 'searching'
  | 'serverSearching'
  | 'serverFound'
  | 'serverMissing'
  | 'source'
> {
  return {
    folder: null,
    total: 0,
    pages: new Map(),
    loading: false,
    error: null,
    cursor: 0,
    query: '',
    filtered: null,
    searching: false,
    serverSearching: false,
    serverFound: 0,
    serverMissing: [],
    source: undefined,
  };
}

export function createMessagesStore(runtime: Runtime, o: { serverDelayMs?: number } = {}): StoreApi<MessagesStore> {
  const serverDelay = o.serverDelayMs ?? SERVER_SEARCH_DELAY_MS;
  let generation = 0;
  let searchGeneration = 0;
  const inFlight = new Set<number>();

  return createStore<MessagesStore>()((set, get) => {
    async function fetchPage(page: number, gen: number): Promise<void> {
      const folder = get().folder;
      if (!folder || inFlight.has(page)) return;
      inFlight.add(page);
      try {
        const source = get().source;
        const res = await runtime.invoke('mail.list', {
          folder,
          offset: page * PAGE_SIZE,
          limit: PAGE_SIZE,
          ...(source ? { source } : {}),
        });
        if (gen !== generation) return;
        const pages = new Map(get().pages);
        pages.set(page, res.items);
        const total = res.total;
        const maxPage = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
        for (const k of pages.keys()) if (k > maxPage) pages.delete(k);
        const filtered = get().filtered;
        const count = filtered ? filtered.length : total;
        set({ pages, total, loading: false, error: null, cursor: Math.min(get().cursor, Math.max(0, count - 1)) });
      } catch (e) {
        if (gen === generation) set({ loading: false, error: errorMessage(e) });
      } finally {
        if (gen === generation) inFlight.delete(page);
      }
    }

    async function search(): Promise<void> {
      const { folder, query } = get();
      const q = query.trim().slice(0, 256);
      const gen = ++searchGeneration;
      if (!folder || !q) {
        set({ filtered: null, searching: false, serverSearching: false, serverFound: 0, serverMissing: [] });
        return;
      }
      set({ searching: true, serverSearching: false, serverFound: 0, serverMissing: [], filtered: get().filtered ?? [] });
      const source = get().source;
      try {
        const res = await runtime.invoke('mail.search', { query: q, folder, limit: SEARCH_LIMIT, ...(source ? { source } : {}) });
        if (gen !== searchGeneration) return;
        set({ filtered: res.items, searching: false, error: null, cursor: Math.min(get().cursor, Math.max(0, res.items.length - 1)) });
      } catch (e) {
        if (gen === searchGeneration) set({ searching: false, error: errorMessage(e) });
        return;
      }
      // Not awaited: a folder's load is done with the local answer.
      if (source !== 'qmail') void searchServers(gen, q, folder, source);
    }

    /** Then the accounts' servers, once the words have stayed the same a moment: their further hits join the list by date. */
    async function searchServers(gen: number, q: string, folder: FolderId, source: MailSource | undefined): Promise<void> {
      if (serverDelay > 0) await new Promise((r) => setTimeout(r, serverDelay));
      if (gen !== searchGeneration) return;
      set({ serverSearching: true });
      try {
        const res = await runtime.invoke('mail.searchServer', { query: q, folder, limit: SEARCH_LIMIT, ...(source ? { source } : {}) });
        if (gen !== searchGeneration) return;
        const missing = res.servers.filter((s) => s.outcome !== 'searched').map((s) => s.account);
        const local = get().filtered ?? [];
        const have = new Set(local.map((r) => r.id));
        const more = res.items.filter((r) => !have.has(r.id));
        if (!more.length) {
          set({ serverSearching: false, serverMissing: missing });
          return;
        }
        // The row under the cursor stays under it: server hits may sort in above it.
        const at = local[get().cursor]?.id;
        const merged = [...local, ...more].sort((a, b) => b.date - a.date || (a.id < b.id ? -1 : 1)).slice(0, SEARCH_LIMIT);
        const cursor = at
          ? Math.max(
              0,
              merged.findIndex((r) => r.id === at),
            )
          : 0;
        set({
          filtered: merged,
          serverSearching: false,
          serverFound: merged.filter((r) => r.onServer).length,
          serverMissing: missing,
          cursor,
        });
      } catch {
        // The local answer stands; a server search that failed as a whole adds nothing.
        if (gen === searchGeneration) set({ serverSearching: false });
      }
    }

    return {
      ...emptyState(),
      async load(folder) {
        const gen = ++generation;
        inFlight.clear();
        set({ folder, total: 0, pages: new Map(), loading: true, error: null, cursor: 0, filtered: get().query.trim() ? [] : null });
        await Promise.all([fetchPage(0, gen), search()]);
      },
      async refresh() {
        const folder = get().folder;
        if (!folder) return;
        // Keep what is on screen while the fresh pages arrive; drop the rest.
        const gen = ++generation;
        inFlight.clear();
        const keep = [...get().pages.keys()];
        await Promise.all([...(keep.length ? keep : [0]).map((p) => fetchPage(p, gen)), ...(get().query.trim() ? [search()] : [])]);
      },
      async ensureRange(start, end) {
        const s = get();
        if (!s.folder || s.filtered) return;
        const gen = generation;
        const first = Math.max(0, Math.floor(start / PAGE_SIZE));
        const last = Math.min(Math.ceil(s.total / PAGE_SIZE) - 1, Math.floor(Math.max(start, end) / PAGE_SIZE));
        const missing: number[] = [];
        for (let p = first; p <= last; p++) if (!s.pages.has(p) && !inFlight.has(p)) missing.push(p);
        await Promise.all(missing.map((p) => fetchPage(p, gen)));
      },
      setCursor(index) {
        const n = visibleCount(get());
        set({ cursor: n === 0 ? 0 : Math.max(0, Math.min(n - 1, index)) });
      },
      moveCursor(delta) {
        get().setCursor(get().cursor + delta);
      },
      async setSource(source) {
        if (source === get().source) return;
        set({ source });
        const folder = get().folder;
        if (folder) await get().load(folder);
      },
      setQuery(query) {
        const changed = query.trim() !== get().query.trim();
        set({ query, cursor: changed ? 0 : get().cursor });
        if (changed) void search();
      },
      patchRow(id, patch) {
        const pages = new Map(get().pages);
        let changed = false;
        for (const [k, rows] of pages) {
          const i = rows.findIndex((r) => r.id === id);
          if (i < 0) continue;
          const copy = rows.slice();
          copy[i] = { ...copy[i]!, ...patch };
          pages.set(k, copy);
          changed = true;
        }
        const filtered = get().filtered?.map((r) => (r.id === id ? { ...r, ...patch } : r)) ?? null;
        if (changed || filtered?.some((r) => r.id === id)) set({ pages, filtered });
      },
      reset() {
        generation++;
        searchGeneration++;
        inFlight.clear();
        set(emptyState());
      },
    };
  });
}
