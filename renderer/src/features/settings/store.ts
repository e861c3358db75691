// The KME (ETSI GS QKD 014) settings of this profile: read, import from a kme.json, save by
// hand, clear, and "Test connection".
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { QkdSettings, QkdSettingsState, RequestOutput } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export type QkdTestResult = RequestOutput<'qkd.test'>;

export interface SettingsStore {
  open: boolean;
  state: QkdSettingsState | null;
  loading: boolean;
  saving: boolean;
  testing: boolean;
  error: string | null;
  saved: string | null;
  test: QkdTestResult | null;
  show(): void;
  hide(): void;
  load(): Promise<void>;
  importFile(path: string, side: 'A' | 'B'): Promise<boolean>;
  /** Imports side A of the local test network's kme.json (offered when the app runs that network). */
  useLocalKme(): Promise<boolean>;
  save(settings: QkdSettings): Promise<boolean>;
  clear(): Promise<boolean>;
  runTest(peer?: string): Promise<void>;
}

export function createSettingsStore(runtime: Runtime): StoreApi<SettingsStore> {
  return createStore<SettingsStore>()((set, get) => {
    async function write(input: Parameters<typeof runtime.invoke<'qkd.settings.set'>>[1], done: string): Promise<boolean> {
      set({ saving: true, error: null, saved: null, test: null });
      try {
        const state = await runtime.invoke('qkd.settings.set', input);
        set({ state, saving: false, saved: done });
        return true;
      } catch (e) {
        set({ saving: false, error: errorMessage(e) });
        return false;
      }
    }
    return {
      open: false,
      state: null,
      loading: false,
      saving: false,
      testing: false,
      error: null,
      saved: null,
      test: null,
      show() {
        set({ open: true, error: null, saved: null, test: null });
        void get().load();
      },
      hide() {
        set({ open: false });
      },
      async load() {
        set({ loading: true, error: null });
        try {
          set({ state: await runtime.invoke('qkd.settings.get', {}), loading: false });
        } catch (e) {
          set({ loading: false, error: errorMessage(e) });
        }
      },
      importFile(path, side) {
        if (!path.trim()) {
          set({ error: 'Type the path of the kme.json file.' });
          return Promise.resolve(false);
        }
        return write({ import: { path: path.trim(), side } }, `Imported side ${side} of ${path.trim()}.`);
      },
      useLocalKme() {
        const path = get().state?.localKme?.path;
        if (!path) {
          set({ error: 'This app is not running the local test network, so there is no local KME.' });
          return Promise.resolve(false);
        }
        return write({ import: { path, side: 'A' } }, 'Using the local test KME (side A).');
      },
      save(settings) {
        return write({ settings }, 'KME settings saved.');
      },
      clear() {
        return write({ clear: true }, 'KME settings removed: levels 1 and 2 are off.');
      },
      async runTest(peer) {
        set({ testing: true, test: null, error: null });
        try {
          const test = await runtime.invoke('qkd.test', peer?.trim() ? { peer: peer.trim() } : {});
          set({ testing: false, test });
        } catch (e) {
          set({ testing: false, test: { ok: false, message: errorMessage(e) } });
        }
      },
    };
  });
}
