// The vault/session store: is there a local vault, is it open, and the two actions a
// person takes on it. Wrong passphrases come back as an error code, not an exception.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { VaultState } from '../../../../shared/ipc/contract.js';
import type { ErrorCode } from '../../../../shared/ipc/errors.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { toContractError } from '../../runtime/errors.js';

export type VaultStatus = 'loading' | 'absent' | 'locked' | 'unlocked' | 'unreachable';

export interface VaultStore {
  status: VaultStatus;
  keychain: boolean;
  busy: boolean;
  error: { code: ErrorCode; message: string } | null;
  check(): Promise<void>;
  create(passphrase: string): Promise<boolean>;
  unlock(passphrase: string): Promise<boolean>;
  lock(): Promise<void>;
  apply(state: VaultState): void;
  clearError(): void;
}

export const MIN_PASSPHRASE = 8;

export function createVaultStore(runtime: Runtime): StoreApi<VaultStore> {
  return createStore<VaultStore>()((set, get) => {
    async function run(action: () => Promise<VaultState>): Promise<boolean> {
      if (get().busy) return false;
      set({ busy: true, error: null });
      try {
        get().apply(await action());
        return true;
      } catch (e) {
        const err = toContractError(e);
        set({ error: { code: err.code, message: friendly(err.code, err.message) } });
        return false;
      } finally {
        set({ busy: false });
      }
    }
    return {
      status: 'loading',
      keychain: false,
      busy: false,
      error: null,
      async check() {
        try {
          get().apply(await runtime.invoke('vault.state', {}));
        } catch (e) {
          const err = toContractError(e);
          set({ status: 'unreachable', error: { code: err.code, message: err.message } });
        }
      },
      create(passphrase) {
        if (passphrase.length < MIN_PASSPHRASE) {
          set({ error: { code: 'invalid_input', message: `Use at least ${MIN_PASSPHRASE} characters.` } });
          return Promise.resolve(false);
        }
        return run(() => runtime.invoke('vault.create', { passphrase }));
      },
      unlock(passphrase) {
        if (!passphrase) {
          set({ error: { code: 'wrong_passphrase', message: 'Type your passphrase to unlock.' } });
          return Promise.resolve(false);
        }
        return run(() => runtime.invoke('vault.unlock', { passphrase }));
      },
      async lock() {
        await run(() => runtime.invoke('vault.lock', {}));
      },
      apply(state) {
        set({ status: state.state, keychain: state.keychain, ...(get().status === 'unreachable' ? { error: null } : {}) });
      },
      clearError() {
        set({ error: null });
      },
    };
  });
}

function friendly(code: ErrorCode, message: string): string {
  switch (code) {
    case 'wrong_passphrase':
      return 'That passphrase does not open this vault. Check Caps Lock and try again.';
    case 'vault_exists':
      return 'A vault already exists in this profile. Unlock it instead.';
    case 'vault_absent':
      return 'There is no vault in this profile yet. Create one first.';
    default:
      return message;
  }
}
