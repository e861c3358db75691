// The composer store: one message being written. Saving goes through drafts.save (the first
// save returns the id later saves update); sending goes through mail.send and hands the
// outbox item on. Attachments are read in the renderer and travel base64.
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  composeDocument,
  decodeDocument,
  editorHtml,
  encodeDocument,
  escapeHtml,
  hasFormatting,
  MAX_RICH_BODY_BYTES,
  plainToEditorHtml,
  toPlainText,
} from '../../../../shared/cbdf/index.js';
import { base64Decode, base64Encode } from '../../../../shared/qkd/base64.js';
import { LEVELS } from '../../../../shared/qmail/levels.js';
import { ADDRESS_TEXT } from '../../../../shared/qmail/address.js';
import { MAX_STRIPES } from '../../../../shared/stripe/layout.js';
import {
  Address,
  type Contact,
  type FeeQuote,
  type LevelAvailability,
  type MessageView,
  type OutboxItem,
  type SecurityLevel,
  type StripeLayout,
} from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage, toContractError } from '../../runtime/errors.js';
import { refuses, tipsFor, totalOf } from '../fees/quote.js';
import { attachStaged } from './upload.js';
import { countOf, displayName } from '../../ui/format.js';

export interface DraftFields {
  to: string;
  cc: string;
  subject: string;
  body: string;
}

export interface ComposerAttachment {
  /** Local key for the list (names may repeat). */
  key: number;
  name: string;
  size: number;
  /** base64 of the bytes (small files, and attachments read back from a draft). */
  data?: string;
  /** A large file streamed to the main process (upload.ts): its upload id once complete. */
  staged?: string;
  /** While a large file streams: bytes the main process has. */
  uploaded?: number;
}

export type StripeChoice = Pick<StripeLayout, 'k' | 'p'>;

export interface ComposerStore extends DraftFields {
  open: boolean;
  /**
   * The editor's content as HTML (null: plain text, `body` alone). It becomes CBDF only through
   * shared/cbdf's HTML → CBDF path when saved or sent; `body` is its text as the editor shows it.
   */
  html: string | null;
  /** Changes whenever the editor must load new content (a message opened, a draft reopened). */
  editorSeed: number;
  draftId: string | null;
  dirty: boolean;
  saving: boolean;
  savedAt: number | null;
  error: string | null;
  attachments: ComposerAttachment[];
  level: SecurityLevel;
  stripes: StripeChoice;
  /** What qkd.levels said for the current recipients (null: not asked yet). */
  levels: LevelAvailability[] | null;
  levelsError: string | null;
  sending: boolean;
  /** A reopened draft's attachments are being fetched. */
  restoring: boolean;
  /** A reply: the id of the message it answers (the engine threads it). */
  inReplyTo: string | null;
  /** The servers this identity can spread stripes over (k + p at most this); null until known. */
  maxServers: number | null;
  /** On a network of paid hires: the servers this identity holds a term on (null: free network or unknown). */
  hiredServers: number | null;
  /** Asks the engine for maxServers (and hiredServers). */
  loadStripeLimit(): Promise<void>;
  /** The field that takes focus when the composer opens (the text for a reply, Subject when To is given). */
  focus: 'to' | 'subject' | 'body';
  /** A reply: its title ("Re: …"), kept while the reply is written and saved. */
  replyTitle: string | null;
  /** A recipient that cannot be sent to (a name not picked and not found, an email address), shown at its field. */
  recipientError: { field: 'to' | 'cc'; message: string } | null;
  /** What each recipient's inbox charges (fees.quote), for the addresses in `quotedFor`; null: not asked yet. */
  quotes: FeeQuote[] | null;
  /** The recipients `quotes` answer for (feeKey of the To and Cc fields). */
  quotedFor: string;
  /** The fees are being asked. */
  quoting: boolean;
  /** The wallet's balance in CC, read with the fees (null: unknown). */
  balance: string | null;
  /** Asks what each recipient's inbox charges, and the wallet's balance; a stale answer is dropped. */
  checkFees(): Promise<void>;
  /** A new message, addressed already when `to` is given ("Name <address>"). */
  openNew(to?: string): void;
  openDraft(message: MessageView): void;
  openReply(message: MessageView): void;
  /** A forward: "Fwd: …", no recipients yet, the original quoted under a header naming its sender, date, subject and recipients, its attachments attached again. */
  openForward(message: MessageView): void;
  setField(field: keyof DraftFields, value: string): void;
  /** The editor changed: its HTML and its text. */
  setRich(html: string, text: string): void;
  addAttachment(a: Omit<ComposerAttachment, 'key'>): void;
  /** A large file: streamed to the main process with progress (`uploaded`), sent by reference. */
  attachFile(file: Blob, name: string): Promise<void>;
  removeAttachment(key: number): void;
  setLevel(level: SecurityLevel): void;
  setStripes(s: StripeChoice): void;
  checkLevels(): Promise<void>;
  save(): Promise<boolean>;
  send(): Promise<OutboxItem | null>;
  /** Closes the dialog, saving first when there are unsaved words. */
  close(): Promise<boolean>;
  discard(): void;
}

export interface ComposerHooks {
  onSaved?(id: string): void;
  onSent?(item: OutboxItem): void;
  now?(): number;
}

/** Splits "a@x, b@y; c@z" into addresses; empty pieces are dropped. */
export function parseRecipients(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** "Ada <0006.1.42>" or "0006.1.42" → "0006.1.42"; null when it holds no QMail address. */
export function qmailAddress(recipient: string): string | null {
  const angle = /<([^>]+)>/.exec(recipient)?.[1]?.trim();
  const candidate = angle ?? recipient.trim();
  if (Address.safeParse(candidate).success) return candidate;
  const m = ADDRESS_TEXT.exec(candidate);
  return m && Address.safeParse(m[1]).success ? m[1]! : null;
}

/** Addresses of a recipients field, and the pieces that are not QMail addresses. */
export function splitAddresses(text: string): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const r of parseRecipients(text)) {
    const a = qmailAddress(r);
    if (a) {
      if (!ok.includes(a)) ok.push(a);
    } else bad.push(r);
  }
  return { ok, bad };
}

export const LEVEL_ORDER: SecurityLevel[] = [...LEVELS];
export const DEFAULT_STRIPES: StripeChoice = { k: 4, p: 1 };
export const MAX_ATTACHMENTS_BYTES = 25 * 1024 * 1024;

/** The composer's words under the layout: how many servers it uses, of how many, and what a wider one costs. */
export function layoutNote(s: StripeChoice, maxServers: number | null, hired: number | null): string {
  const n = s.k + s.p;
  const more = hired !== null && n > hired ? n - hired : 0;
  return (
    `${countOf(n, 'server')}${maxServers ? ` of ${maxServers} available` : ''}; survives ${s.p} lost` +
    (more ? `; Send hires and pays ${countOf(more, 'more server')} (${hired} paid for)` : '')
  );
}

export function stripesProblem(s: StripeChoice, maxServers?: number | null): string | null {
  if (!Number.isInteger(s.k) || s.k < 1) return 'At least 1 data stripe.';
  if (!Number.isInteger(s.p) || s.p < 0) return 'Parity stripes cannot be negative.';
  if (s.k + s.p < 2 || s.k + s.p > MAX_STRIPES) return `Data plus parity stripes is between 2 and ${MAX_STRIPES}.`;
  if (maxServers != null && s.k + s.p > maxServers)
    return `Only ${countOf(maxServers, 'server')} can be used on this network: data plus parity stripes is at most ${maxServers}.`;
  return null;
}

/** Whether a level can be chosen now, and if not why (L3/L4 need nothing beyond the recipients' keys). */
export function levelState(
  level: SecurityLevel,
  levels: LevelAvailability[] | null,
  levelsError: string | null,
  hasRecipients: boolean,
): { available: boolean; reason?: string } {
  const known = levels?.find((l) => l.level === level);
  if (known) return known.available ? { available: true } : { available: false, reason: known.reason ?? 'not available now' };
  if (level === 'L3' || level === 'L4') return { available: true };
  if (levelsError) return { available: false, reason: levelsError };
  if (!hasRecipients) return { available: false, reason: 'add a QMail recipient to check the quantum keys' };
  return { available: false, reason: 'checking the quantum keys…' };
}

const blank = {
  to: '',
  cc: '',
  subject: '',
  body: '',
  html: null as string | null,
  draftId: null,
  dirty: false,
  saving: false,
  savedAt: null,
  error: null,
  attachments: [] as ComposerAttachment[],
  level: 'L3' as SecurityLevel,
  stripes: DEFAULT_STRIPES,
  levels: null,
  levelsError: null,
  sending: false,
  restoring: false,
  inReplyTo: null as string | null,
  focus: 'to' as 'to' | 'subject' | 'body',
  replyTitle: null,
  recipientError: null,
  quotes: null as FeeQuote[] | null,
  quotedFor: '',
  quoting: false,
  balance: null as string | null,
};

/** The recipients of the To and Cc fields, each once. */
export function recipientAddresses(s: Pick<DraftFields, 'to' | 'cc'>): string[] {
  return [...new Set([...splitAddresses(s.to).ok, ...splitAddresses(s.cc).ok])];
}
/** Which recipients a quote answers for. */
export const feeKey = (addresses: readonly string[]): string => addresses.join(',');

/** The quoted original under a reply, headed by the sender as the directory knows them. */
export function quote(m: Pick<MessageView, 'from' | 'fromName' | 'date' | 'body'>, locale?: string): string {
  const when = new Date(m.date).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const who = m.fromName?.trim() || displayName(m.from);
  return `\n\n${who} wrote on ${when}:\n${m.body
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')}`;
}

/** The original under a reply as editor HTML: the same header, then the original (formatted when it was) in a quote block. */
export function quoteHtml(m: Pick<MessageView, 'from' | 'fromName' | 'date' | 'body' | 'document'>, locale?: string): string {
  const header = quote({ ...m, body: '' }, locale)
    .trim()
    .replace(/\n>\s*$/, '');
  return `<br><br>${escapeHtml(header)}<blockquote>${originalHtml(m)}</blockquote>`;
}

/** The original under a forward as editor HTML: who sent it, when, its subject and recipients, then the original in a quote block. */
export function forwardHtml(
  m: Pick<MessageView, 'from' | 'fromName' | 'date' | 'subject' | 'to' | 'toNames' | 'body' | 'document'>,
  locale?: string,
): string {
  const when = new Date(m.date).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const named = (address: string, name: string | undefined) => (name && name !== address ? `${name} <${address}>` : address);
  const lines = [
    'Forwarded message',
    `From: ${named(m.from, m.fromName)}`,
    `Date: ${when}`,
    `Subject: ${m.subject || '(no subject)'}`,
    `To: ${m.to.map((a) => named(a, m.toNames?.[a])).join(', ')}`,
  ];
  return `<br><br>${lines.map(escapeHtml).join('<br>')}<blockquote>${originalHtml(m)}</blockquote>`;
}

/** A message's text as editor HTML: its formatted body when it has one that decodes, else its plain text. */
export function originalHtml(m: Pick<MessageView, 'body' | 'document'>): string {
  if (m.document) {
    try {
      return editorHtml(decodeDocument(base64Decode(m.document)));
    } catch {
      /* a body that does not decode is shown as its text */
    }
  }
  return plainToEditorHtml(m.body);
}

/**
 * What a save or send carries: the plain text alone when the editor holds no formatting, else
 * the CBDF document made from the editor's HTML (the sanitizing path) and its plain text.
 */
export function bodyPayload(s: Pick<DraftFields, 'body'> & { html: string | null }): { body: string; document?: string } {
  if (s.html === null) return { body: s.body };
  const doc = composeDocument(s.html);
  if (!hasFormatting(doc)) return { body: s.body };
  const bytes = encodeDocument(doc);
  if (bytes.length > MAX_RICH_BODY_BYTES)
    throw new Error(
      `The formatted text with its inline images is ${Math.ceil(bytes.length / 1048576)} MB; at most ${MAX_RICH_BODY_BYTES / 1048576} MB can be sent inline. Attach large pictures as files instead.`,
    );
  return { body: toPlainText(doc).trimEnd(), document: base64Encode(bytes) };
}

/**
 * Names typed in a recipients field but not picked from the suggestions: each becomes
 * "Name <address>" when exactly one directory entry has that name (or address); otherwise
 * the first piece that cannot be sent to is reported, in words for the user.
 */
export async function resolveRecipients(runtime: Runtime, text: string): Promise<{ text: string } | { problem: string }> {
  const pieces = parseRecipients(text);
  const out: string[] = [];
  for (const piece of pieces) {
    if (qmailAddress(piece)) {
      out.push(piece);
      continue;
    }
    if (piece.includes('@'))
      return { problem: `“${piece}” is an email address; QMail sends to QMail addresses (they look like 0006.1.42).` };
    let found: Contact[];
    try {
      found = await runtime.invoke('directory.search', { query: piece, limit: 10 });
    } catch (e) {
      return { problem: `“${piece}” could not be looked up in the directory: ${errorMessage(e)}` };
    }
    const exact = found.filter((c) => c.name.trim().toLowerCase() === piece.toLowerCase());
    if (exact.length === 1) out.push(`${exact[0]!.name} <${exact[0]!.address}>`);
    else if (exact.length > 1)
      return { problem: `${exact.length} people in the directory are called “${piece}”: pick one from the suggestions.` };
    else if (found.length > 0)
      return {
        problem: `No one in the directory is called exactly “${piece}”. Did you mean ${found[0]!.name}? Pick a name from the suggestions.`,
      };
    else
      return {
        problem: `No one in the directory is called “${piece}”. Type part of a name and pick it from the suggestions, or a QMail address like 0006.1.42.`,
      };
  }
  return { text: out.join(', ') };
}

/** A message as a sentence: ends with a full stop. */
const sentence = (m: string): string => (/[.!?…]$/.test(m.trim()) ? m.trim() : `${m.trim()}.`);

const unknownQuote = (address: string): FeeQuote => ({ address, kind: 'unknown', fee: '0', reason: 'their inbox did not answer' });

/** Everything a draft keeps, to tell whether a save caught the latest edits. */
function draftKey(s: DraftFields & { html: string | null; level: SecurityLevel; stripes: StripeChoice }): string {
  return JSON.stringify([s.to, s.cc, s.subject, s.body, s.html, s.level, s.stripes.k, s.stripes.p]);
}

/** The attachments that travel inline (base64) with the message or draft. */
function inline(list: readonly ComposerAttachment[]): { name: string; data: string }[] {
  return list.flatMap((a) => (a.data !== undefined ? [{ name: a.name, data: a.data }] : []));
}

export function createComposerStore(runtime: Runtime, hooks: ComposerHooks = {}): StoreApi<ComposerStore> {
  const now = hooks.now ?? (() => Date.now());
  let nextKey = 1;
  let levelsGen = 0;
  let feesGen = 0;
  // Attachments travel with a save only when they changed since the draft last had them
  // (drafts.save keeps a draft's attachments when none are given), so autosave stays light.
  let attachmentsRev = 0;
  let savedAttachmentsRev = -1;
  /** Set when a reopened draft's attachments could not be read back: sending would lose them. */
  let restoreProblem: string | null = null;
  const fresh = () => {
    attachmentsRev++;
    savedAttachmentsRev = -1;
    restoreProblem = null;
  };
  let seed = 0;
  return createStore<ComposerStore>()((set, get) => ({
    open: false,
    ...blank,
    editorSeed: seed,
    maxServers: null,
    hiredServers: null,
    async loadStripeLimit() {
      try {
        const { maxServers, hired } = await runtime.invoke('mail.stripeLimit', {});
        set({ maxServers, hiredServers: hired ?? null });
        // A layout chosen before the limit was known shrinks to fit, keeping the parity if it can.
        // Where servers are paid for, the default fits the ones paid for: a wider layout stays
        // possible, but as the user's choice (it hires and pays more), never by default.
        const st = get().stripes;
        const fit = hired !== undefined && hired >= 2 && !get().draftId ? Math.min(hired, maxServers) : maxServers;
        if (fit >= 2 && st.k + st.p > fit) {
          const p = Math.min(st.p, Math.max(0, fit - 2), 2);
          set({ stripes: { k: fit - p, p } });
        }
      } catch {
        /* unknown: the engine still refuses a layout that does not fit, with the limit in the error */
      }
    },
    openNew(to) {
      fresh();
      set({ open: true, ...blank, editorSeed: ++seed, ...(to ? { to, focus: 'subject' as const } : {}) });
      if (to) void get().checkLevels();
    },
    openDraft(message) {
      fresh();
      savedAttachmentsRev = attachmentsRev; // the draft holds its attachments already
      const d = message.draft;
      const toRestore = message.attachments ?? [];
      set({
        open: true,
        ...blank,
        draftId: message.id,
        inReplyTo: d?.inReplyTo ?? null,
        to: message.to.join(', '),
        cc: d?.cc.join(', ') ?? '',
        subject: message.subject,
        body: message.body,
        html: message.document ? originalHtml(message) : null,
        editorSeed: ++seed,
        ...(d ? { level: d.level, stripes: { k: d.stripes.k, p: d.stripes.p } } : {}),
        restoring: toRestore.length > 0,
      });
      void get().checkLevels();
      if (toRestore.length === 0) return;
      void (async () => {
        const loaded: ComposerAttachment[] = [];
        let failed: string | null = null;
        for (const a of toRestore) {
          try {
            const f = await runtime.invoke('mail.attachment', { id: message.id, index: a.index });
            loaded.push({ key: nextKey++, name: f.name, size: f.size, data: f.data });
          } catch (e) {
            failed = `${a.name} could not be read back from the draft: ${errorMessage(e)}`;
            break;
          }
        }
        if (!get().open || get().draftId !== message.id) return;
        if (failed) {
          // Keep the draft's stored attachments rather than saving over them with fewer.
          restoreProblem = `${failed}. Close and open the draft again before sending.`;
          set({ restoring: false, error: restoreProblem });
          return;
        }
        const unchanged = savedAttachmentsRev === attachmentsRev;
        set({ restoring: false, attachments: [...loaded, ...get().attachments] });
        if (unchanged) savedAttachmentsRev = ++attachmentsRev;
        else attachmentsRev++;
      })();
    },
    openReply(message) {
      const subject = /^re:/i.test(message.subject) ? message.subject : `Re: ${message.subject || '(no subject)'}`;
      const level =
        message.level === 'L1' || message.level === 'L2' || message.level === 'L3' || message.level === 'L4' ? message.level : 'L3';
      // Replying to something we sent writes to its recipients again.
      const named = (address: string, name: string | undefined) => (name && name !== address ? `${name} <${address}>` : address);
      const to =
        message.folder === 'sent'
          ? message.to.map((a) => named(a, message.toNames?.[a])).join(', ')
          : named(message.from, message.fromName);
      fresh();
      set({
        open: true,
        ...blank,
        to,
        subject,
        body: quote(message),
        html: quoteHtml(message),
        editorSeed: ++seed,
        level,
        dirty: true,
        focus: 'body',
        replyTitle: subject,
      });
      set({ inReplyTo: message.folder === 'drafts' ? null : message.id });
      void get().checkLevels();
    },
    openForward(message) {
      const subject = /^fwd?:/i.test(message.subject) ? message.subject : `Fwd: ${message.subject || '(no subject)'}`;
      const html = forwardHtml(message);
      const toLoad = message.attachments ?? [];
      fresh();
      const mine = ++seed;
      set({
        open: true,
        ...blank,
        subject,
        body: `\n\n${message.body}`,
        html,
        editorSeed: mine,
        dirty: true,
        focus: 'to',
        replyTitle: subject,
        restoring: toLoad.length > 0,
      });
      if (toLoad.length === 0) return;
      void (async () => {
        const loaded: ComposerAttachment[] = [];
        const failed: string[] = [];
        for (const a of toLoad) {
          try {
            const f = await runtime.invoke('mail.attachment', { id: message.id, index: a.index });
            loaded.push({ key: nextKey++, name: f.name, size: f.size, data: f.data });
          } catch (e) {
            failed.push(`${a.name} could not be read: ${errorMessage(e)}`);
          }
        }
        if (!get().open || get().editorSeed !== mine) return;
        attachmentsRev++;
        set({
          restoring: false,
          attachments: [...loaded, ...get().attachments],
          ...(failed.length ? { error: `${failed.join('; ')}. It is not attached.` } : {}),
        });
      })();
    },
    setField(field, value) {
      const clears = get().recipientError?.field === field;
      set({ [field]: value, dirty: true, ...(clears ? { recipientError: null } : {}) } as Partial<ComposerStore>);
    },
    setRich(html, text) {
      set({ html, body: text, dirty: true });
    },
    addAttachment(a) {
      attachmentsRev++;
      set({ attachments: [...get().attachments, { ...a, key: nextKey++ }], error: null, dirty: true });
    },
    async attachFile(file, name) {
      set({ error: null, dirty: true });
      await attachStaged(
        runtime,
        file,
        name,
        nextKey++,
        { get: () => get().attachments, set: (attachments) => set({ attachments }) },
        (error) => set({ error }),
      );
    },
    removeAttachment(key) {
      attachmentsRev++;
      const staged = get().attachments.find((a) => a.key === key)?.staged;
      if (staged) void runtime.invoke('attachments.discard', { id: staged }).catch(() => undefined);
      set({ attachments: get().attachments.filter((a) => a.key !== key), dirty: true });
    },
    setLevel(level) {
      set({ level, error: null, dirty: get().dirty || level !== get().level });
    },
    setStripes(stripes) {
      set({ stripes, dirty: true });
    },
    async checkLevels() {
      const s = get();
      const to = [...splitAddresses(s.to).ok, ...splitAddresses(s.cc).ok];
      const gen = ++levelsGen;
      if (to.length === 0 || stripesProblem(s.stripes)) {
        set({ levels: null, levelsError: null });
        return;
      }
      try {
        const bodyBytes =
          Math.max(new TextEncoder().encode(s.body).length, Math.ceil(((s.html ?? '').length * 3) / 4)) +
          s.attachments.reduce((n, a) => n + a.size, 0);
        const { levels } = await runtime.invoke('qkd.levels', { to, bodyBytes, stripes: s.stripes });
        if (gen === levelsGen) set({ levels, levelsError: null });
      } catch (e) {
        if (gen === levelsGen) set({ levels: null, levelsError: `the quantum keys could not be checked: ${errorMessage(e)}` });
      }
    },
    async checkFees() {
      const to = recipientAddresses(get());
      const key = feeKey(to);
      const gen = ++feesGen;
      if (to.length === 0) {
        set({ quotes: null, quotedFor: '', quoting: false });
        return;
      }
      set({ quoting: true });
      const [quotes, balance] = await Promise.all([
        runtime.invoke('fees.quote', { to }).catch((e: unknown): FeeQuote[] =>
          // Unreadable fees: each recipient says why, and Send offers nothing (a free inbox still takes the qmail).
          to.map((address) => ({ address, kind: 'unknown', fee: '0', reason: errorMessage(e) })),
        ),
        runtime.invoke('wallet.balance', {}).then(
          (b) => b.total,
          () => null,
        ),
      ]);
      if (gen !== feesGen || !get().open) return;
      set({ quotes: to.map((a) => quotes.find((q) => q.address === a) ?? unknownQuote(a)), quotedFor: key, quoting: false, balance });
    },
    async save() {
      const s = get();
      if (s.saving) return false;
      set({ saving: true, error: null });
      const key = draftKey(s);
      const rev = attachmentsRev;
      // Until a reopened draft's attachments are back, the draft keeps its stored ones.
      const withAttachments = !s.restoring && (!s.draftId || savedAttachmentsRev !== rev);
      try {
        const { id } = await runtime.invoke('drafts.save', {
          ...(s.draftId ? { id: s.draftId } : {}),
          to: parseRecipients(s.to),
          cc: parseRecipients(s.cc),
          subject: s.subject,
          ...bodyPayload(s),
          level: s.level,
          // A layout the contract would refuse is left out (the draft keeps its last good one).
          ...(stripesProblem(s.stripes) ? {} : { stripes: { k: s.stripes.k, p: s.stripes.p } }),
          // A streamed file is not kept in the draft (drafts hold inline attachments only).
          ...(withAttachments ? { attachments: inline(s.attachments) } : {}),
          ...(s.inReplyTo ? { inReplyTo: s.inReplyTo } : {}),
        });
        if (withAttachments) savedAttachmentsRev = rev;
        const after = get();
        if (!after.open) return true; // sent or discarded meanwhile
        const unchanged = draftKey(after) === key && attachmentsRev === rev;
        set({ draftId: id, saving: false, savedAt: now(), dirty: unchanged ? false : after.dirty });
        hooks.onSaved?.(id);
        return true;
      } catch (e) {
        set({ saving: false, error: `The draft was not saved: ${errorMessage(e)}` });
        return false;
      }
    },
    async send() {
      if (get().sending) return null;
      // A name typed but not picked is looked up; the composer stays open, saying why, when that fails.
      for (const field of ['to', 'cc'] as const) {
        if (splitAddresses(get()[field]).bad.length === 0) continue;
        set({ sending: true, error: null, recipientError: null });
        const r = await resolveRecipients(runtime, get()[field]);
        set({ sending: false });
        if (!get().open) return null;
        if ('problem' in r) {
          set({ recipientError: { field, message: r.problem } });
          return null;
        }
        set({ [field]: r.text } as Partial<ComposerStore>);
      }
      const s = get();
      const to = splitAddresses(s.to);
      const cc = splitAddresses(s.cc);
      let problem: string | null = null;
      if (to.ok.length === 0) {
        set({ recipientError: { field: 'to', message: 'Add at least one recipient in To.' } });
        return null;
      }
      if (stripesProblem(s.stripes, s.maxServers)) problem = stripesProblem(s.stripes, s.maxServers);
      else if (s.restoring) problem = 'The draft’s attachments are still loading; send again in a moment.';
      else if (restoreProblem) problem = restoreProblem;
      else if (s.attachments.some((a) => a.data === undefined && a.staged === undefined))
        problem = 'Attachments are still uploading; send again when they are done.';
      else if (inline(s.attachments).reduce((n, a) => n + a.data.length * 0.75, 0) > MAX_ATTACHMENTS_BYTES)
        problem = 'Attachments over 25 MB in total cannot be sent from here.';
      else {
        const ls = levelState(s.level, s.levels, s.levelsError, true);
        if (!ls.available && (s.level === 'L1' || s.level === 'L2') && s.levels)
          problem = `Level ${s.level.slice(1)} cannot be used: ${ls.reason}. Choose another level.`;
      }
      if (problem) {
        set({ error: problem });
        return null;
      }
      // What each inbox charges, asked again when the recipients changed since it was shown.
      const recipients = recipientAddresses(s);
      const shown = s.quotedFor;
      if (get().quotedFor !== feeKey(recipients)) {
        set({ sending: true, error: null });
        await get().checkFees();
        set({ sending: false });
        if (!get().open) return null;
      }
      const quotes = get().quotes ?? [];
      const refusing = quotes.filter(refuses);
      const cost = totalOf(quotes);
      if (get().quotedFor !== shown && cost !== '0' && refusing.length === 0) {
        // Nothing is paid that was not on screen when Send was pressed.
        set({ error: `These inboxes charge ${cost} CC (see each recipient above): press Pay ${cost} CC and send to pay it.` });
        return null;
      }
      if (refusing.length) {
        set({
          error: `${refusing.map((q) => q.address).join(', ')} ${refusing.length === 1 ? 'refuses' : 'refuse'} your mail: remove ${refusing.length === 1 ? 'them' : 'these recipients'} to send.`,
        });
        return null;
      }
      set({ sending: true, error: null });
      try {
        const { outbox } = await runtime.invoke('mail.send', {
          to: to.ok,
          cc: cc.ok,
          subject: s.subject,
          ...bodyPayload(s),
          attachments: inline(s.attachments),
          staged: s.attachments.flatMap((a) => (a.staged ? [a.staged] : [])),
          level: s.level,
          stripes: { k: s.stripes.k, p: s.stripes.p },
          ...(s.draftId ? { draftId: s.draftId } : {}),
          ...(s.inReplyTo ? { inReplyTo: s.inReplyTo } : {}),
          tips: tipsFor(quotes),
        });
        fresh();
        set({ open: false, ...blank });
        hooks.onSent?.(outbox);
        return outbox;
      } catch (e) {
        const err = toContractError(e);
        if (err.code !== 'fee_not_covered') {
          set({ sending: false, error: `Not sent: ${err.message}` });
          return null;
        }
        // Nothing was paid and nothing is lost: the message stays here and in Drafts, and the fees are asked again.
        set({ sending: false });
        const kept = await Promise.all([get().checkFees(), get().dirty || !get().draftId ? get().save() : true]).then(([, saved]) => saved);
        set({
          error: `Not sent, nothing was paid: ${sentence(err.message)}${kept ? ' Your message is kept as a draft.' : ''} Check the fees and send again.`,
        });
        return null;
      }
    },
    async close() {
      const s = get();
      const hasWords = Boolean(s.to.trim() || s.subject.trim() || s.body.trim());
      if (s.dirty && hasWords && !(await get().save())) return false;
      fresh();
      set({ open: false, ...blank });
      return true;
    },
    discard() {
      fresh();
      set({ open: false, ...blank });
    },
  }));
}
