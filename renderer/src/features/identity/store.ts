// The identity store: does this profile have a QMail address yet, and the onboarding that
// makes one (create or restore, then hire storage servers and a beacon from the directory).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HireTerm, IdentityState, ServerInfo } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export type IdentityStatus = 'unknown' | 'loading' | 'none' | 'ready' | 'error';

export interface ServerChoice {
  storage: string[];
  beacon: string | null;
  /** What each server that takes only paid hires is paid for (the server picker sets it). */
  term?: HireTerm;
}

export interface IdentityStore {
  status: IdentityStatus;
  identity: IdentityState | null;
  servers: ServerInfo[];
  serversLoading: boolean;
  serversError: string | null;
  choice: ServerChoice;
  /** The recovery phrase while it is on screen (just made, or shown again after the passphrase); never kept beyond that. */
  phrase: string | null;
  /** The 1-based positions of the words to retype while the phrase waits to be confirmed. */
  challenge: number[] | null;
  busy: 'create' | 'restore' | 'confirm' | 'reveal' | null;
  error: string | null;
  check(): Promise<void>;
  loadServers(): Promise<void>;
  toggleStorage(nodeId: string): void;
  setBeacon(nodeId: string): void;
  /** The server picker's choice, with the term it priced. */
  choose(choice: ServerChoice): void;
  create(name: string): Promise<boolean>;
  restore(phrase: string, name?: string): Promise<boolean>;
  /** "I wrote it down": the phrase leaves the screen and the confirmation step asks for some of its words. */
  acknowledgePhrase(): void;
  loadChallenge(): Promise<void>;
  confirmPhrase(words: string[]): Promise<boolean>;
  /** Shows the phrase again during onboarding after the passphrase is checked by the service. */
  revealPhrase(passphrase: string): Promise<boolean>;
  apply(state: IdentityState): void;
  reset(): void;
}

export const MIN_STORAGE = 2;
export const MAX_STORAGE = 32;
const DEFAULT_STORAGE = 4;

/** Sensible defaults: the most reliable servers (longest uptime, then cheapest) for storage, the most reliable as beacon. */
export function defaultChoice(servers: readonly ServerInfo[]): ServerChoice {
  const ranked = [...servers].sort(
    (a, b) => b.uptimeSeconds - a.uptimeSeconds || a.pricePerMbMonth - b.pricePerMbMonth || a.name.localeCompare(b.name),
  );
  const hired = servers.filter((s) => s.hired).map((s) => s.nodeId);
  const storage = hired.length >= MIN_STORAGE ? hired : ranked.slice(0, Math.min(DEFAULT_STORAGE, ranked.length)).map((s) => s.nodeId);
  const beacon = servers.find((s) => s.beacon)?.nodeId ?? ranked[0]?.nodeId ?? null;
  return { storage, beacon };
}

export function choiceProblem(c: ServerChoice, servers: readonly ServerInfo[]): string | null {
  if (servers.length === 0) return null; // nothing to choose from: the service picks
  if (c.storage.length < MIN_STORAGE) return `Choose at least ${MIN_STORAGE} storage servers: your mail is striped across them.`;
  if (c.storage.length > MAX_STORAGE) return `Choose at most ${MAX_STORAGE} storage servers.`;
  if (!c.beacon) return 'Choose a beacon: it is where your new mail is announced.';
  return null;
}

const empty = {
  status: 'unknown' as IdentityStatus,
  identity: null,
  servers: [],
  serversLoading: false,
  serversError: null,
  choice: { storage: [], beacon: null },
  phrase: null,
  challenge: null,
  busy: null,
  error: null,
};

/** Whether the mail window can open: an identity whose recovery phrase is confirmed (older profiles count as confirmed). */
export function onboarded(s: Pick<IdentityStore, 'status' | 'identity' | 'phrase'>): boolean {
  return s.status === 'ready' && !s.phrase && s.identity?.phraseConfirmed !== false;
}

export function createIdentityStore(runtime: Runtime): StoreApi<IdentityStore> {
  let generation = 0;
  return createStore<IdentityStore>()((set, get) => {
    function serverArgs(): { storage?: string[]; beacon?: string } {
      const s = get();
      if (s.servers.length === 0) return {};
      return {
        storage: s.choice.storage,
        ...(s.choice.beacon ? { beacon: s.choice.beacon } : {}),
        ...(s.choice.term ? { term: s.choice.term } : {}),
      };
    }
    return {
      ...empty,
      async check() {
        const gen = ++generation;
        set({ status: get().status === 'ready' ? 'ready' : 'loading', error: null });
        try {
          const state = await runtime.invoke('identity.state', {});
          if (gen === generation) get().apply(state);
        } catch (e) {
          if (gen === generation) set({ status: 'error', error: errorMessage(e) });
        }
      },
      async loadServers() {
        set({ serversLoading: true, serversError: null });
        try {
          const servers = await runtime.invoke('servers.list', {});
          set({ servers, serversLoading: false, choice: defaultChoice(servers) });
        } catch (e) {
          set({ serversLoading: false, serversError: errorMessage(e) });
        }
      },
      toggleStorage(nodeId) {
        const { storage, beacon } = get().choice;
        set({ choice: { beacon, storage: storage.includes(nodeId) ? storage.filter((n) => n !== nodeId) : [...storage, nodeId] } });
      },
      setBeacon(nodeId) {
        set({ choice: { ...get().choice, beacon: nodeId } });
      },
      choose(choice) {
        set({ choice, error: null });
      },
      async create(name) {
        if (get().busy) return false;
        const problem = choiceProblem(get().choice, get().servers);
        if (!name.trim()) return (set({ error: 'Type the name people will see on your mail.' }), false);
        if (problem) return (set({ error: problem }), false);
        set({ busy: 'create', error: null });
        try {
          const r = await runtime.invoke('identity.create', { name: name.trim(), ...serverArgs() });
          const { recoveryPhrase, ...state } = r;
          set({ busy: null, phrase: recoveryPhrase, identity: state, status: state.state === 'ready' ? 'ready' : 'none' });
          return true;
        } catch (e) {
          set({ busy: null, error: `Your address could not be made: ${errorMessage(e)}` });
          return false;
        }
      },
      async restore(phrase, name) {
        if (get().busy) return false;
        const words = phrase.trim().split(/\s+/).filter(Boolean);
        if (words.length !== 24) return (set({ error: `A recovery phrase has 24 words; this one has ${words.length}.` }), false);
        const problem = choiceProblem(get().choice, get().servers);
        if (problem) return (set({ error: problem }), false);
        set({ busy: 'restore', error: null });
        try {
          const state = await runtime.invoke('identity.restore', {
            phrase: words.join(' '),
            ...(name?.trim() ? { name: name.trim() } : {}),
            ...serverArgs(),
          });
          set({ busy: null, phrase: null });
          get().apply(state);
          return true;
        } catch (e) {
          set({ busy: null, error: `Your identity could not be restored: ${errorMessage(e)}` });
          return false;
        }
      },
      acknowledgePhrase() {
        set({ phrase: null, error: null });
        void get().loadChallenge();
      },
      async loadChallenge() {
        try {
          const { positions } = await runtime.invoke('identity.phrase.challenge', {});
          set({ challenge: positions });
        } catch (e) {
          set({ error: `The confirmation step could not start: ${errorMessage(e)}` });
        }
      },
      async confirmPhrase(words) {
        if (get().busy) return false;
        if (words.some((w) => !w.trim())) return (set({ error: 'Type each of the words asked for.' }), false);
        set({ busy: 'confirm', error: null });
        try {
          const state = await runtime.invoke('identity.phrase.confirm', { words: words.map((w) => w.trim()) });
          set({ busy: null, challenge: null });
          get().apply(state);
          return true;
        } catch (e) {
          set({ busy: null, error: errorMessage(e) });
          return false;
        }
      },
      async revealPhrase(passphrase) {
        if (get().busy) return false;
        set({ busy: 'reveal', error: null });
        try {
          const { phrase } = await runtime.invoke('identity.phrase.reveal', { passphrase });
          set({ busy: null, phrase });
          return true;
        } catch (e) {
          set({ busy: null, error: errorMessage(e) });
          return false;
        }
      },
      apply(state) {
        set({ identity: state, status: state.state === 'ready' ? 'ready' : 'none', error: null });
      },
      reset() {
        generation++;
        set({ ...empty });
      },
    };
  });
}
