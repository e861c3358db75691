// The Wallet screen: balance by denomination, coins, history; import a coin file, export an
// exact amount, and (test networks only) test Chips from the mint. Only amounts, denominations
// and serials come here; coins' ANs stay in the main process.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { WALLET_FILE_MAX, type WalletBalance, type WalletCoin, type WalletHistoryRow } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

export const AMOUNT_PATTERN = /^\d{1,15}(?:\.\d{1,8})?$/;

/** What the user exported: a file to save (host mode) or where the main process wrote it. */
export interface ExportedFile {
  name: string;
  amount: string;
  blob?: Blob;
  path?: string;
}

export interface WalletStore {
  open: boolean;
  balance: WalletBalance | null;
  coins: WalletCoin[];
  coinCount: number;
  history: WalletHistoryRow[];
  loading: boolean;
  /** The operation in flight, for the busy label. */
  busy: 'fund' | 'import' | 'export' | null;
  error: string | null;
  done: string | null;
  exported: ExportedFile | null;
  show(): void;
  hide(): void;
  load(): Promise<void>;
  fund(): Promise<boolean>;
  importFile(file: { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }): Promise<boolean>;
  exportAmount(amount: string): Promise<ExportedFile | null>;
}

const toBase64 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromBase64 = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export function createWalletStore(runtime: Runtime): StoreApi<WalletStore> {
  return createStore<WalletStore>()((set, get) => {
    async function run<T>(busy: NonNullable<WalletStore['busy']>, fn: () => Promise<T>): Promise<T | null> {
      if (get().busy) return null;
      set({ busy, error: null, done: null });
      try {
        const r = await fn();
        set({ busy: null });
        return r;
      } catch (e) {
        set({ busy: null, error: errorMessage(e) });
        return null;
      } finally {
        void get().load();
      }
    }
    return {
      open: false,
      balance: null,
      coins: [],
      coinCount: 0,
      history: [],
      loading: false,
      busy: null,
      error: null,
      done: null,
      exported: null,
      show() {
        set({ open: true, error: null, done: null, exported: null });
        void get().load();
      },
      hide() {
        set({ open: false, exported: null });
      },
      async load() {
        set({ loading: true });
        try {
          const [balance, coins, history] = await Promise.all([
            runtime.invoke('wallet.balance', {}),
            runtime.invoke('wallet.coins', {}),
            runtime.invoke('wallet.history', { limit: 100 }),
          ]);
          set({ balance, coins: coins.items, coinCount: coins.total, history, loading: false });
        } catch (e) {
          set({ loading: false, error: errorMessage(e) });
        }
      },
      async fund() {
        const r = await run('fund', () => runtime.invoke('wallet.fund', {}));
        if (r) set({ done: `Received ${r.amount} CC of test Chips (test money, not real) in ${r.accepted} coins.` });
        return !!r;
      },
      async importFile(file) {
        if (file.size === 0 || file.size > WALLET_FILE_MAX) {
          set({ error: `${file.name} is not a coin file: coin files are small (at most 1 MiB).`, done: null });
          return false;
        }
        const r = await run('import', async () =>
          runtime.invoke('wallet.import', { data: toBase64(new Uint8Array(await file.arrayBuffer())) }),
        );
        if (!r) return false;
        const parts = [`${r.accepted} coin${r.accepted === 1 ? '' : 's'} worth ${r.amount} CC imported`];
        if (r.rejected) parts.push(`${r.rejected} refused (counterfeit or already held)`);
        if (r.limbo) parts.push(`${r.limbo} undecided (checked again later)`);
        set({ done: `${parts.join('; ')}.`, ...(r.accepted === 0 ? { error: `Nothing in ${file.name} could be taken.` } : {}) });
        return r.accepted > 0;
      },
      async exportAmount(amount) {
        const a = amount.trim();
        if (!AMOUNT_PATTERN.test(a) || /^0+(\.0+)?$/.test(a)) {
          set({ error: 'Type an amount in CC greater than 0, with at most 8 decimals (for example 12.5).', done: null });
          return null;
        }
        const r = await run('export', () => runtime.invoke('wallet.export', { amount: a }));
        if (!r) return null;
        const file: ExportedFile = {
          name: r.name,
          amount: r.amount,
          ...(r.data ? { blob: new Blob([fromBase64(r.data) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }) } : {}),
          ...(r.path ? { path: r.path } : {}),
        };
        set({
          exported: file,
          done: `${r.amount} CC left the wallet as ${r.coins} coin${r.coins === 1 ? '' : 's'} in ${r.name}. Keep the file safe: whoever has it has the coins.`,
        });
        return file;
      },
    };
  });
}
