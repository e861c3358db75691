// The IMAP folder sync (docs/legacy.md, "sync state machine"). Per folder the store keeps
// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and how far the initial sync got ([lowUid, topUid]).
//
//   UIDVALIDITY differs from the stored one -> drop the folder's messages, start again
//   initial (lowUid > 1)  -> fetch UIDs [lowUid - CHUNK, lowUid - 1] (newest first), store them
//                            and the new lowUid in one transaction; a kill resumes there. The
//                            fetches go over the bulk connection (bulk.ts, several in flight,
//                            read by the lean parser) when it opens, else over imapflow
//   delta                 -> new UIDs from UIDNEXT; flag changes and removals by QRESYNC (the
//                            SELECT answers with the FETCH FLAGS and VANISHED (EARLIER) since our
//                            MODSEQ), else flag changes by CHANGEDSINCE (CONDSTORE) or by
//                            comparing every UID's flags, and removals by UID SEARCH when the
//                            server's count differs from ours
//
// Every FETCH is read whole (fetchAll) before the next command: no command is ever issued
// inside a fetch iterator, so imapflow's lock cannot deadlock.
// Longer than 400 lines on purpose: one folder's state machine (initial pass over the bulk
// connection or imapflow, then the QRESYNC, CONDSTORE or UID-diff delta) reads as one piece.
import type {
  ExpungeEvent,
  FetchMessageObject,
  FlagsEvent,
  ImapFlow,
  ListResponse,
  MessageEnvelopeObject,
  MessageStructureObject,
} from 'imapflow';
import { Flag, type Envelope, type FolderRole, type FolderState, type LegacyStore, type NewMessage } from '../../../store/legacy.js';
import { LegacyError, classify } from '../errors.js';
import type { BulkImap } from './bulk.js';
import { ImapParseError } from './fetch-parser.js';

export const DEFAULT_CHUNK = 2000;
/** The first chunk of a folder is small: the newest screenful shows before the rest arrives. */
export const FIRST_CHUNK = 200;
/** UID FETCH commands in flight on the bulk connection: the server writes the next while we store one. */
export const BULK_WINDOW = 3;

export type SyncMode = 'initial' | 'qresync' | 'condstore' | 'uiddiff';

export interface FolderReport {
  path: string;
  role: FolderRole | null;
  total: number;
  added: number;
  changed: number;
  removed: number;
  seconds: number;
  mode: SyncMode;
  /** An initial pass: whether its chunks came over the bulk connection or (some, or all) over the client. */
  fetchedBy?: 'bulk' | 'client';
}

export interface SyncOptions {
  chunk?: number;
  /** Called after each stored chunk (progress; tests use it to cut a connection mid-sync). */
  onChunk?: (folder: string, stored: number) => void;
  /** Only these folder paths (IDLE asks for one). */
  only?: string[];
  signal?: AbortSignal;
  now?: () => number;
  /**
   * Opens the bulk connection for initial passes (same server and login as the client);
   * without it, or when it fails to open, the initial pass fetches over the client.
   */
  openBulk?: () => Promise<BulkImap>;
}

const ROLE_BY_USE: Record<string, FolderRole> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'sent',
  '\\Drafts': 'drafts',
  '\\Archive': 'archive',
  '\\All': 'archive',
  '\\Trash': 'trash',
  '\\Junk': 'junk',
};

export function roleOf(m: Pick<ListResponse, 'path' | 'specialUse'>): FolderRole | null {
  if (m.path.toUpperCase() === 'INBOX') return 'inbox';
  return m.specialUse ? (ROLE_BY_USE[m.specialUse] ?? null) : null;
}

const FLAG_BITS: Record<string, number> = {
  '\\Seen': Flag.seen,
  '\\Flagged': Flag.flagged,
  '\\Answered': Flag.answered,
  '\\Draft': Flag.draft,
  '\\Deleted': Flag.deleted,
};

export function flagBits(flags: Iterable<string> | undefined): number {
  let b = 0;
  if (!flags) return b;
  for (const f of flags) b |= Object.hasOwn(FLAG_BITS, f) ? FLAG_BITS[f]! : 0;
  return b;
}

function hasAttachment(s: MessageStructureObject | undefined): boolean {
  if (!s) return false;
  if (s.childNodes?.length) return s.childNodes.some(hasAttachment);
  return s.disposition === 'attachment' || Boolean(s.dispositionParameters?.filename ?? s.parameters?.name);
}

// A server's envelope is bounded before it is stored: a list row needs no more.
const MAX_FIELD = 998;
const MAX_ADDRESSES = 200;
const cut = (v: string | undefined) => (v === undefined ? undefined : v.slice(0, MAX_FIELD));
const addr = (list: { name?: string; address?: string }[] | undefined) =>
  (list ?? [])
    .slice(0, MAX_ADDRESSES)
    .map((a) => cut(a.address) ?? '')
    .filter(Boolean);

/** One message's header items, from imapflow or from the bulk connection's parser. */
export interface Fetched {
  uid: number;
  flags?: Iterable<string>;
  size?: number;
  envelope?: MessageEnvelopeObject;
  internalDate?: Date | string;
  hasAttachments: boolean;
}

export const fromImapflow = (m: FetchMessageObject): Fetched => ({
  uid: m.uid,
  ...(m.flags ? { flags: m.flags } : {}),
  ...(m.size !== undefined ? { size: m.size } : {}),
  ...(m.envelope ? { envelope: m.envelope } : {}),
  ...(m.internalDate !== undefined ? { internalDate: m.internalDate } : {}),
  hasAttachments: hasAttachment(m.bodyStructure),
});

export function toNew(m: Fetched): NewMessage {
  const e = m.envelope;
  const from = e?.from?.[0];
  const envelope: Envelope = {
    from: cut(from?.address) ?? '',
    ...(from?.name ? { fromName: cut(from.name)! } : {}),
    to: addr(e?.to),
    cc: addr(e?.cc),
    subject: cut(e?.subject) ?? '',
    ...(e?.messageId ? { messageId: cut(e.messageId)! } : {}),
    ...(e?.inReplyTo ? { inReplyTo: cut(e.inReplyTo)! } : {}),
    hasAttachments: m.hasAttachments,
  };
  const d = e?.date ?? m.internalDate;
  const date = d ? new Date(d).getTime() : 0;
  return { uid: m.uid, date: Number.isFinite(date) && date > 0 ? date : 0, flags: flagBits(m.flags), size: m.size ?? 0, envelope };
}

const HEADERS_QUERY = { uid: true, flags: true, envelope: true, size: true, bodyStructure: true, internalDate: true } as const;

/** Makes the store's folder list match the server's (new folders added, vanished ones dropped). */
export async function syncFolderList(client: ImapFlow, store: LegacyStore, accountId: string): Promise<FolderState[]> {
  const listed = (await client.list()).filter((m) => !m.flags.has('\\Noselect') && !m.flags.has('\\NonExistent'));
  const have = new Map(store.folders(accountId).map((f) => [f.path, f]));
  const out: FolderState[] = [];
  for (const m of listed) {
    const role = roleOf(m);
    let f = have.get(m.path);
    if (!f) f = store.addFolder(accountId, m.path, role);
    else if (f.role !== role) store.setFolderRole(f.id, role);
    have.delete(m.path);
    out.push({ ...f, role });
  }
  for (const gone of have.values()) store.removeFolder(gone.id);
  return out;
}

export async function syncFolder(
  client: ImapFlow,
  store: LegacyStore,
  folder: FolderState,
  o: SyncOptions = {},
  bulk?: () => Promise<BulkImap | null>,
): Promise<FolderReport> {
  const started = performance.now();
  const chunk = o.chunk ?? DEFAULT_CHUNK;
  const report: FolderReport = {
    path: folder.path,
    role: folder.role,
    total: 0,
    added: 0,
    changed: 0,
    removed: 0,
    seconds: 0,
    mode: 'uiddiff',
  };
  // A fresh SELECT: a mailbox left selected has a stale UIDNEXT/HIGHESTMODSEQ, and other
  // sessions' expunges reach it only at the next command that allows them.
  if (client.mailbox && client.mailbox.path === folder.path) await client.mailboxClose();
  // QRESYNC: a folder whose initial pass is done is SELECTed with its UIDVALIDITY and MODSEQ;
  // the server answers with the flags changed since (untagged FETCH, imapflow's `flags`) and
  // the UIDs expunged since (VANISHED (EARLIER), imapflow's `expunge` with `vanished`). A
  // VANISHED later in the session (another client expunging meanwhile) is collected too.
  const known = store.folder(folder.id)!;
  const qresync =
    client.enabled.has('QRESYNC') &&
    known.uidvalidity !== null &&
    known.highestmodseq !== null &&
    known.lowUid !== null &&
    known.lowUid <= 1;
  const vanished = new Set<number>();
  const pushed = new Map<number, number>();
  const onExpunge = (e: ExpungeEvent) => {
    if (e.path === folder.path && e.vanished && e.uid) vanished.add(e.uid);
  };
  const onFlags = (e: FlagsEvent) => {
    if (e.path === folder.path && e.uid) pushed.set(e.uid, flagBits(e.flags));
  };
  client.on('expunge', onExpunge);
  client.on('flags', onFlags);
  let lock: Awaited<ReturnType<ImapFlow['getMailboxLock']>>;
  try {
    lock = await client.getMailboxLock(
      folder.path,
      qresync ? { uidValidity: BigInt(known.uidvalidity!), changedSince: BigInt(known.highestmodseq!) } : {},
    );
  } catch (e) {
    client.off('expunge', onExpunge);
    client.off('flags', onFlags);
    throw classify(e, `IMAP sync of a folder`);
  }
  try {
    const mb = client.mailbox;
    if (!mb) throw new Error('no mailbox selected');
    const uidValidity = Number(mb.uidValidity);
    let s = store.folder(folder.id)!;
    if (s.uidvalidity !== null && s.uidvalidity !== uidValidity) {
      store.resetFolder(folder.id, uidValidity);
      s = store.folder(folder.id)!;
    } else if (s.uidvalidity === null) {
      store.saveState(folder.id, { uidvalidity: uidValidity });
    }
    const condstore = mb.highestModseq !== undefined && !mb.noModseq && (client.enabled.has('CONDSTORE') || client.enabled.has('QRESYNC'));

    if (s.lowUid === null || s.topUid === null) {
      // First contact (or after a UIDVALIDITY change): everything below UIDNEXT, newest first.
      const top = Math.max(0, mb.uidNext - 1);
      store.saveState(folder.id, {
        topUid: top,
        lowUid: top + 1,
        uidnext: null,
        highestmodseq: condstore && mb.highestModseq !== undefined ? mb.highestModseq.toString() : null,
      });
      s = store.folder(folder.id)!;
    }
    if ((s.lowUid ?? 1) > 1) {
      report.mode = 'initial';
      const top = s.topUid!;
      const range = (low: number, size: number) => ({ from: Math.max(1, low - size), to: low - 1 });
      const firstSize = s.lowUid! > top ? Math.min(chunk, FIRST_CHUNK) : chunk;
      // Each chunk's rows and the new lowUid in one transaction: a kill resumes at lowUid.
      const keep = (cur: { from: number; to: number }, got: Fetched[]) => {
        const list = got.filter((m) => m.uid >= cur.from && m.uid <= cur.to).map(toNew);
        report.added += store.addMessages(folder.id, list, cur.from > 1 ? { lowUid: cur.from } : { lowUid: 1, uidnext: top + 1 });
        o.onChunk?.(folder.path, report.added);
      };
      const b = bulk ? await bulk() : null;
      let done = false;
      if (b) {
        try {
          const ex = await b.examine(folder.path);
          if (ex.uidValidity !== uidValidity) throw new LegacyError('protocol', 'UIDVALIDITY changed during the sync');
          // Up to BULK_WINDOW UID FETCHes in flight, answers stored in order.
          let low = s.lowUid!;
          let size = firstSize;
          const inFlight: { r: { from: number; to: number }; p: Promise<Fetched[]> }[] = [];
          const ask = () => {
            while (inFlight.length < BULK_WINDOW && low > 1) {
              const r = range(low, size);
              size = chunk;
              low = r.from;
              inFlight.push({ r, p: b.fetchHeaders(r.from, r.to) });
            }
          };
          ask();
          while (inFlight.length) {
            o.signal?.throwIfAborted();
            const { r, p } = inFlight.shift()!;
            const got = await p;
            ask();
            keep(r, got);
          }
          done = true;
          report.fetchedBy = 'bulk';
        } catch (e) {
          // A server answer the lean parser refuses: the rest goes through imapflow, from
          // where the stored state says (the bulk connection is closed and not used again).
          if (!(e instanceof ImapParseError)) throw e;
          b.close();
        }
      }
      if (!done) {
        // The next chunk is asked for before this one is stored, so the server prepares it
        // while we seal and write (still no command inside an iterator: each answer is read whole).
        const ask = (r: { from: number; to: number }) => {
          const p = client.fetchAll(`${r.from}:${r.to}`, HEADERS_QUERY, { uid: true });
          p.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
          return p;
        };
        report.fetchedBy = 'client';
        const low = store.folder(folder.id)!.lowUid!;
        let cur = range(low, low > top ? firstSize : chunk);
        let pending = low > 1 ? ask(cur) : null;
        while (pending) {
          o.signal?.throwIfAborted();
          const got = await pending;
          const next = cur.from > 1 ? range(cur.from, chunk) : null;
          pending = next ? ask(next) : null;
          keep(cur, got.map(fromImapflow));
          if (next) cur = next;
        }
      }
      s = store.folder(folder.id)!;
    } else {
      // imapflow leaves `qresync` set on the mailbox (not in its types) only when the server
      // took it: the same UIDVALIDITY, a HIGHESTMODSEQ, no NOMODSEQ.
      const took = qresync && (mb as typeof mb & { qresync?: boolean }).qresync === true;
      report.mode = took ? 'qresync' : condstore && s.highestmodseq !== null ? 'condstore' : 'uiddiff';
    }

    // New messages since UIDNEXT.
    const since = s.uidnext ?? 1;
    if (mb.uidNext > since) {
      const got = await client.fetchAll(`${since}:*`, HEADERS_QUERY, { uid: true });
      report.added += store.addMessages(
        folder.id,
        got.filter((m) => m.uid >= since).map((m) => toNew(fromImapflow(m))),
      );
    }

    // Flag changes and removals (not needed right after a complete initial pass of this run).
    if (report.mode !== 'initial') {
      const local = store.uidFlags(folder.id);
      if (report.mode === 'qresync') {
        // Everything the SELECT said; the count check below is the safety net.
        report.changed += store.setFlags(
          folder.id,
          [...pushed].filter(([u, f]) => local.has(u) && local.get(u) !== f).map(([uid, flags]) => ({ uid, flags })),
        );
        report.removed += store.removeUids(folder.id, [...vanished]);
        vanished.clear();
        if (client.mailbox && client.mailbox.exists !== store.count(folder.id)) {
          const uids = new Set((await client.search({ all: true }, { uid: true })) || []);
          report.removed += store.removeUids(
            folder.id,
            [...store.uidFlags(folder.id).keys()].filter((u) => !uids.has(u)),
          );
        }
      } else if (report.mode === 'condstore') {
        const stored = BigInt(s.highestmodseq!);
        if (mb.highestModseq !== undefined && mb.highestModseq > stored) {
          const changed = await client.fetchAll('1:*', { uid: true, flags: true }, { uid: true, changedSince: stored });
          report.changed += store.setFlags(
            folder.id,
            changed.filter((m) => local.has(m.uid)).map((m) => ({ uid: m.uid, flags: flagBits(m.flags) })),
          );
        }
        if (client.mailbox && client.mailbox.exists !== store.count(folder.id)) {
          const uids = new Set((await client.search({ all: true }, { uid: true })) || []);
          report.removed += store.removeUids(
            folder.id,
            [...local.keys()].filter((u) => !uids.has(u)),
          );
        }
      } else {
        const all = await client.fetchAll('1:*', { uid: true, flags: true }, { uid: true });
        const server = new Map(all.map((m) => [m.uid, flagBits(m.flags)]));
        report.changed += store.setFlags(
          folder.id,
          [...server].filter(([u, f]) => local.has(u) && local.get(u) !== f).map(([uid, flags]) => ({ uid, flags })),
        );
        if ((client.mailbox && client.mailbox.exists === 0) || all.length) {
          report.removed += store.removeUids(
            folder.id,
            [...local.keys()].filter((u) => !server.has(u)),
          );
        }
      }
    }
    // VANISHED answers that came during this sync's commands (an expunge by another client
    // while we fetched): those messages are gone, whichever mode ran.
    if (vanished.size) report.removed += store.removeUids(folder.id, [...vanished]);
    const cur = client.mailbox || mb;
    store.saveState(folder.id, {
      uidnext: Math.max(cur.uidNext, store.maxUid(folder.id) + 1),
      // After an initial pass the MODSEQ of its start stays: changes made while it ran come next time.
      ...(report.mode === 'initial'
        ? {}
        : { highestmodseq: condstore && cur.highestModseq !== undefined ? cur.highestModseq.toString() : null }),
      syncedAt: (o.now ?? Date.now)(),
    });
  } catch (e) {
    throw classify(e, `IMAP sync of a folder`);
  } finally {
    lock.release();
    client.off('expunge', onExpunge);
    client.off('flags', onFlags);
  }
  report.total = store.count(folder.id);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** One pass over every folder of the account (INBOX first, so it is ready first). */
export async function syncAccount(client: ImapFlow, store: LegacyStore, accountId: string, o: SyncOptions = {}): Promise<FolderReport[]> {
  let folders: FolderState[] = store.folders(accountId);
  // A sync of named folders we know (IDLE's INBOX, a move's destination) skips the LIST.
  const known = o.only?.every((p) => folders.some((f) => f.path === p)) ?? false;
  if (!known) {
    try {
      folders = await syncFolderList(client, store, accountId);
    } catch (e) {
      throw classify(e, 'IMAP folder list');
    }
  }
  folders.sort((a, b) => Number(b.role === 'inbox') - Number(a.role === 'inbox'));
  // The bulk connection opens with the first initial pass that needs it and lives for this
  // pass over the account; one that fails to open (or broke on an answer) is not asked again.
  const held: { opening?: Promise<BulkImap | null> } = {};
  const bulk = o.openBulk
    ? async () => {
        held.opening ??= o.openBulk!().catch(() => null);
        const b = await held.opening;
        return b?.usable ? b : null;
      }
    : undefined;
  const picked = folders.filter((f) => !o.only || o.only.includes(f.path));
  // Opened at once (alongside the SELECT) when a folder still has an initial pass to run.
  if (bulk && picked.some((f) => f.lowUid === null || f.lowUid > 1)) void bulk();
  const out: FolderReport[] = [];
  try {
    for (const f of picked) {
      o.signal?.throwIfAborted();
      out.push(await syncFolder(client, store, f, o, bulk));
    }
  } finally {
    // Logged out before the sync returns: no session of ours lingers on the server after it.
    if (held.opening) await held.opening.then((b) => b?.logout());
  }
  return out;
}
