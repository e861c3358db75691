// Legacy (IMAP/POP3 + SMTP) accounts: Settings → Accounts (add with a preset, edit, remove,
// test connection, sign in with the provider), and sending through an account: replies and
// forwards of email read in the main window's folders (where the accounts' mail is listed
// and read with qmail), new email, and qmail to plain addresses after the gateway
// confirmation. Passwords go to the main process and never come back.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  LegacyAccount,
  LegacyAccountInput,
  LegacySignIn,
  LegacySignInInput,
  LegacyTestResult,
  MessageView,
  RequestInput,
} from '../../../../shared/ipc/contract.js';
import { legacyAttachmentLimit } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';
import { attachStaged } from '../composer/upload.js';

export type PresetName = LegacyAccountInput['preset'];

/** Server settings each preset fills in (the generic one starts empty). */
export const PRESETS: Record<PresetName, { label: string; incoming: LegacyAccountInput['incoming']; smtp: LegacyAccountInput['smtp'] }> = {
  gmail: {
    label: 'Gmail',
    incoming: { kind: 'imap', host: 'imap.gmail.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.gmail.com', port: 465, tls: 'implicit' },
  },
  outlook: {
    label: 'Outlook',
    incoming: { kind: 'imap', host: 'outlook.office365.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.office365.com', port: 587, tls: 'starttls' },
  },
  yahoo: {
    label: 'Yahoo',
    incoming: { kind: 'imap', host: 'imap.mail.yahoo.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.mail.yahoo.com', port: 465, tls: 'implicit' },
  },
  generic: {
    label: 'Other (IMAP or POP3 + SMTP)',
    incoming: { kind: 'imap', host: '', port: 993, tls: 'implicit' },
    smtp: { host: '', port: 465, tls: 'implicit' },
  },
};

export type Outgoing = RequestInput<'legacy.send'>;

/** The presets that can sign in with their provider (OAuth2) when the app has a client id for them. */
export type OAuthPreset = 'gmail' | 'outlook';
export const PROVIDER_NAMES: Record<OAuthPreset, string> = { gmail: 'Google', outlook: 'Microsoft' };

/** How often a waiting browser sign-in is asked about. */
export const SIGN_IN_POLL_MS = 1000;

/** A qmail handed over by the composer because it is addressed to plain email addresses. */
export interface GatewayDraft {
  to: string[];
  subject: string;
  body: string;
  document?: string;
}

/**
 * A file going with the email: streamed to the main process (staged, with progress, sent by
 * its upload id) or, in a forward, one of the original's attachments (its index; the main
 * process fetches it).
 */
export interface EmailAttachment {
  key: number;
  name: string;
  size: number;
  /** Bytes streamed so far while staging. */
  uploaded?: number;
  /** Its upload id once every byte is in. */
  staged?: string;
  /** A forwarded attachment: its index in the original. */
  forwarded?: number;
}

const PROVIDER_LABEL: Record<PresetName, string> = { gmail: 'Gmail', outlook: 'Outlook', yahoo: 'Yahoo', generic: 'this account' };
const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

/** An email the user answers or forwards through its account (read in the unified folders). */
export interface EmailAnswer {
  kind: 'reply' | 'forward';
  id: string;
  accountId: string;
  from: string;
  fromName?: string;
  to: string[];
  subject: string;
  body: string;
  date: number;
  /** Encrypted with QMail over email: the sender's QMail address (a reply is encrypted for it). */
  qmailSender?: string;
}

/** What the Email window needs to answer or forward an email the reader shows (null for qmail). */
export function emailAnswer(kind: EmailAnswer['kind'], m: MessageView): EmailAnswer | null {
  if (!m.origin) return null;
  return {
    kind,
    id: m.id,
    accountId: m.origin.accountId,
    from: m.from,
    ...(m.fromName ? { fromName: m.fromName } : {}),
    to: m.to,
    subject: m.subject,
    body: m.body,
    date: m.date,
    ...(m.legacy?.secure ? { qmailSender: m.legacy.secure.sender } : {}),
  };
}

export interface AccountsStore {
  dialogOpen: boolean;
  /** The Email window (the accounts' mail). */
  mailOpen: boolean;
  prefill: GatewayDraft | null;
  /** The email being answered or forwarded, when the Email window opened for that. */
  answer: EmailAnswer | null;
  /** Opens the Email window on a reply to (or a forward of) an email the reader shows. */
  reply(m: MessageView): void;
  forward(m: MessageView): void;
  accounts: LegacyAccount[];
  busy: 'saving' | 'testing' | 'syncing' | 'signing-in' | null;
  error: string | null;
  saved: string | null;
  test: LegacyTestResult | null;
  /** The message waiting for the gateway confirmation (a plain address among the recipients). */
  confirm: Outgoing | null;
  sent: string | null;
  /** Presets whose provider sign-in is set up here (the main process has their client ids). */
  oauthPresets: OAuthPreset[];
  /** The browser sign-in under way or just ended: its state and the provider's page, never a token. */
  signIn: LegacySignIn | null;
  /** The custom CA field as the main process read it: its certificates, or what is wrong with it. */
  caCheck: { ok: boolean; message: string } | null;
  show(): void;
  hide(): void;
  openMail(): void;
  closeMail(): void;
  /** Opens the Email window on a new email holding what the composer had. */
  gateway(d: GatewayDraft): void;
  load(): Promise<void>;
  add(a: LegacyAccountInput): Promise<boolean>;
  edit(id: string, a: Omit<LegacyAccountInput, 'password'> & { password?: string }): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  runTest(a: LegacyAccountInput): Promise<void>;
  /** Test connection of a saved account (a signed-in one too). */
  testSaved(id: string): Promise<void>;
  /** Starts the browser sign-in that adds the account; follows it until it ends. */
  startSignIn(a: LegacySignInInput): Promise<boolean>;
  cancelSignIn(): Promise<void>;
  checkCa(pem: string): Promise<boolean>;
  clearCa(): void;
  sync(id?: string): Promise<void>;
  /** The files going with the email being written (a forward starts with the original's). */
  attachments: EmailAttachment[];
  /** Why a file could not be attached (too big for the account, unreadable), or why Send waits. */
  attachError: string | null;
  /** Streams a file to the main process with progress; refused at once when the account's limit would be passed. */
  attachFile(file: Blob, name: string, preset: PresetName): Promise<void>;
  removeAttachment(key: number): void;
  /** Drops every attachment (staged ones are discarded in the main process). */
  clearAttachments(): void;
  /** Asks for the gateway confirmation; nothing leaves before confirmSend. */
  requestSend(m: Outgoing): void;
  cancelSend(): void;
  confirmSend(): Promise<boolean>;
}

export function createAccountsStore(runtime: Runtime): StoreApi<AccountsStore> {
  return createStore<AccountsStore>()((set, get) => {
    async function attempt<T>(busy: AccountsStore['busy'], fn: () => Promise<T>): Promise<T | undefined> {
      // A sync runs after an add: the "Added" line stays while it does.
      set({ busy, error: null, ...(busy === 'syncing' ? {} : { saved: null }) });
      try {
        const r = await fn();
        set({ busy: null });
        return r;
      } catch (e) {
        set({ busy: null, error: errorMessage(e) });
        return undefined;
      }
    }
    let nextKey = 1;
    const discard = (list: EmailAttachment[]) => {
      for (const a of list) if (a.staged) void runtime.invoke('attachments.discard', { id: a.staged }).catch(() => undefined);
    };
    return {
      dialogOpen: false,
      mailOpen: false,
      prefill: null,
      answer: null,
      reply(m) {
        const answer = emailAnswer('reply', m);
        if (!answer) return;
        // A reply does not carry the original's attachments (as every mail client).
        get().clearAttachments();
        set({ mailOpen: true, prefill: null, answer, confirm: null, sent: null, error: null });
      },
      forward(m) {
        const answer = emailAnswer('forward', m);
        if (!answer) return;
        get().clearAttachments();
        // A forward carries the original's attachments; each can be removed before Send.
        const attachments = (m.attachments ?? []).map((a) => ({ key: nextKey++, name: a.name, size: a.size, forwarded: a.index }));
        set({ mailOpen: true, prefill: null, answer, confirm: null, sent: null, error: null, attachments });
      },
      accounts: [],
      busy: null,
      error: null,
      saved: null,
      test: null,
      confirm: null,
      sent: null,
      oauthPresets: [],
      signIn: null,
      caCheck: null,
      show() {
        set({ dialogOpen: true, error: null, saved: null, test: null, caCheck: null });
        void get().load();
        void runtime.invoke('accounts.oauthPresets', {}).then(
          (r) => set({ oauthPresets: r.presets }),
          () => set({ oauthPresets: [] }),
        );
      },
      hide() {
        set({ dialogOpen: false });
      },
      openMail() {
        set({ mailOpen: true });
      },
      closeMail() {
        if (!get().confirm) get().clearAttachments();
        set({ mailOpen: false, prefill: null, answer: null });
      },
      gateway(d) {
        get().clearAttachments();
        set({ mailOpen: true, prefill: d, answer: null, confirm: null, sent: null, error: null });
      },
      async load() {
        try {
          set({ accounts: await runtime.invoke('accounts.list', {}) });
        } catch (e) {
          set({ error: errorMessage(e) });
        }
      },
      async add(a) {
        set({ test: null });
        const v = await attempt('saving', () => runtime.invoke('accounts.add', { account: a }));
        if (!v) return false;
        set({ accounts: [...get().accounts, v], saved: `Added ${v.name}.` });
        void get().sync(v.id);
        return true;
      },
      async edit(id, a) {
        const v = await attempt('saving', () => runtime.invoke('accounts.edit', { id, account: a }));
        if (!v) return false;
        set({ accounts: get().accounts.map((x) => (x.id === id ? v : x)), saved: `Saved ${v.name}.` });
        return true;
      },
      async remove(id) {
        const name = get().accounts.find((a) => a.id === id)?.name ?? 'the account';
        const ok = await attempt('saving', () => runtime.invoke('accounts.remove', { id }));
        if (!ok) return false;
        set({
          accounts: get().accounts.filter((a) => a.id !== id),
          saved: `Removed ${name}.`,
        });
        return true;
      },
      async runTest(a) {
        set({ test: null });
        const r = await attempt('testing', () => runtime.invoke('accounts.test', { account: a }));
        if (r) set({ test: r });
      },
      async testSaved(id) {
        set({ test: null });
        const r = await attempt('testing', () => runtime.invoke('accounts.testSaved', { id }));
        if (r) set({ test: r });
      },
      async startSignIn(a) {
        const waiting = get().signIn;
        if (waiting?.state === 'waiting') await get().cancelSignIn();
        set({ test: null, signIn: null });
        const started = await attempt('saving', () => runtime.invoke('accounts.signIn', { account: a }));
        if (!started) return false;
        set({ signIn: started, busy: 'signing-in' });
        // Followed while it is this one and waiting: Cancel or a newer start ends the loop.
        const live = () => get().signIn?.id === started.id && get().signIn?.state === 'waiting';
        let cur = started;
        while (cur.state === 'waiting') {
          await new Promise((r) => setTimeout(r, SIGN_IN_POLL_MS));
          if (!live()) return false;
          try {
            cur = await runtime.invoke('accounts.signInStatus', { id: started.id });
          } catch (e) {
            set({ busy: null, error: errorMessage(e) });
            return false;
          }
          if (!live()) return false;
          set({ signIn: cur });
        }
        set({ busy: null });
        if (cur.state === 'failed') {
          set({ error: cur.error?.message ?? 'The sign-in failed.' });
          return false;
        }
        if (cur.state !== 'done' || !cur.account) return false;
        const v = cur.account;
        set({ accounts: [...get().accounts.filter((x) => x.id !== v.id), v] });
        // Test connection by the saved sign-in: the stage that fails is named, as for a password.
        await get().testSaved(v.id);
        set({ saved: `Signed in and added ${v.name}.` });
        void get().sync(v.id);
        return true;
      },
      async cancelSignIn() {
        const cur = get().signIn;
        if (!cur || cur.state !== 'waiting') return;
        set({ signIn: { ...cur, state: 'cancelled' }, busy: null });
        await runtime.invoke('accounts.signInCancel', { id: cur.id }).catch(() => undefined);
      },
      async checkCa(pem) {
        try {
          const r = await runtime.invoke('accounts.checkCa', { pem });
          const names = r.certificates.map((c) => `${c.subject} (until ${c.validTo.slice(0, 10)})`).join('; ');
          set({ caCheck: { ok: true, message: `Trusted besides the system’s: ${names}.` } });
          return true;
        } catch (e) {
          set({ caCheck: { ok: false, message: errorMessage(e) } });
          return false;
        }
      },
      clearCa() {
        set({ caCheck: null });
      },
      async sync(id) {
        const ids = id ? [id] : get().accounts.map((a) => a.id);
        await attempt('syncing', async () => {
          for (const x of ids) await runtime.invoke('accounts.sync', { id: x });
        });
      },
      attachments: [],
      attachError: null,
      async attachFile(file, name, preset) {
        const limit = legacyAttachmentLimit(preset);
        const total = get().attachments.reduce((n, a) => n + a.size, 0) + file.size;
        if (total > limit) {
          set({
            attachError: `${name} is ${mb(file.size)}: with the other attachments that is ${mb(total)}, over the ${mb(limit)} ${PROVIDER_LABEL[preset]} takes in one email.`,
          });
          return;
        }
        set({ attachError: null });
        await attachStaged(
          runtime,
          file,
          name,
          nextKey++,
          { get: () => get().attachments, set: (attachments) => set({ attachments }) },
          (attachError) => set({ attachError }),
        );
      },
      removeAttachment(key) {
        discard(get().attachments.filter((a) => a.key === key));
        set({ attachments: get().attachments.filter((a) => a.key !== key), attachError: null });
      },
      clearAttachments() {
        discard(get().attachments);
        set({ attachments: [], attachError: null });
      },
      requestSend(m) {
        set({ confirm: m, sent: null, error: null });
      },
      cancelSend() {
        // Back leaves the message unsent and its form closed: its staged files go too.
        get().clearAttachments();
        set({ confirm: null });
      },
      async confirmSend() {
        const m = get().confirm;
        if (!m) return false;
        const r = await attempt('saving', () => runtime.invoke('legacy.send', m));
        if (!r) return false;
        // The main process dropped the staged files once the email went.
        set({
          confirm: null,
          attachments: [],
          attachError: null,
          // Sent, but its copy in Sent failed: said, and not offered again (it would go twice).
          sent: r.warning ?? `Sent through ${get().accounts.find((a) => a.id === m.accountId)?.name ?? 'the account'}.`,
        });
        return true;
      },
    };
  });
}
