// The unified folders: qmail and the legacy accounts' mail in one Inbox, Sent, Drafts,
// Archive and Trash, newest first, each legacy row naming its account (`origin`). The
// contract's mail requests (list, folders, get, markRead, move, delete, search, thread) come
// here first; an id that is a legacy message's goes to the LegacyService, any other to the
// mail engine as before. Legacy mail is searched through an index of its own (the same
// SearchIndex, in memory only, dropped on lock): sender, recipients, subject, and the text of
// the messages opened since unlock. Conversations across the two: a legacy message answering
// another by Message-ID (In-Reply-To), as a gateway reply answers the qmail sent as email.
import {
  ContractError,
  type FolderId,
  type MailSource,
  type MessageSummary,
  type MessageView,
  type SearchHit,
} from '../../../shared/ipc/index.js';
import type { Db } from '../../store/database.js';
import type { MessageRow } from '../../store/legacy.js';
import { Flag } from '../../store/legacy.js';
import { previewOf, type MessageStore } from '../../store/messages.js';
import { UnifiedStore, type Source } from '../../store/unified.js';
import type { LegacyService } from '../legacy/service.js';
import type { MailEngine } from '../mail/engine.js';
import { SearchIndex, queryTerms } from '../mail/search.js';
import { searchHit } from '../mail/views.js';
import type { legacyReader } from './legacy-reader.js';
import { toContract } from './legacy.js';
import { ServerSearch, type ServerAnswer } from './unified-server.js';
import { parentIn, threadIn, type Linked } from './unified-thread.js';

/** Text kept per opened legacy message for search and previews (memory only). */
const BODY_CHARS = 100_000;
/** Text kept per cached body indexed in the background (memory only). */
const CACHED_BODY_CHARS = 16_384;

interface Known extends Linked {
  accountId: string;
  folder: FolderId;
  date: number;
}

export interface UnifiedDeps {
  db: Db;
  messages: MessageStore;
  mail: MailEngine;
  legacy: LegacyService;
  reader: ReturnType<typeof legacyReader>;
  /** mail.changed for these folders. */
  changed: (folders: FolderId[]) => void;
  /** How long an account's server may take to answer a search (unified-server.ts). */
  serverTimeoutMs?: number;
}

/** A Message-ID as headers carry it, without the angle brackets. */
export function bareMessageId(s: string | undefined): string | undefined {
  const v = s?.trim().replace(/^<|>$/g, '').trim();
  return v ? v : undefined;
}

function sourceOf(s: MailSource | undefined): Source {
  return s === undefined || s === 'qmail' ? s : { account: s };
}

export class UnifiedMail {
  private readonly store: UnifiedStore;
  private readonly index = new SearchIndex();
  private readonly known = new Map<string, Known>();
  private readonly bodies = new Map<string, string>();
  private readonly server: ServerSearch;
  /** Bumped on clear(): the background pass over cached bodies stops. */
  private generation = 0;
  private filling = false;

  constructor(private readonly d: UnifiedDeps) {
    this.store = new UnifiedStore(d.db);
    this.server = new ServerSearch({ legacy: d.legacy, ...(d.serverTimeoutMs ? { timeoutMs: d.serverTimeoutMs } : {}) });
  }

  /** Drops everything held in memory (on lock). */
  clear(): void {
    this.d.reader.forget();
    this.generation++;
    this.server.cancel();
    this.index.clear();
    this.known.clear();
    this.bodies.clear();
  }

  isLegacy(id: string): boolean {
    return this.store.isLegacy(id);
  }

  private names(): Map<string, string> {
    return new Map(this.d.legacy.listAccounts().map((a) => [a.id, a.name]));
  }

  private folderInfo(): Map<string, { accountId: string; folder: FolderId }> {
    return this.store.legacyFolders();
  }

  private summary(r: MessageRow, info: { accountId: string; folder: FolderId }, names: Map<string, string>): MessageSummary {
    const e = r.envelope;
    return {
      id: r.id,
      folder: info.folder,
      from: e.from,
      to: [...e.to, ...e.cc],
      subject: e.subject,
      preview: previewOf(this.bodies.get(r.id) ?? ''),
      date: r.date,
      unread: (r.flags & Flag.seen) === 0,
      level: 'plain',
      ...(e.fromName ? { fromName: e.fromName } : {}),
      origin: { accountId: info.accountId, account: names.get(info.accountId) ?? '' },
    };
  }

  private legacySummaries(ids: string[]): Map<string, MessageSummary> {
    const out = new Map<string, MessageSummary>();
    if (!ids.length) return out;
    const folders = this.folderInfo();
    const names = this.names();
    for (const id of ids) {
      const r = this.d.legacy.store.message(id);
      const info = r && folders.get(r.folderId);
      if (r && info) out.set(id, this.summary(r, info, names));
    }
    return out;
  }

  /** A folder's page, newest first; without legacy mail there (or for qmail only) it is the message store's own page. */
  list(folder: FolderId, source: MailSource | undefined, offset: number, limit: number): { total: number; items: MessageSummary[] } {
    const s = sourceOf(source);
    if (s === 'qmail' || (s === undefined && this.store.legacyCount(folder) === 0)) return this.d.messages.list(folder, offset, limit);
    const { total, refs } = this.store.page(folder, s, offset, limit);
    const legacy = this.legacySummaries(refs.filter((r) => r.legacy).map((r) => r.id));
    const items: MessageSummary[] = [];
    for (const r of refs) {
      if (r.legacy) {
        const m = legacy.get(r.id);
        if (m) items.push(m);
        continue;
      }
      const v = this.d.messages.get(r.id);
      if (!v) continue;
      const { body: _body, ...m } = v;
      items.push(m);
    }
    return { total, items };
  }

  /** The qmail counts with each folder's legacy mail added. */
  counts(qmail: Map<FolderId, { total: number; unread: number }>): Map<FolderId, { total: number; unread: number }> {
    const out = new Map(qmail);
    for (const [f, c] of this.store.legacyCounts()) {
      const q = out.get(f) ?? { total: 0, unread: 0 };
      out.set(f, { total: q.total + c.total, unread: q.unread + c.unread });
    }
    return out;
  }

  private guard<T>(fn: () => Promise<T>): Promise<T> {
    return fn().catch((e: unknown) => toContract(e));
  }

  /** One 1 MiB part of an email's attachment, as mail.attachmentPart gives a qmail's (the reader's Download). */
  attachmentPart(id: string, index: number, part: number): Promise<{ name: string; size: number; data: string; last: boolean }> {
    return this.guard(() => this.d.reader.attachmentPart(id, index, part));
  }

  /** A legacy message for the reader: the same view as a qmail's, with `origin` and `legacy`. */
  get(id: string): Promise<MessageView> {
    return this.guard(async () => {
      const [s] = this.legacySummaries([id]).values();
      if (!s) throw new ContractError('not_found', 'That message is no longer here.');
      const v = await this.d.reader.view(id, false, false);
      // The encrypted format's outer subject is a placeholder: once opened, the list and search
      // show the real one (kept sealed like every envelope).
      const row = v.secure && v.subject !== s.subject ? this.d.legacy.store.message(id) : undefined;
      if (row) {
        this.d.legacy.store.setEnvelope(id, { ...row.envelope, subject: v.subject });
        s.subject = v.subject;
      }
      if (!v.problem) {
        this.bodies.set(id, v.body.slice(0, BODY_CHARS));
        this.refresh();
        const k = this.known.get(id);
        if (k) this.put(id, k, s);
      }
      const thread = this.thread(id);
      const parent = this.parentOf(id);
      return {
        ...s,
        ...(v.secure ? { subject: v.subject, level: v.secure.level } : {}),
        preview: previewOf(v.body),
        unread: s.unread,
        body: v.body,
        ...(v.document ? { document: v.document } : {}),
        attachments: v.attachments,
        legacy: {
          remoteImages: v.remoteImages,
          imagesAllowed: v.imagesAllowed,
          cc: v.cc,
          ...(v.messageId ? { messageId: v.messageId } : {}),
          ...(v.secure ? { secure: v.secure } : {}),
          ...(v.problem ? { problem: v.problem } : {}),
        },
        ...(thread.length > 1 ? { thread: { ...(parent ? { inReplyTo: parent } : {}), size: thread.length } } : {}),
      };
    });
  }

  markRead(id: string, unread: boolean): Promise<void> {
    return this.guard(async () => {
      const m = this.d.legacy.message(id);
      if (!m) throw new ContractError('not_found', 'That message is no longer here.');
      if (this.d.legacy.account(m.accountId)?.incoming.kind === 'pop3') {
        // POP3 keeps no flags on the server: read or not is ours alone.
        const row = this.d.legacy.store.message(id)!;
        this.d.legacy.store.setFlags(row.folderId, [{ uid: row.uid, flags: unread ? row.flags & ~Flag.seen : row.flags | Flag.seen }]);
      } else {
        await this.d.legacy.setFlags(id, { seen: !unread });
      }
      if (m.folder) this.d.changed([m.folder]);
    });
  }

  /** Moves on the account's server (Archive is a move); returns the folder it left. */
  move(id: string, to: FolderId): Promise<FolderId> {
    return this.guard(async () => {
      const m = this.d.legacy.message(id);
      if (!m) throw new ContractError('not_found', 'That message is no longer here.');
      if (to === 'drafts') throw new ContractError('invalid_input', 'Mail cannot be moved into Drafts.');
      await this.d.legacy.move(id, to);
      return m.folder ?? 'inbox';
    });
  }

  /** To the account's Trash; from Trash it is expunged. The folders it touched. */
  delete(id: string): Promise<FolderId[]> {
    return this.guard(async () => {
      const m = this.d.legacy.message(id);
      if (!m) throw new ContractError('not_found', 'That message is no longer here.');
      await this.d.legacy.remove(id);
      this.index.remove(id);
      this.known.delete(id);
      this.bodies.delete(id);
      return m.folder && m.folder !== 'trash' ? [m.folder, 'trash'] : ['trash'];
    });
  }

  private put(id: string, k: Known, s?: MessageSummary): void {
    const m = s ?? this.legacySummaries([id]).get(id);
    if (!m) return;
    this.index.put(id, k.folder, k.date, [m.from, m.fromName ?? '', m.to.join(' '), m.subject, this.bodies.get(id) ?? '']);
  }

  /** Brings the legacy index up to the store: new messages indexed (envelopes opened), gone ones dropped. */
  private refresh(): void {
    const refs = this.store.legacyRefs();
    const present = new Set<string>();
    const fresh: typeof refs = [];
    for (const r of refs) {
      present.add(r.id);
      if (!this.known.has(r.id)) fresh.push(r);
    }
    for (const id of [...this.known.keys()]) {
      if (present.has(id)) continue;
      this.known.delete(id);
      this.index.remove(id);
      this.bodies.delete(id);
    }
    if (!fresh.length) return;
    const names = this.names();
    const folders = this.folderInfo();
    for (const r of fresh) {
      const row = this.d.legacy.store.message(r.id);
      const info = row && folders.get(row.folderId);
      if (!row || !info) continue;
      const messageId = bareMessageId(row.envelope.messageId);
      const inReplyTo = bareMessageId(row.envelope.inReplyTo);
      const k: Known = {
        accountId: r.accountId,
        folder: r.folder,
        date: r.date,
        ...(messageId ? { messageId } : {}),
        ...(inReplyTo ? { inReplyTo } : {}),
      };
      this.known.set(r.id, k);
      this.put(r.id, k, this.summary(row, info, names));
    }
    this.fillBodies();
  }

  /**
   * In the background, one message at a time: the text of every body already in the sealed
   * cache (opened before, or downloaded by POP3) joins the index, so search finds it without
   * the message being opened again. Nothing is fetched from a server for this.
   */
  private fillBodies(): void {
    if (this.filling) return;
    this.filling = true;
    const gen = this.generation;
    void (async () => {
      try {
        for (const [id, k] of this.known) {
          if (gen !== this.generation) return;
          if (this.bodies.has(id) || !this.d.legacy.store.hasBody(id)) continue;
          const text = await this.d.reader.text(id).catch(() => undefined);
          if (gen !== this.generation) return;
          if (text === undefined || this.known.get(id) !== k || this.bodies.has(id)) continue;
          this.bodies.set(id, text.slice(0, CACHED_BODY_CHARS));
          this.put(id, k);
          await new Promise<void>((r) => setImmediate(r));
        }
      } finally {
        this.filling = false;
      }
    })();
  }

  /**
   * Search over both: the engine's hits (qmail) and the legacy index's, merged newest first;
   * the total counts both. `source` narrows to qmail or one account.
   */
  search(
    query: string,
    folder: FolderId | undefined,
    source: MailSource | undefined,
    limit: number,
  ): { total: number; items: SearchHit[] } {
    const s = sourceOf(source);
    const qmail = s === undefined || s === 'qmail' ? this.d.mail.search(query, folder, limit) : { total: 0, items: [] };
    if (s === 'qmail') return qmail;
    this.refresh();
    let total: number;
    let ids: string[];
    if (typeof s === 'object') {
      const all = this.index.query(query, folder).filter((id) => this.known.get(id)?.accountId === s.account);
      total = all.length;
      ids = all.slice(0, limit);
    } else {
      ({ total, ids } = this.index.top(query, folder, limit));
    }
    if (!total) return qmail;
    const legacy = this.hits(ids, queryTerms(query));
    const items = [...qmail.items, ...legacy].sort((a, b) => b.date - a.date || (a.id < b.id ? -1 : 1)).slice(0, limit);
    return { total: qmail.total + total, items };
  }

  private hits(ids: string[], terms: string[]): SearchHit[] {
    const rows = this.legacySummaries(ids);
    return ids.flatMap((id) => {
      const m = rows.get(id);
      return m ? [searchHit(m, this.bodies.get(id) ?? '', [], terms)] : [];
    });
  }

  /**
   * The legacy mail that matched on the accounts' servers (`UID SEARCH TEXT`) and not in the
   * local index: emails whose bodies were never fetched. Each hit is marked `onServer`; what
   * each server answered (or not, in time) comes with them. Asked after `search`.
   */
  searchServer(
    query: string,
    folder: FolderId | undefined,
    source: MailSource | undefined,
    limit: number,
  ): Promise<{ items: SearchHit[]; servers: ServerAnswer[] }> {
    return this.guard(async () => {
      const s = sourceOf(source);
      if (s === 'qmail') return { items: [], servers: [] };
      this.refresh();
      const local = new Set(this.index.query(query, folder));
      const r = await this.server.run(query, folder, typeof s === 'object' ? s.account : undefined, local, limit);
      const items = this.hits(r.ids, queryTerms(query)).map((h) => ({ ...h, onServer: true as const }));
      return { items, servers: r.servers };
    });
  }

  /** The legacy message this one answers (by In-Reply-To), when we have it. */
  private parentOf(id: string): string | undefined {
    return parentIn(this.known, id);
  }

  /**
   * The conversation a legacy message belongs to, oldest first: the messages linked to it by
   * Message-ID and In-Reply-To, over every account and folder (a gateway reply and the qmail
   * sent as email, filed in Sent, are one conversation).
   */
  thread(id: string): MessageSummary[] {
    this.refresh();
    const members = threadIn(this.known, id);
    const rows = this.legacySummaries(members);
    return members.flatMap((k) => (rows.get(k) ? [rows.get(k)!] : [])).sort((a, b) => a.date - b.date || (a.id < b.id ? -1 : 1));
  }
}
