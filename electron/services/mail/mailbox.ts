// The stored mail: filing a message (sealed row plus sealed extras), moving it between
// folders, Trash and restore, erasing, and what is held in memory after unlock — the search
// index and the conversations (message id → its letter and thread, letter id → message id).
import type { FolderId, MessageSummary } from '../../../shared/ipc/index.js';
import type { StoredMessage } from '../../store/messages.js';
import { SearchIndex } from './search.js';
import { MailError, type Extras, type MailContext } from './context.js';

/** A letter's place in its conversation: CBDF ids (hex) of itself, the message it answers and the first message. */
interface ThreadEntry {
  letter: string;
  root: string;
  inReplyTo?: string;
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

export class Mailbox {
  readonly index = new SearchIndex();
  private readonly threads = new Map<string, ThreadEntry>();
  private readonly byLetter = new Map<string, string>();
  private indexed = false;
  /** While the index is built in slices: the last message id indexed ('' before the first). */
  private cursor: string | undefined;
  /** Bumped by every (re)build and by forget(): a slice loop of an older one stops. */
  private generation = 0;

  constructor(private readonly ctx: MailContext) {}

  private get messages() {
    return this.ctx.tables.messages;
  }

  extras(id: string): Extras | undefined {
    return this.ctx.tables.extras.get(id);
  }

  /** Files a message (and its extras) and keeps the index and the conversations up to date. */
  file(id: string, folder: FolderId, date: number, unread: boolean, m: StoredMessage, x?: Extras): void {
    this.ctx.db.transaction(() => {
      this.messages.put(id, folder, date, unread, m);
      if (x) this.ctx.tables.extras.put(id, x);
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

  /** Indexes every stored message (after unlock). */
  build(): void {
    this.restart();
    this.finishBuild();
  }

  /**
   * The same, in slices between other work (after unlock, so the first screen does not wait
   * for 100,000 messages to be unsealed). Anything that needs the whole index meanwhile
   * (search, a conversation) finishes it at once through ensureBuilt().
   */
  async buildInBackground(slice = 500): Promise<void> {
    const generation = this.restart();
    for (;;) {
      // Each slice after a turn of the event loop (the unlock's answer and first screen go first).
      await new Promise<void>((r) => setImmediate(r));
      if (generation !== this.generation || this.cursor === undefined) return;
      this.buildSlice(slice);
    }
  }

  private restart(): number {
    this.index.clear();
    this.threads.clear();
    this.byLetter.clear();
    this.indexed = false;
    this.cursor = '';
    return ++this.generation;
  }

  /** Indexes the next messages by id; a message filed, moved or erased meanwhile is already current here. */
  private buildSlice(limit: number): void {
    if (this.cursor === undefined) return;
    const rows = this.messages.page(this.cursor, limit);
    if (!rows.length) {
      this.cursor = undefined;
      this.indexed = true;
      return;
    }
    const last = rows[rows.length - 1]!.id;
    const extras = this.ctx.tables.extras.range(this.cursor, last);
    for (const r of rows) {
      const x = extras.get(r.id);
      this.index.put(r.id, r.folder, r.date, indexTexts(r.message, x));
      this.noteThread(r.id, x);
    }
    this.cursor = last;
  }

  private finishBuild(): void {
    while (this.cursor !== undefined) this.buildSlice(5000);
  }

  /** Whether the in-memory maps are built (a one-shot reader such as the CLI's read does not build them). */
  get built(): boolean {
    return this.indexed;
  }

  ensureBuilt(): void {
    if (this.indexed || !this.ctx.unlocked()) return;
    if (this.cursor !== undefined) this.finishBuild();
    else this.build();
  }

  /**
   * The stored message that is this letter (CBDF id) from this sender, if any: a sender that
   * never heard its beacon take a Tell sends the letter again under a new GUID.
   */
  letterFrom(letterId: string, from: string): string | undefined {
    this.ensureBuilt();
    const id = this.byLetter.get(letterId);
    // Our own Sent copy of a letter to ourselves is not a received copy of it.
    return id !== undefined && this.messages.get(id)?.from === from && this.extras(id)?.certificate?.direction !== 'sent' ? id : undefined;
  }

  /** On lock: forget everything decrypted. */
  forget(): void {
    this.generation++;
    this.cursor = undefined;
    this.index.clear();
    this.threads.clear();
    this.byLetter.clear();
    this.indexed = false;
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
      const t = Math.max(this.messages.get(id)?.date ?? 0, pid && depth < 64 ? time(pid, depth + 1) + 1 : 0);
      at.set(id, t);
      return t;
    };
    return ids.sort((a, b) => time(a) - time(b) || (a < b ? -1 : 1));
  }

  /** For the reader: the conversation's size and the message this one answers (when the maps are built). */
  threadOf(id: string): { inReplyTo?: string; size: number } | undefined {
    const t = this.indexed ? this.threads.get(id) : undefined;
    if (!t) return undefined;
    const size = this.conversation(t.root).length;
    const answered = t.inReplyTo ? this.byLetter.get(t.inReplyTo) : undefined;
    return size > 1 || answered ? { ...(answered ? { inReplyTo: answered } : {}), size: Math.max(1, size) } : undefined;
  }

  /** The conversation of a message (just itself when it has none), oldest first. */
  thread(id: string): MessageSummary[] {
    if (!this.messages.get(id)) throw new MailError('not_found', 'That message is no longer here.');
    this.ensureBuilt();
    const t = this.threads.get(id);
    const ids = t ? this.conversation(t.root) : [id];
    return ids.flatMap((i) => {
      const m = this.messages.get(i);
      if (!m) return [];
      const { body: _b, ...summary } = m;
      return [summary];
    });
  }

  /** The letter ids a reply to `id` carries: the answered letter and its conversation's first one. */
  threadRef(id: string): { inReplyTo: string; root: string } | undefined {
    this.ensureBuilt();
    const t = this.threads.get(id);
    return t ? { inReplyTo: t.letter, root: t.root } : undefined;
  }

  /** Moves to Trash; a message already in Trash (or with permanent) is erased. */
  delete(id: string, permanent: boolean): FolderId[] {
    const m = this.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (!permanent && m.folder !== 'trash') {
      this.moveTo(id, 'trash');
      return [m.folder, 'trash'];
    }
    const refs = this.extras(id)?.attachments.flatMap((a) => (a.ref ? [a.ref] : [])) ?? [];
    this.ctx.db.transaction(() => {
      this.messages.remove(id);
      this.ctx.tables.extras.remove(id);
    })();
    // Its sealed attachment files go after the row that names them.
    for (const ref of refs) void this.ctx.tables.attachments.remove(ref).catch(() => undefined);
    this.index.remove(id);
    return [m.folder];
  }

  /**
   * Moves a message to another folder (Archive, Trash, back to Inbox…); returns the folder it
   * left. Going to Trash remembers where it came from (sealed with the message) for Restore.
   */
  moveTo(id: string, folder: FolderId): FolderId {
    const m = this.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (m.folder === folder) return folder;
    const x = this.extras(id);
    this.ctx.db.transaction(() => {
      this.messages.move(id, folder);
      if (folder === 'trash') this.ctx.tables.extras.put(id, { attachments: [], ...x, trashedFrom: m.folder });
      else if (x?.trashedFrom) {
        const { trashedFrom: _t, ...rest } = x;
        this.ctx.tables.extras.put(id, rest);
      }
    })();
    this.index.move(id, folder);
    return m.folder;
  }

  /** Where a message in Trash goes back to. */
  restoreFolder(m: { folder: FolderId; from: string; level: MessageSummary['level'] }, x: Extras | undefined): FolderId {
    if (x?.trashedFrom && x.trashedFrom !== 'trash') return x.trashedFrom;
    if (x?.draft || m.level === 'local') return 'drafts';
    const me = this.ctx.identity.current();
    return m.from === 'me' || (me && m.from === me.address) ? 'sent' : 'inbox';
  }

  /** Takes a message out of Trash, back where it was deleted from; returns that folder. */
  restore(id: string): FolderId {
    const m = this.messages.get(id);
    if (!m) throw new MailError('not_found', 'That message is no longer here.');
    if (m.folder !== 'trash') throw new MailError('invalid_input', 'Only messages in Trash can be restored.');
    const to = this.restoreFolder(m, this.extras(id));
    this.moveTo(id, to);
    return to;
  }
}
