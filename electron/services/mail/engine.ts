// The mail engine behind the contract: identity and servers, the persistent outbox,
// the receive loop (peek at start, ping long-poll while unlocked), folders, delete,
// attachments and in-memory search. The app, the CLI and the correspondent all use it.
import { randomBytes } from 'node:crypto';
import type { FolderId, IdentityState, MessageCertificate, MessageSummary, OutboxItem, RecipientDelivery, SearchHit, ServerInfo, Contact } from '../../../shared/ipc/index.js';
import { formatMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import { fingerprint } from '../../../shared/identity/index.js';
import type { Level } from '../../../shared/capsule/index.js';
import { decodeTellList, encodeTellList, type TellNotice } from '../../../shared/qmail/index.js';
import type { Db } from '../../store/database.js';
import type { MessageStore, StoredMessage } from '../../store/messages.js';
import type { SecretBox } from '../../store/secret-box.js';
import { DirectoryClient } from '../directory/client.js';
import { IdentityStore, type LoadedIdentity } from '../identity/store.js';
import { Onboarding, OnboardingError, type ServerChoice } from '../identity/onboarding.js';
import { encodeLetter } from './bundle.js';
import { QMailServerClient } from './group6.js';
import { TellAcks } from './acks.js';
import { hex } from './objects.js';
import { receiveTell, ReceiveError, type Received } from './receive.js';
import { matchRanges, queryTerms, SearchIndex, snippetAround } from './search.js';
import { QkdUnavailableError, SendError, sendMessage } from './send.js';
import { QkdService } from './qkd.js';
import { ConnectionPool, type Connection } from './transport.js';

export class MailError extends Error {
  override readonly name = 'MailError';
  constructor(readonly code: 'no_identity' | 'not_found' | 'invalid_input' | 'unavailable' | 'too_few_servers', message: string) {
    super(message);
  }
}

/** A stripe layout needs more servers than the identity can use: refused before anything is queued. */
export class StripeLayoutError extends MailError {
  constructor(readonly layout: { k: number; p: number }, readonly maxServers: number) {
    super(
      'too_few_servers',
      `A ${layout.k}+${layout.p} layout needs ${layout.k + layout.p} servers, but only ${maxServers} can be used on this network. Choose a layout with k + p at most ${maxServers}.`,
    );
  }
}

/** A received qmail given up for good: who sent it (from the beacon's Tell) and why. */
export interface Unreadable {
  sender: string;
  reason: string;
  /** The cause's code (`key_not_found`: our KME does not have its QKD keys). */
  code?: string;
}

export interface OutgoingMessage {
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  attachments: { name: string; data: Uint8Array }[];
  level: 'L1' | 'L2' | 'L3' | 'L4';
  stripes?: { k: number; p: number };
  /** L1/L2: send at L3 when QKD keys cannot be had (recorded on the outbox item); default refuse. */
  allowFallback?: boolean;
  /** A reply: the id (here) of the message it answers; the letter carries the thread reference. */
  inReplyTo?: string;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

/** A letter's place in its conversation: CBDF ids (hex) of itself, the message it answers and the first message. */
interface ThreadEntry {
  letter: string;
  root: string;
  inReplyTo?: string;
}

interface OutboxJob {
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  attachments: { name: string; data: string }[];
  level: OutgoingMessage['level'];
  stripes: { k: number; p: number };
  allowFallback?: boolean;
  /** Set when L1/L2 was wanted and the message goes (or went) at L3. */
  fallback?: { from: 'L1' | 'L2'; reason: string };
  /** A reply: the answered message's id here (to give a cancelled reply back to Drafts) and the letter ids the bundle carries. */
  replyTo?: string;
  thread?: { inReplyTo: string; root: string };
  /** Per recipient, from the last attempt that reached some of them or failed for some. */
  delivery?: RecipientDelivery[];
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

interface OutboxRow {
  id: string;
  state: OutboxItem['state'];
  attempts: number;
  next_at: number;
  created_at: number;
  uploaded: number;
  total: number;
  error: string | null;
  sealed: Buffer;
}

/** Extra facts about a stored message that the base store does not keep (sealed too). */
interface Extras {
  attachments: { name: string; data: string }[];
  stripes?: { k: number; p: number };
  repaired?: number;
  guid?: string;
  certificate?: MessageCertificate;
  /** Drafts: what the composer had besides To, subject and text. */
  draft?: { cc: string[]; level: OutgoingMessage['level']; stripes: { k: number; p: number }; inReplyTo?: string };
  /** The letter's CBDF id (hex) and its conversation (sent and received mail). */
  letterId?: string;
  inReplyTo?: string;
  threadRoot?: string;
  /** Sent mail: each recipient's delivery. */
  delivery?: RecipientDelivery[];
  /** In Trash: where the message was before. */
  trashedFrom?: FolderId;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

/** What drafts.save hands over; the optional fields keep the draft's earlier values when left out. */
export interface DraftInput {
  to: string[];
  subject: string;
  body: string;
  cc?: string[];
  level?: OutgoingMessage['level'];
  stripes?: { k: number; p: number };
  attachments?: { name: string; data: string }[];
  /** A reply's draft: the id of the message it answers. */
  inReplyTo?: string;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

export interface MailEngineOptions {
  db: Db;
  box: () => SecretBox;
  unlocked: () => boolean;
  messages: MessageStore;
  emit: (event: string, payload: unknown) => void;
  /** The directory to use when the identity does not name one (network file, app default). */
  directoryUrl?: string;
  now?: () => number;
  /** Default stripe layout for new messages. */
  defaultLayout?: { k: number; p: number };
  /** Longest one ping parks on the beacon before we ask again (the server caps it too). */
  pingWaitMs?: number;
  /** Outbox retries: delay before attempt n is base × 2^(n-1), capped; after maxAttempts the item fails. */
  retryBaseMs?: number;
  maxAttempts?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** QKD key source tuning (tests, benchmarks). */
  qkd?: { prefetchKeys?: number; timeoutMs?: number };
}

const LEVELS: Record<OutgoingMessage['level'], Level> = { L1: 1, L2: 2, L3: 3, L4: 4 };
const LEVEL_NAME: Record<number, MessageSummary['level']> = { 1: 'L1', 2: 'L2', 3: 'L3', 4: 'L4' };
const MAX_BACKOFF_MS = 5 * 60_000;
/** Retries for a message whose QKD keys our KME does not have (1, 2 and 4 s after each failure). */
const MAX_KEY_NOT_FOUND_ATTEMPTS = 3;

const CAPSULE_ALGORITHM: Record<OutgoingMessage['level'], string> = {
  L1: 'QKD one-time pad + one-time Poly1305 (ETSI GS QKD 014 keys)',
  L2: 'QKD key → HKDF-SHA-256 → AES-256-GCM (ETSI GS QKD 014 keys)',
  L3: 'ML-KEM-768+X25519 (X-Wing) → HKDF-SHA-256 → AES-256-GCM',
  L4: 'X25519 → HKDF-SHA-256 → AES-256-GCM',
};

function certificateAlgorithms(level: OutgoingMessage['level']): MessageCertificate['algorithms'] {
  return { capsule: CAPSULE_ALGORITHM[level], stripes: 'AES-256-CTR + HMAC-SHA-256 per stripe', signature: 'ML-DSA-65' };
}

const kmeIdsOf = (keys: { kmeId: string }[]) => [...new Set(keys.map((k) => k.kmeId))];

export class MailEngine {
  readonly pool = new ConnectionPool(3);
  readonly identities: IdentityStore;
  readonly onboarding: Onboarding;
  readonly index = new SearchIndex();
  readonly qkd: QkdService;
  private readonly now: () => number;
  private running = false;
  private pollConn: Connection | null = null;
  private outboxTimer: NodeJS.Timeout | null = null;
  private outboxBusy: Promise<void> | null = null;
  private readonly waiters = new Map<string, ((item: OutboxItem) => void)[]>();
  private indexed = false;
  /** The receive loop (peek, then ping long-poll) while it runs. */
  private receiveLoop: Promise<void> | null = null;
  /** Whether start() asked for receiving (the CLI's one-shot send does not). */
  private receiveWanted = false;
  private receiving: Promise<number> | null = null;
  /** Tells kept sealed and not yet acknowledged to the beacon (EXT-6 bit 1). */
  private readonly acks = new TellAcks();
  /** Display names the directory gave for addresses (on receive and send), kept while unlocked. */
  private readonly names = new Map<string, string>();
  private readonly unreadableListeners = new Set<(u: Unreadable) => void>();
  /** Conversations, held in memory like the search index: message id → thread entry, letter id → message id. */
  private readonly threads = new Map<string, ThreadEntry>();
  private readonly byLetter = new Map<string, string>();
  /** How many servers the directory listed last time (the widest layout possible). */
  private serverCount: number | undefined;

  constructor(private readonly o: MailEngineOptions) {
    this.now = o.now ?? Date.now;
    const db = o.db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS mail_outbox (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
        error TEXT, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_extras (id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_seen (guid TEXT PRIMARY KEY, message_id TEXT, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS mail_pending (guid TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, sealed BLOB NOT NULL);`);
    // A send interrupted by a crash or quit is picked up again.
    db.prepare("UPDATE mail_outbox SET state = 'queued' WHERE state = 'sending'").run();
    this.identities = new IdentityStore(db, o.box);
    this.qkd = new QkdService({ db, box: o.box, ...(o.qkd ?? {}) });
    this.onboarding = new Onboarding(this.identities, () => this.directory(), this.pool, this.now);
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.o.log?.(msg, fields);
  }

  // ---------------------------------------------------------------- identity

  me(): LoadedIdentity {
    const l = this.identities.load();
    if (!l) throw new MailError('no_identity', 'This profile has no QMail identity yet; create one first.');
    return l;
  }

  directory(): DirectoryClient {
    const url = (this.identities.exists && this.o.unlocked() ? this.identities.load()?.directory : undefined) ?? this.o.directoryUrl;
    if (!url) throw new MailError('unavailable', 'No directory is configured (give a network file or a directory URL).');
    return new DirectoryClient(url);
  }

  identityState(): IdentityState {
    if (!this.identities.exists) return { state: 'none' };
    return this.onboarding.describe(this.me());
  }

  async createIdentity(name: string, choice: ServerChoice = {}): Promise<IdentityState & { recoveryPhrase: string }> {
    const r = await this.onboarding.create(name, choice).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(r.loaded));
    // Started before there was an identity (at vault creation): receive from now on.
    this.startReceiving();
    return { ...this.onboarding.describe(r.loaded), recoveryPhrase: r.recoveryPhrase };
  }

  async restoreIdentity(phrase: string, name?: string, choice: ServerChoice = {}): Promise<IdentityState> {
    const l = await this.onboarding.restore(phrase, name, choice).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(l));
    this.startReceiving();
    return this.onboarding.describe(l);
  }

  async chooseServers(storage: string[], beacon: string): Promise<IdentityState> {
    const l = await this.onboarding.chooseServers(storage, beacon).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(l));
    this.restartPolling();
    return this.onboarding.describe(l);
  }

  async listServers(): Promise<ServerInfo[]> {
    const all = await this.directory().servers();
    const me = this.identities.exists ? this.me() : undefined;
    return all.map((d) => ({
      nodeId: d.nodeId,
      name: d.name,
      host: d.host,
      port: d.port,
      pricePerMbMonth: d.pricePerMbMonth,
      inboxFeeCut: d.inboxFeeCut,
      maxAttachmentBytes: d.maxAttachmentBytes,
      jurisdiction: d.jurisdiction,
      location: d.location,
      uptimeSeconds: d.uptimeSeconds,
      protocol: d.protocol,
      hired: me?.servers.some((s) => s.nodeId === d.nodeId) ?? false,
      beacon: me?.beacon === d.nodeId,
    }));
  }

  async searchDirectory(query: string, limit: number): Promise<Contact[]> {
    const dir = this.directory();
    const q = query.trim();
    if (/^[0-9a-fA-F]{4}\.-?\d{1,3}\.\d{1,10}$/.test(q)) {
      const one = await dir.lookup(formatMailbox(parseMailbox(q)));
      return one ? [{ address: one.record.address, name: one.record.name, fingerprint: fingerprint(one.identity) }] : [];
    }
    const list = await dir.search(q, limit);
    return list.map((v) => ({ address: v.record.address, name: v.record.name, fingerprint: fingerprint(v.identity) }));
  }

  // ---------------------------------------------------------------- extras, folders, delete

  private extrasAad(id: string): string {
    return `qmail.message-extras.v1:${id}`;
  }

  putExtras(id: string, e: Extras): void {
    this.o.db.prepare('INSERT INTO mail_extras (id, sealed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed').run(id, this.o.box().seal(Buffer.from(JSON.stringify(e)), this.extrasAad(id)));
  }

  extras(id: string): Extras | undefined {
    const row = this.o.db.prepare('SELECT sealed FROM mail_extras WHERE id = ?').get(id) as { sealed: Buffer } | undefined;
    return row ? (JSON.parse(this.o.box().open(row.sealed, this.extrasAad(id)).toString('utf8')) as Extras) : undefined;
  }

  /** The display name of an address when known: ours from the identity, others from the directory as seen on receive or send. */
  nameOf(address: string): string | undefined {
    const me = this.identities.exists && this.o.unlocked() ? this.identities.load() : undefined;
    if (me && me.address === address) return me.name;
    return this.names.get(address);
  }

  view(id: string) {
    const m = this.o.messages.get(id);
    if (!m) return undefined;
    const x = this.extras(id);
    const ours = m.folder === 'sent' || m.folder === 'drafts';
    const fromName = m.fromName ?? (ours ? (this.identities.exists ? this.me().name : undefined) : this.nameOf(m.from));
    // Conversations come from the in-memory map the running engine keeps; a one-shot reader
    // (the CLI's read) does not decrypt every message just to count a thread.
    const t = this.indexed ? this.threads.get(id) : undefined;
    const size = t ? this.conversation(t.root).length : 0;
    const answered = t?.inReplyTo ? this.byLetter.get(t.inReplyTo) : undefined;
    const restoreTo = m.folder === 'trash' ? this.restoreFolder(m, x) : undefined;
    return {
      ...m,
      ...(fromName ? { fromName } : {}),
      ...(x?.draft ? { draft: x.draft } : {}),
      ...(x?.document ? { document: x.document } : {}),
      ...(t && (size > 1 || answered) ? { thread: { ...(answered ? { inReplyTo: answered } : {}), size: Math.max(1, size) } } : {}),
      ...(x?.delivery ? { delivery: x.delivery } : {}),
      ...(restoreTo ? { restoreTo } : {}),
      ...(x
        ? {
            attachments: x.attachments.map((a, index) => ({ index, name: a.name, size: Buffer.from(a.data, 'base64').length })),
            ...(x.stripes ? { stripes: x.stripes } : {}),
            ...(x.repaired !== undefined ? { repaired: x.repaired } : {}),
            ...(x.certificate ? { certificate: x.certificate } : {}),
          }
        : {}),
    };
  }

  attachment(id: string, index: number): { name: string; size: number; data: string } {
    const a = this.extras(id)?.attachments[index];
    if (!a) throw new MailError('not_found', 'That attachment is not here.');
    return { name: a.name, size: Buffer.from(a.data, 'base64').length, data: a.data };
  }

  private store(id: string, folder: FolderId, date: number, unread: boolean, m: StoredMessage, x?: Extras): void {
    this.o.db.transaction(() => {
      this.o.messages.put(id, folder, date, unread, m);
      if (x) this.putExtras(id, x);
    })();
    this.index.put(id, folder, date, indexTexts(m, x));
    this.noteThread(id, x);
  }

  private noteThread(id: string, x: Extras | undefined): void {
    const old = this.threads.get(id);
    if (old && this.byLetter.get(old.letter) === id) this.byLetter.delete(old.letter);
    this.threads.delete(id);
    if (!x?.letterId) return;
    this.threads.set(id, { letter: x.letterId, root: x.threadRoot ?? x.letterId, ...(x.inReplyTo ? { inReplyTo: x.inReplyTo } : {}) });
    this.byLetter.set(x.letterId, id);
  }

  /** Message ids of a conversation, oldest first. */
  private conversation(root: string): string[] {
    const ids = [...this.threads].filter(([, t]) => t.root === root || t.letter === root).map(([id]) => id);
    // Received dates are the sender's (whole seconds), so a reply can look older than what it
    // answers: a message is placed after the one it replies to whatever the clocks say.
    const at = new Map<string, number>();
    const time = (id: string, depth = 0): number => {
      const known = at.get(id);
      if (known !== undefined) return known;
      const parent = this.threads.get(id)?.inReplyTo;
      const pid = parent ? this.byLetter.get(parent) : undefined;
      const t = Math.max(this.o.messages.get(id)?.date ?? 0, pid && depth < 64 ? time(pid, depth + 1) + 1 : 0);
      at.set(id, t);
      return t;
    };
    return ids.sort((a, b) => time(a) - time(b) || (a < b ? -1 : 1));
  }

  /** The conversation of a message (just itself when it has none), oldest first. */
  thread(id: string): MessageSummary[] {
    if (!this.o.messages.get(id)) throw new MailError('not_found', 'That message is no longer here.');
    this.ensureIndexed();
    const t = this.threads.get(id);
    const ids = t ? this.conversation(t.root) : [id];
    return ids.flatMap((i) => {
      const m = this.o.messages.get(i);
      if (!m) return [];
      const { body: _b, ...summary } = m;
      return [summary];
    });
  }

  /** The letter ids a reply to `id` carries: the answered letter and its conversation's first one. */
  private threadRefFor(id: string): { inReplyTo: string; root: string } | undefined {
    this.ensureIndexed();
    const t = this.threads.get(id);
    return t ? { inReplyTo: t.letter, root: t.root } : undefined;
  }

  /**
   * Saves a draft: To, subject and text always; Cc, level, stripes and attachments when given,
   * else what the draft had. Everything is sealed like any message. Returns the draft's id.
   */
  saveDraft(id: string | undefined, d: DraftInput): string {
    const draftId = id ?? randomBytes(16).toString('hex');
    const existing = id ? this.o.messages.get(id) : undefined;
    if (id && existing && existing.folder !== 'drafts') throw new MailError('invalid_input', 'Only drafts can be edited.');
    const before = existing ? this.extras(draftId) : undefined;
    const stripes = d.stripes ?? before?.draft?.stripes ?? this.o.defaultLayout ?? { k: 4, p: 1 };
    if (stripes.k < 1 || stripes.p < 0 || stripes.k + stripes.p < 2 || stripes.k + stripes.p > 32) throw new MailError('invalid_input', 'k + p must be between 2 and 32.');
    const inReplyTo = d.inReplyTo ?? before?.draft?.inReplyTo;
    const draft = { cc: d.cc ?? before?.draft?.cc ?? [], level: d.level ?? before?.draft?.level ?? 'L3', stripes: { k: stripes.k, p: stripes.p }, ...(inReplyTo ? { inReplyTo } : {}) };
    const me = this.identities.exists ? this.me() : undefined;
    this.store(
      draftId,
      'drafts',
      this.now(),
      false,
      { from: 'me', to: d.to, subject: d.subject, body: d.body, level: 'local', ...(me ? { fromName: me.name } : {}) },
      { attachments: d.attachments ?? before?.attachments ?? [], draft, ...(d.document ? { document: d.document } : {}) },
    );
    return draftId;
  }

  /** Moves to Trash; a message already in Trash (or with permanent) is erased. */
  delete(id: string, permanent: boolean): FolderId[] {
    const m = this.o.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (!permanent && m.folder !== 'trash') {
      this.moveTo(id, 'trash');
      return [m.folder, 'trash'];
    }
    this.o.db.transaction(() => {
      this.o.db.prepare('DELETE FROM messages WHERE id = ?').run(id);
      this.o.db.prepare('DELETE FROM mail_extras WHERE id = ?').run(id);
    })();
    this.index.remove(id);
    return [m.folder];
  }

  /**
   * Moves a message to another folder (Archive, Trash, back to Inbox…); returns the folder it
   * left. Going to Trash remembers where it came from (sealed with the message) for Restore.
   */
  moveTo(id: string, folder: FolderId): FolderId {
    const m = this.o.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (m.folder === folder) return folder;
    const x = this.extras(id);
    this.o.db.transaction(() => {
      this.o.messages.move(id, folder);
      if (folder === 'trash') this.putExtras(id, { attachments: [], ...x, trashedFrom: m.folder });
      else if (x?.trashedFrom) {
        const { trashedFrom: _t, ...rest } = x;
        this.putExtras(id, rest);
      }
    })();
    this.index.move(id, folder);
    return m.folder;
  }

  private restoreFolder(m: { folder: FolderId; from: string; level: MessageSummary['level'] }, x: Extras | undefined): FolderId {
    if (x?.trashedFrom && x.trashedFrom !== 'trash') return x.trashedFrom;
    if (x?.draft || m.level === 'local') return 'drafts';
    const me = this.identities.exists && this.o.unlocked() ? this.identities.load() : undefined;
    return m.from === 'me' || (me && m.from === me.address) ? 'sent' : 'inbox';
  }

  /** Takes a message out of Trash, back where it was deleted from; returns that folder. */
  restore(id: string): FolderId {
    const m = this.o.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (m.folder !== 'trash') throw new MailError('invalid_input', 'Only messages in Trash can be restored.');
    const to = this.restoreFolder(m, this.extras(id));
    this.moveTo(id, to);
    return to;
  }

  /** Indexes every stored message (after unlock). */
  buildIndex(): void {
    this.index.clear();
    this.threads.clear();
    this.byLetter.clear();
    const rows = this.o.db.prepare('SELECT id FROM messages').all() as { id: string }[];
    for (const { id } of rows) {
      const m = this.o.messages.get(id);
      if (!m) continue;
      const x = this.extras(id);
      this.index.put(id, m.folder, m.date, indexTexts(m, x));
      this.noteThread(id, x);
    }
    this.indexed = true;
  }

  private ensureIndexed(): void {
    if (!this.indexed && this.o.unlocked()) this.buildIndex();
  }

  /**
   * Searches the in-memory index (sender and recipients with their names, subject, text,
   * attachment names). Each hit says where it matched, with ranges to highlight in what a list
   * row shows; when the words matched deeper in the text or in an attachment name, the preview
   * becomes an excerpt around them.
   */
  search(query: string, folder: FolderId | undefined, limit: number): { total: number; items: SearchHit[] } {
    this.ensureIndexed();
    const ids = this.index.query(query, folder);
    const terms = queryTerms(query);
    const items: SearchHit[] = [];
    for (const id of ids.slice(0, limit)) {
      const m = this.o.messages.get(id);
      if (!m) continue;
      const { body, ...summary } = m;
      const names = { ...(m.toNames ?? {}) };
      for (const a of m.to) if (!names[a]) {
        const n = this.nameOf(a);
        if (n) names[a] = n;
      }
      const fromName = m.fromName ?? (m.folder === 'sent' || m.folder === 'drafts' ? undefined : this.nameOf(m.from));
      const attachments = this.extras(id)?.attachments.map((a) => a.name) ?? [];
      const to = Object.fromEntries(m.to.map((a) => [a, [...matchRanges(names[a] ?? a, terms)]]).filter(([, r]) => (r as unknown[]).length));
      const toAny = m.to.some((a) => matchRanges(a, terms).length || (names[a] && matchRanges(names[a], terms).length));
      const inBody = matchRanges(body, terms).length > 0;
      const attachment = attachments.find((n) => matchRanges(n, terms).length);
      let preview = m.preview;
      let previewRanges = matchRanges(preview, terms);
      if (!previewRanges.length && inBody) {
        const s = snippetAround(body, terms);
        if (s) ({ text: preview, ranges: previewRanges } = s);
      }
      if (!previewRanges.length && attachment) {
        preview = `Attachment: ${attachment}`;
        previewRanges = matchRanges(preview, terms);
      }
      const matchedIn: SearchHit['matchedIn'] = [];
      if (matchRanges(m.from, terms).length || (fromName && matchRanges(fromName, terms).length)) matchedIn.push('from');
      if (toAny) matchedIn.push('to');
      if (matchRanges(m.subject, terms).length) matchedIn.push('subject');
      if (inBody) matchedIn.push('body');
      if (attachment) matchedIn.push('attachment');
      items.push({
        ...summary,
        ...(fromName ? { fromName } : {}),
        ...(Object.keys(names).length ? { toNames: names } : {}),
        preview,
        highlights: { subject: matchRanges(m.subject, terms), preview: previewRanges, from: matchRanges(m.from, terms), fromName: fromName ? matchRanges(fromName, terms) : [], to },
        matchedIn,
      });
    }
    return { total: ids.length, items };
  }

  /** The widest layout (k + p) this identity can use: the servers the directory lists, at most 32. */
  async stripeLimit(): Promise<number> {
    const servers = await this.directory().servers();
    this.serverCount = servers.length;
    return Math.min(32, servers.length);
  }

  private checkLayout(stripes: { k: number; p: number }, maxServers: number | undefined): void {
    if (maxServers !== undefined && stripes.k + stripes.p > maxServers) throw new StripeLayoutError(stripes, maxServers);
  }

  // ---------------------------------------------------------------- outbox

  private jobAad(id: string): string {
    return `qmail.outbox.v1:${id}`;
  }

  private rowToItem(r: OutboxRow): OutboxItem {
    const job = JSON.parse(this.o.box().open(r.sealed, this.jobAad(r.id)).toString('utf8')) as OutboxJob;
    return {
      id: r.id,
      to: [...job.to, ...job.cc],
      subject: job.subject,
      state: r.state,
      attempts: r.attempts,
      uploaded: r.uploaded,
      total: r.total,
      createdAt: r.created_at,
      ...(r.error ? { error: r.error } : {}),
      ...(r.state === 'queued' ? { nextAttemptAt: r.next_at } : {}),
      level: job.fallback ? 'L3' : job.level,
      ...(job.fallback ? { fallback: job.fallback } : {}),
      recipients: this.recipientStates(r, job),
    };
  }

  /** Each recipient's state: what the last attempt learnt, else the row's own state. */
  private recipientStates(r: OutboxRow, job: OutboxJob): RecipientDelivery[] {
    const known = new Map((job.delivery ?? []).map((d) => [d.address, d]));
    return [...new Set([...job.to, ...job.cc])].map((address) => {
      const name = this.names.get(address);
      const k = known.get(address);
      const base = { address, ...(name ? { name } : {}) };
      if (r.state === 'sent') return { ...base, state: 'delivered' as const, ...(k?.at ? { at: k.at } : {}) };
      if (k?.state === 'delivered') return { ...base, state: 'delivered' as const, ...(k.at ? { at: k.at } : {}) };
      if (r.state === 'failed') return { ...base, state: 'failed' as const, reason: k?.reason ?? r.error ?? 'the servers did not accept it' };
      return { ...base, state: r.state === 'sending' ? ('sending' as const) : ('queued' as const), ...(k?.reason ? { reason: k.reason } : {}) };
    });
  }

  outbox(): OutboxItem[] {
    const rows = this.o.db.prepare("SELECT * FROM mail_outbox WHERE state != 'sent' ORDER BY created_at").all() as OutboxRow[];
    return rows.map((r) => this.rowToItem(r));
  }

  private outboxItem(id: string): OutboxItem | undefined {
    const r = this.o.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return r ? this.rowToItem(r) : undefined;
  }

  private announceOutbox(id?: string): void {
    const item = id ? this.outboxItem(id) : undefined;
    const settled = item && (item.state === 'sent' || item.state === 'failed') ? item : undefined;
    this.o.emit('outbox.changed', { items: this.outbox(), ...(settled ? { settled } : {}) });
    if (!id) return;
    if (item && (item.state === 'sent' || item.state === 'failed')) {
      for (const w of this.waiters.get(id) ?? []) w(item);
      this.waiters.delete(id);
    }
  }

  /**
   * What `mail.send` calls. For L1/L2 it first asks the KME whether keys can be had for every
   * recipient; if not, it refuses (MailError 'unavailable', saying why and offering L3) or,
   * when the message allows fallback, queues it at L3 with the reason recorded.
   */
  async send(m: OutgoingMessage): Promise<OutboxItem> {
    this.me();
    const stripes = m.stripes ?? this.o.defaultLayout ?? { k: 4, p: 1 };
    // Refused now, with the limit, rather than failing later in the outbox.
    this.checkLayout(stripes, await this.stripeLimit());
    if (m.level !== 'L1' && m.level !== 'L2') return this.queue(m);
    const to = [...new Set([...m.to, ...m.cc].map((a) => this.normal(a)))];
    const levels = await this.qkd.levels(to, stripes);
    const mine = levels.find((l) => l.level === m.level)!;
    if (mine.available) return this.queue(m);
    if (!m.allowFallback) throw new MailError('unavailable', `${m.level} is unavailable: ${mine.reason}. Nothing was sent; send at L3 (post-quantum) instead, or allow fallback.`);
    return this.queue(m, { from: m.level, reason: mine.reason ?? 'QKD keys cannot be had' });
  }

  private normal(a: string): string {
    try {
      return formatMailbox(parseMailbox(a));
    } catch {
      throw new MailError('invalid_input', `${a} is not a QMail address (they look like 0006.0.1000).`);
    }
  }

  /** Validates and queues a message; the outbox worker sends it. `fallback`: already decided to go at L3. */
  queue(m: OutgoingMessage, fallback?: { from: 'L1' | 'L2'; reason: string }): OutboxItem {
    this.me();
    for (const a of [...m.to, ...m.cc]) {
      try {
        parseMailbox(a);
      } catch {
        throw new MailError('invalid_input', `${a} is not a QMail address (they look like 0006.0.1000).`);
      }
    }
    const stripes = m.stripes ?? this.o.defaultLayout ?? { k: 4, p: 1 };
    if (stripes.k < 1 || stripes.p < 0 || stripes.k + stripes.p < 2 || stripes.k + stripes.p > 32) throw new MailError('invalid_input', 'k + p must be between 2 and 32.');
    this.checkLayout(stripes, this.serverCount);
    // A reply whose original was erased meanwhile still goes, just without the thread reference.
    const answered = m.inReplyTo && this.o.messages.get(m.inReplyTo) ? m.inReplyTo : undefined;
    const thread = answered ? this.threadRefFor(answered) : undefined;
    const id = randomBytes(16).toString('hex');
    const job: OutboxJob = {
      to: m.to, cc: m.cc, subject: m.subject, body: m.body, attachments: m.attachments.map((a) => ({ name: a.name, data: Buffer.from(a.data).toString('base64') })), level: m.level, stripes,
      ...(m.allowFallback ? { allowFallback: true } : {}),
      ...(fallback ? { fallback } : {}),
      ...(answered ? { replyTo: answered } : {}),
      ...(thread ? { thread } : {}),
      ...(m.document ? { document: m.document } : {}),
    };
    const now = this.now();
    this.o.db
      .prepare("INSERT INTO mail_outbox (id, state, attempts, next_at, created_at, sealed) VALUES (?, 'queued', 0, ?, ?, ?)")
      .run(id, now, now, this.o.box().seal(Buffer.from(JSON.stringify(job)), this.jobAad(id)));
    this.announceOutbox();
    this.kickOutbox();
    return this.outboxItem(id)!;
  }

  /** Resolves when the item is sent or has failed for good. */
  waitFor(id: string): Promise<OutboxItem> {
    const cur = this.outboxItem(id);
    if (!cur) return Promise.reject(new MailError('not_found', 'No such outbox item.'));
    if (cur.state === 'sent' || cur.state === 'failed') return Promise.resolve(cur);
    // The outbox timers are unref'd so an idle app can quit; someone waiting on a send
    // keeps the process alive until it settles.
    const keepAlive = setInterval(() => {}, 60_000);
    return new Promise<OutboxItem>((res) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), res])).finally(() => clearInterval(keepAlive));
  }

  retry(id: string): OutboxItem {
    const r = this.o.db.prepare("UPDATE mail_outbox SET state = 'queued', next_at = ?, error = NULL WHERE id = ? AND state IN ('failed', 'queued')").run(this.now(), id);
    if (r.changes !== 1) throw new MailError('not_found', 'That message is not waiting in the outbox.');
    this.announceOutbox();
    this.kickOutbox();
    return this.outboxItem(id)!;
  }

  cancel(id: string): void {
    const r = this.o.db.prepare("DELETE FROM mail_outbox WHERE id = ? AND state IN ('failed', 'queued')").run(id);
    if (r.changes !== 1) throw new MailError('not_found', 'That message is not waiting in the outbox (it may be sending right now).');
    this.announceOutbox();
  }

  /**
   * Takes a waiting or failed message out of the outbox and gives it back to Drafts whole
   * (recipients, text, attachments, level, layout, the message it answers); returns the draft's id.
   */
  returnToDrafts(id: string): string {
    const r = this.o.db.prepare("SELECT * FROM mail_outbox WHERE id = ? AND state IN ('failed', 'queued')").get(id) as OutboxRow | undefined;
    if (!r) throw new MailError('not_found', 'That message is not waiting in the outbox (it may be sending right now).');
    const job = JSON.parse(this.o.box().open(r.sealed, this.jobAad(id)).toString('utf8')) as OutboxJob;
    let draftId = '';
    this.o.db.transaction(() => {
      draftId = this.saveDraft(undefined, {
        to: job.to,
        cc: job.cc,
        subject: job.subject,
        body: job.body,
        level: job.fallback ? job.fallback.from : job.level,
        stripes: job.stripes,
        attachments: job.attachments,
        ...(job.replyTo && this.o.messages.get(job.replyTo) ? { inReplyTo: job.replyTo } : {}),
        ...(job.document ? { document: job.document } : {}),
      });
      this.o.db.prepare('DELETE FROM mail_outbox WHERE id = ?').run(id);
    })();
    this.announceOutbox();
    return draftId;
  }

  kickOutbox(delayMs = 0): void {
    if (!this.running) return;
    if (this.outboxTimer) clearTimeout(this.outboxTimer);
    this.outboxTimer = setTimeout(() => {
      this.outboxTimer = null;
      if (!this.outboxBusy) {
        this.outboxBusy = this.drainOutbox().finally(() => {
          this.outboxBusy = null;
        });
      } else void this.outboxBusy.then(() => this.kickOutbox());
    }, delayMs);
    this.outboxTimer.unref?.();
  }

  private async drainOutbox(): Promise<void> {
    for (;;) {
      if (!this.running || !this.o.unlocked()) return;
      const due = this.o.db.prepare("SELECT * FROM mail_outbox WHERE state = 'queued' AND next_at <= ? ORDER BY next_at LIMIT 8").all(this.now()) as OutboxRow[];
      if (!due.length) {
        const next = this.o.db.prepare("SELECT MIN(next_at) AS t FROM mail_outbox WHERE state = 'queued'").get() as { t: number | null };
        if (next.t !== null) this.kickOutbox(Math.max(50, next.t - this.now()));
        return;
      }
      await Promise.all(due.map((r) => this.attempt(r)));
    }
  }

  private async attempt(r: OutboxRow): Promise<void> {
    const job = JSON.parse(this.o.box().open(r.sealed, this.jobAad(r.id)).toString('utf8')) as OutboxJob;
    const db = this.o.db;
    db.prepare("UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?").run(r.id);
    this.announceOutbox();
    const me = this.me();
    const timestamp = Math.floor(this.now() / 1000);
    const bundle = encodeLetter({
      id: new Uint8Array(Buffer.from(r.id, 'hex')),
      from: me.mailbox,
      to: job.to.map(parseMailbox),
      cc: job.cc.map(parseMailbox),
      subject: job.subject,
      body: job.body,
      ...(job.document ? { document: new Uint8Array(Buffer.from(job.document, 'base64')) } : {}),
      timestamp,
      attachments: job.attachments.map((a) => ({ name: a.name, data: new Uint8Array(Buffer.from(a.data, 'base64')) })),
      ...(job.thread ? { thread: { inReplyTo: new Uint8Array(Buffer.from(job.thread.inReplyTo, 'hex')), root: new Uint8Array(Buffer.from(job.thread.root, 'hex')) } } : {}),
    });
    let lastAnnounce = 0;
    // Recipients an earlier attempt reached are not told again (the retry goes under a new GUID).
    const everyone = [...new Set([...job.to, ...job.cc].map((a) => this.normal(a)))];
    const reached = (job.delivery ?? []).filter((d) => d.state === 'delivered' && everyone.includes(d.address));
    const skip = reached.length < everyone.length ? reached.map((d) => d.address) : [];
    try {
      const res = await sendMessage(
        {
          me,
          directory: this.directory(),
          pool: this.pool,
          hireMore: (count) => this.onboarding.hireMore(count),
          ensureHired: (d) => this.onboarding.ensureHired(d),
          qkd: (address) => this.qkd.linkFor(address),
          onProgress: ({ uploaded, total }) => {
            db.prepare('UPDATE mail_outbox SET uploaded = ?, total = ? WHERE id = ?').run(uploaded, total, r.id);
            if (this.now() - lastAnnounce > 250 || uploaded === total) {
              lastAnnounce = this.now();
              this.announceOutbox();
            }
          },
        },
        { bundle, to: job.to, cc: job.cc, layout: job.stripes, level: LEVELS[job.fallback ? 'L3' : job.level], allowFallback: job.allowFallback ?? false, ...(skip.length ? { skip } : {}) },
      );
      const sentLevel = LEVEL_NAME[res.level] as OutgoingMessage['level'];
      for (const [address, name] of Object.entries(res.names)) this.names.set(address, name);
      const fallback = job.fallback ?? (res.fallback ? { from: LEVEL_NAME[res.fallback.from] as 'L1' | 'L2', reason: res.fallback.reason } : undefined);
      const certificate: MessageCertificate = {
        direction: 'sent',
        level: sentLevel,
        quantumSecured: sentLevel === 'L1' || sentLevel === 'L2',
        algorithms: certificateAlgorithms(sentLevel),
        ...(res.qkdKeys ? { qkd: res.qkdKeys.map((q) => ({ recipient: q.recipient, keys: q.keys, kmeIds: kmeIdsOf(q.keys) })) } : {}),
        signatureVerified: false,
        senderFingerprint: fingerprint(me.identity),
        stripes: job.stripes,
        servers: res.placement,
        ...(fallback ? { fallback } : {}),
      };
      this.store(
        r.id,
        'sent',
        this.now(),
        false,
        { from: me.address, fromName: me.name, to: [...job.to, ...job.cc], subject: job.subject, body: job.body, level: sentLevel, toNames: res.names },
        {
          attachments: job.attachments,
          stripes: job.stripes,
          guid: hex(res.guid),
          certificate,
          letterId: r.id,
          ...(job.document ? { document: job.document } : {}),
          ...(job.thread ? { inReplyTo: job.thread.inReplyTo, threadRoot: job.thread.root } : {}),
          delivery: everyone.map((address): RecipientDelivery => {
            const name = res.names[address] ?? this.names.get(address);
            const before = reached.find((d) => d.address === address);
            if (res.delivered.includes(address)) return { address, ...(name ? { name } : {}), state: 'delivered', at: this.now() };
            return before ? { ...before, ...(name ? { name } : {}) } : { address, ...(name ? { name } : {}), state: 'failed', reason: 'its beacon did not take the notice' };
          }),
        },
      );
      // Keep a stub (recipients, subject) so late waiters learn the outcome; the body now lives in Sent.
      const stub: OutboxJob = { ...job, body: '', attachments: [], document: undefined, ...(fallback ? { fallback } : {}), delivery: [...reached, ...res.delivered.map((address) => ({ address, state: 'delivered' as const, at: this.now() }))] };
      db.prepare("UPDATE mail_outbox SET state = 'sent', error = NULL, sealed = ? WHERE id = ?").run(this.o.box().seal(Buffer.from(JSON.stringify(stub)), this.jobAad(r.id)), r.id);
      this.announceOutbox(r.id);
      this.o.emit('mail.changed', { folders: ['sent'] });
    } catch (e) {
      const attempts = r.attempts + 1;
      const max = this.o.maxAttempts ?? 6;
      const retryable = e instanceof QkdUnavailableError ? false : e instanceof SendError ? e.retryable : !(e instanceof MailError) && !(e instanceof OnboardingError);
      const message = (e as Error).message;
      this.log('send attempt failed', { id: r.id, attempts, error: message });
      if (e instanceof SendError && e.recipients?.length) {
        const now: RecipientDelivery[] = e.recipients.map((x) => ({ address: x.address, state: x.delivered ? 'delivered' : 'failed', ...(x.delivered ? { at: this.now() } : { reason: x.reason ?? message }) }));
        const delivery = [...reached, ...now.filter((d) => !reached.some((r) => r.address === d.address))];
        db.prepare('UPDATE mail_outbox SET sealed = ? WHERE id = ?').run(this.o.box().seal(Buffer.from(JSON.stringify({ ...job, delivery })), this.jobAad(r.id)), r.id);
      }
      if (retryable && attempts < max) {
        const delay = Math.min(MAX_BACKOFF_MS, (this.o.retryBaseMs ?? 2000) * 2 ** (attempts - 1));
        db.prepare("UPDATE mail_outbox SET state = 'queued', next_at = ?, error = ? WHERE id = ?").run(this.now() + delay, `Will retry: ${message}`, r.id);
        this.announceOutbox(r.id);
      } else {
        db.prepare("UPDATE mail_outbox SET state = 'failed', error = ? WHERE id = ?").run(message, r.id);
        this.announceOutbox(r.id);
        this.o.emit('notify', { level: 'error', title: `Not sent: ${job.subject || '(no subject)'}`, body: message });
      }
    }
  }

  // ---------------------------------------------------------------- receiving

  private beaconClient(me: LoadedIdentity): { client: QMailServerClient; an: Uint8Array } {
    const b = me.servers.find((s) => s.nodeId === me.beacon);
    if (!b) throw new MailError('unavailable', 'The beacon is not among the hired servers.');
    return { client: new QMailServerClient(this.pool, { host: b.host, port: b.port, raidaId: b.raidaId }), an: new Uint8Array(Buffer.from(b.an, 'hex')) };
  }

  /**
   * Handles a batch of Tells; returns how many new messages were stored. A ping hands each
   * Tell over once, so every Tell is first kept (sealed) in mail_pending and only dropped
   * once its message is stored or cannot ever be opened; the rest are retried.
   */
  async accept(tells: TellNotice[], beacon?: string): Promise<number> {
    const db = this.o.db;
    const keep = db.prepare('INSERT OR IGNORE INTO mail_pending (guid, attempts, next_at, sealed) VALUES (?, 0, ?, ?)');
    for (const t of tells) {
      const g = hex(t.fileGroupGuid);
      if (db.prepare('SELECT 1 FROM mail_seen WHERE guid = ?').get(g)) continue;
      keep.run(g, this.now(), this.o.box().seal(encodeTellList({ remaining: 0, tells: [t] }), `qmail.pending-tell.v1:${g}`));
    }
    // Every one is kept (or was handled before): the next ping or peek lets the beacon delete them.
    if (beacon) this.acks.kept(beacon, tells);
    return this.retryPending();
  }

  /** Processes pending Tells that are due. */
  async retryPending(): Promise<number> {
    const db = this.o.db;
    const me = this.me();
    const rows = db.prepare('SELECT guid, attempts, sealed FROM mail_pending WHERE next_at <= ? ORDER BY next_at LIMIT 64').all(this.now()) as { guid: string; attempts: number; sealed: Buffer }[];
    const tells = rows.map((r) => decodeTellList(new Uint8Array(this.o.box().open(r.sealed, `qmail.pending-tell.v1:${r.guid}`))).tells[0]!);
    const ctx = { me, directory: this.directory(), pool: this.pool, qkd: (sender: string) => this.qkd.linkFor(sender) };
    const results = await Promise.allSettled(tells.map((t) => receiveTell(ctx, t)));
    let n = 0;
    results.forEach((r, i) => {
      const row = rows[i]!;
      if (r.status === 'rejected') {
        // Keys our KME does not know are retried a few times only (the KME client already
        // waited for a lagging peer KME on each attempt): a KME that lost them will not find them.
        const most = r.reason instanceof ReceiveError && r.reason.code === 'key_not_found' ? MAX_KEY_NOT_FOUND_ATTEMPTS : 20;
        const retry = (r.reason instanceof ReceiveError ? r.reason.retryable : true) && row.attempts < most;
        this.log('receive failed', { guid: row.guid, retry, error: (r.reason as Error).message });
        if (retry) db.prepare('UPDATE mail_pending SET attempts = attempts + 1, next_at = ? WHERE guid = ?').run(this.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** row.attempts), row.guid);
        else {
          db.prepare('INSERT OR IGNORE INTO mail_seen (guid, message_id, at) VALUES (?, NULL, ?)').run(row.guid, this.now());
          db.prepare('DELETE FROM mail_pending WHERE guid = ?').run(row.guid);
          const sender = formatMailbox(tells[i]!.sender);
          this.o.emit('notify', { level: 'warning', title: `A qmail from ${sender} could not be opened`, body: (r.reason as Error).message });
          const gaveUp = { sender, reason: (r.reason as Error).message, ...(r.reason instanceof ReceiveError && r.reason.code ? { code: r.reason.code } : {}) };
          for (const l of this.unreadableListeners) l(gaveUp);
        }
        return;
      }
      if (!db.prepare('SELECT 1 FROM mail_seen WHERE guid = ?').get(row.guid)) {
        this.storeReceived(r.value);
        n++;
      }
      db.prepare('DELETE FROM mail_pending WHERE guid = ?').run(row.guid);
    });
    return n;
  }

  /** Calls `listener` for each received qmail given up for good (the correspondent answers them). */
  onUnreadable(listener: (u: Unreadable) => void): () => void {
    this.unreadableListeners.add(listener);
    return () => this.unreadableListeners.delete(listener);
  }

  private nextPendingDelay(): number | undefined {
    const r = this.o.db.prepare('SELECT MIN(next_at) AS t FROM mail_pending').get() as { t: number | null };
    return r.t === null ? undefined : Math.max(0, r.t - this.now());
  }

  private storeReceived(r: Received): void {
    const id = hex(r.guid);
    const l = r.letter;
    const level = (LEVEL_NAME[r.level] ?? 'L3') as OutgoingMessage['level'];
    this.names.set(r.sender, r.senderName);
    const to = [...l.to, ...l.cc].map(formatMailbox);
    const toNames = Object.fromEntries(to.flatMap((a) => {
      const name = this.nameOf(a);
      return name ? [[a, name]] : [];
    }));
    const certificate: MessageCertificate = {
      direction: 'received',
      level,
      quantumSecured: level === 'L1' || level === 'L2',
      algorithms: certificateAlgorithms(level),
      ...(r.verified.qkdKeys ? { qkd: [{ keys: r.verified.qkdKeys, kmeIds: kmeIdsOf(r.verified.qkdKeys) }] } : {}),
      signatureVerified: r.verified.signature,
      senderFingerprint: r.verified.senderFingerprint,
      stripes: r.layout,
      servers: r.verified.servers,
    };
    this.o.db.transaction(() => {
      this.store(
        id,
        'inbox',
        (l.timestamp ?? Math.floor(this.now() / 1000)) * 1000,
        true,
        { from: r.sender, fromName: r.senderName, to, subject: l.subject, body: l.body, level: LEVEL_NAME[r.level] ?? 'L3', toNames },
        {
          attachments: l.attachments.map((a) => ({ name: a.name, data: Buffer.from(a.data).toString('base64') })),
          stripes: r.layout,
          repaired: r.repaired,
          guid: id,
          certificate,
          ...(l.id ? { letterId: hex(l.id) } : {}),
          ...(l.document ? { document: Buffer.from(l.document).toString('base64') } : {}),
          ...(l.id && l.thread ? { inReplyTo: hex(l.thread.inReplyTo), threadRoot: hex(l.thread.root) } : {}),
        },
      );
      this.o.db.prepare('INSERT OR REPLACE INTO mail_seen (guid, message_id, at) VALUES (?, ?, ?)').run(id, id, this.now());
    })();
    this.o.emit('mail.received', { id, from: r.sender, subject: l.subject });
    this.o.emit('mail.changed', { folders: ['inbox'] });
    this.o.emit('notify', { level: 'info', title: `New qmail from ${r.sender}`, body: l.subject || '(no subject)' });
  }

  /** Asks the beacon once (peek) and fetches what it lists. */
  async refresh(): Promise<number> {
    if (this.receiving) return this.receiving;
    this.receiving = (async () => {
      const me = this.me();
      const { client, an } = this.beaconClient(me);
      const list = await this.acks.ask(me.beacon, (ack) => client.peek({ mailbox: me.mailbox, an }, 0, ack));
      return list.tells.length ? this.accept(list.tells, me.beacon) : this.retryPending();
    })().finally(() => {
      this.receiving = null;
    });
    return this.receiving;
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (!this.o.unlocked() || !this.identities.exists) return;
      try {
        const me = this.me();
        const b = me.servers.find((s) => s.nodeId === me.beacon)!;
        this.pollConn ??= this.pool.dedicated({ host: b.host, port: b.port, raidaId: b.raidaId });
        const { client, an } = this.beaconClient(me);
        const pendingIn = this.nextPendingDelay();
        if (pendingIn === 0) await this.retryPending();
        const conn = this.pollConn;
        const list = await this.acks.ask(me.beacon, (ack) => client.ping({ mailbox: me.mailbox, an }, conn, this.o.pingWaitMs ?? 30_000, ack));
        if (list.tells.length) await this.accept(list.tells, me.beacon);
        failures = 0;
      } catch (e) {
        if (!this.running) return;
        this.pollConn?.close();
        this.pollConn = null;
        failures++;
        this.log('ping failed', { error: (e as Error).message, failures });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private restartPolling(): void {
    this.pollConn?.close();
    this.pollConn = null;
  }

  /**
   * After unlock: index, peek, then long-poll; and send what the outbox holds.
   * `receive: false` sends only. A ping hands each Tell over once, so a short-lived
   * process (the CLI's send) must not poll: a Tell handed over while it exits is lost.
   * Called again once an identity exists (made or restored after unlock), it starts the
   * receive loop that had nothing to poll for before.
   */
  start(opts: { receive?: boolean } = {}): void {
    if (!this.o.unlocked()) return;
    if (!this.running) {
      this.running = true;
      this.receiveWanted = opts.receive !== false;
      this.buildIndex();
      this.kickOutbox();
    }
    this.startReceiving();
  }

  /** Starts the receive loop when the engine runs, receiving is wanted, an identity exists and no loop runs yet. */
  private startReceiving(): void {
    if (!this.running || !this.receiveWanted || this.receiveLoop || !this.o.unlocked() || !this.identities.exists) return;
    const loop = (async () => {
      await this.refresh().catch((e: unknown) => this.log('peek failed', { error: (e as Error).message }));
      await this.pollLoop();
    })().finally(() => {
      if (this.receiveLoop === loop) this.receiveLoop = null;
    });
    this.receiveLoop = loop;
  }

  /** On lock or quit: stop polling, forget decrypted state. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.outboxTimer) clearTimeout(this.outboxTimer);
    this.pollConn?.close();
    this.pollConn = null;
    await this.receiveLoop?.catch(() => {});
    await this.outboxBusy?.catch(() => {});
    this.index.clear();
    this.threads.clear();
    this.byLetter.clear();
    this.indexed = false;
    this.identities.forget();
    this.names.clear();
    this.qkd.forget();
  }

  close(): void {
    this.running = false;
    this.pollConn?.close();
    this.pool.closeAll();
    this.qkd.forget();
  }
}

/** What search finds a message by: addresses, names, subject, text, attachment names. */
function indexTexts(m: StoredMessage, x?: Extras): string[] {
  return [
    m.from,
    m.fromName ?? '',
    m.to.join(' '),
    ...(x?.draft?.cc ?? []),
    ...Object.values(m.toNames ?? {}),
    m.subject,
    m.body,
    ...(x?.attachments.map((a) => a.name) ?? []),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rethrow(e: unknown): never {
  if (e instanceof OnboardingError) throw new MailError('invalid_input', e.message);
  throw e;
}
