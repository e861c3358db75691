// Our inbox's fees and lists as our beacon holds them (fees.mine / fees.set / fees.list): the
// Tip settings screen, and the reader's "let them in free" and "block" on a sender, each
// confirmed by a notice (a toast).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { InboxSettings } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';
import { resolveRecipients, splitAddresses } from '../composer/store.js';
import { ccUnits } from './quote.js';

export type FeeList = 'white' | 'black';

export const LIST_NAMES: Record<FeeList, string> = { white: 'white list', black: 'black list' };

/** Class rejection: 0 takes anyone; N refuses senders whose address class (its middle number) is below N. */
export const CLASS_CHOICES = [0, 1, 2, 3, 4, 5, 6] as const;

/** A class rejection in words, as the screen's choice and its explanation show it. */
export function classWords(n: number): string {
  if (n === 0) return 'Take mail from any address';
  const cc = 10 ** n;
  return `Only addresses of class ${n} and up (worth ${cc.toLocaleString('en-US')} CC or more)`;
}

export interface FeesNotice {
  kind: 'done' | 'failed';
  text: string;
}

export interface FeesStore {
  open: boolean;
  settings: InboxSettings | null;
  loading: boolean;
  /** What is being saved, for its busy label. */
  busy: 'fee' | 'class' | 'contacts' | FeeList | null;
  /** The screen's error (the last request that failed). */
  error: string | null;
  /** Why an address typed into a list's field cannot be added, shown at that field. */
  fieldError: { list: FeeList; message: string } | null;
  /** A confirmation or a failure, shown as a toast (the reader's actions, and the screen's changes). */
  notice: FeesNotice | null;
  show(): void;
  hide(): void;
  load(): Promise<void>;
  setFee(text: string): Promise<boolean>;
  setClassRejection(n: number): Promise<boolean>;
  setContactsFree(on: boolean): Promise<boolean>;
  /** Adds the addresses (or directory names) typed in a list's field. */
  addTyped(list: FeeList, text: string): Promise<boolean>;
  /** Adds one address to a list (from the reader: let this sender in free, or block them). */
  add(list: FeeList, address: string, name?: string): Promise<boolean>;
  remove(list: FeeList, address: string, name?: string): Promise<boolean>;
  dismissNotice(): void;
  /** After a lock: nothing of the inbox stays in memory. */
  reset(): void;
}

const empty = {
  open: false,
  settings: null,
  loading: false,
  busy: null,
  error: null,
  fieldError: null,
  notice: null,
} satisfies Partial<FeesStore>;

export function createFeesStore(runtime: Runtime): StoreApi<FeesStore> {
  let loadGen = 0;
  return createStore<FeesStore>()((set, get) => {
    /** Runs one change; the answer is the settings as they are now. */
    async function change(busy: NonNullable<FeesStore['busy']>, fn: () => Promise<InboxSettings>, done: string): Promise<boolean> {
      if (get().busy) return false;
      set({ busy, error: null });
      try {
        const settings = await fn();
        loadGen++; // an older load must not overwrite this
        set({ busy: null, settings, notice: { kind: 'done', text: done } });
        return true;
      } catch (e) {
        const message = errorMessage(e);
        set({ busy: null, error: message, notice: { kind: 'failed', text: `Not changed: ${message}` } });
        return false;
      }
    }
    const who = (address: string, name?: string) => (name && name !== address ? `${name} (${address})` : address);
    return {
      ...empty,
      show() {
        set({ open: true, error: null, fieldError: null });
        void get().load();
      },
      hide() {
        set({ open: false, error: null, fieldError: null });
      },
      async load() {
        const gen = ++loadGen;
        set({ loading: true });
        try {
          const settings = await runtime.invoke('fees.mine', {});
          if (gen === loadGen) set({ settings, loading: false, error: null });
        } catch (e) {
          if (gen === loadGen) set({ loading: false, error: `Your inbox settings could not be read: ${errorMessage(e)}` });
        }
      },
      async setFee(text) {
        const fee = text.trim() || '0';
        if (ccUnits(fee) === null) {
          set({ error: 'Type the fee in CC, 0 or more, with at most 8 decimals (for example 10 or 0.5).' });
          return false;
        }
        const normal = fee
          .replace(/^0+(?=\d)/, '')
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '');
        return change(
          'fee',
          () => runtime.invoke('fees.set', { fee: normal }),
          normal === '0' ? 'Your inbox is free now: anyone may write without paying.' : `Your inbox fee is ${normal} CC now.`,
        );
      },
      async setClassRejection(n) {
        return change('class', () => runtime.invoke('fees.set', { classRejection: n }), `${classWords(n)}.`);
      },
      async setContactsFree(on) {
        return change(
          'contacts',
          () => runtime.invoke('fees.set', { contactsFree: on }),
          on ? 'Everyone you write to may now write to you free.' : 'People you write to pay your inbox fee like everyone else.',
        );
      },
      async addTyped(list, text) {
        if (get().busy) return false;
        set({ fieldError: null });
        if (!text.trim()) {
          set({ fieldError: { list, message: 'Type a QMail address (like 0006.1.42) or a name from the directory.' } });
          return false;
        }
        const resolved = await resolveRecipients(runtime, text);
        if ('problem' in resolved) {
          set({ fieldError: { list, message: resolved.problem } });
          return false;
        }
        const { ok } = splitAddresses(resolved.text);
        const words = ok.length === 1 ? ok[0]! : `${ok.length} addresses`;
        return change(
          list,
          () => runtime.invoke('fees.list', { list, add: ok, remove: [] }),
          list === 'white' ? `${words} may write to you free now.` : `${words} can no longer write to you.`,
        );
      },
      async add(list, address, name) {
        return change(
          list,
          () => runtime.invoke('fees.list', { list, add: [address], remove: [] }),
          list === 'white'
            ? `${who(address, name)} may write to you free now (on your white list).`
            : `${who(address, name)} is blocked: their mail is refused (on your black list).`,
        );
      },
      async remove(list, address, name) {
        return change(
          list,
          () => runtime.invoke('fees.list', { list, add: [], remove: [address] }),
          list === 'white'
            ? `${who(address, name)} pays your inbox fee again (off your white list).`
            : `${who(address, name)} is no longer blocked (off your black list).`,
        );
      },
      dismissNotice() {
        set({ notice: null });
      },
      reset() {
        loadGen++;
        set({ ...empty });
      },
    };
  });
}
