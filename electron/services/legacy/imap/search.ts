// Search on the server: `UID SEARCH TEXT …` in a few folders of an account, for mail whose
// body was never fetched (docs/legacy.md, "Search"). The query is cut into words, each
// bounded, control characters dropped; imapflow sends each word as a quoted string (a
// literal, with CHARSET UTF-8, when it is not ASCII), so nothing the user types becomes IMAP
// syntax. Every folder is searched under the client's mailbox lock, one command at a time,
// never inside a fetch iterator; its UIDVALIDITY must be the stored one, else its UIDs would
// name other messages and the folder is passed over (its next sync starts it again).
import type { ImapFlow, SearchObject } from 'imapflow';

/** Words sent to the server (more are left to the local index). */
export const MAX_TERMS = 8;
/** Characters of one word sent to the server. */
export const MAX_TERM_CHARS = 64;
/** UIDs of one folder's answer kept (the highest, i.e. the newest): a common word can match a whole mailbox. */
export const MAX_UIDS = 20_000;

/**
 * The words of a query as the server is asked for them: split at whitespace, control
 * characters dropped, a leading backslash dropped (imapflow would send `\word` bare, as it
 * sends a flag), each cut to MAX_TERM_CHARS code points, duplicates once, at most MAX_TERMS.
 */
export function serverTerms(query: string): string[] {
  const out: string[] = [];
  // eslint-disable-next-line no-control-regex
  for (const raw of query.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').split(/\s+/)) {
    const t = [...raw.replace(/^\\+/, '')].slice(0, MAX_TERM_CHARS).join('');
    if (!t || out.some((o) => o.toLowerCase() === t.toLowerCase())) continue;
    out.push(t);
    if (out.length === MAX_TERMS) break;
  }
  return out;
}

/**
 * Every word in the text (headers or body), as one search key: `TEXT a NOT NOT (TEXT b …)`.
 * imapflow's query object takes one key of a kind, so the further words are nested under a
 * double NOT, which is the same set.
 */
export function textQuery(terms: readonly string[]): SearchObject {
  if (!terms.length) throw new Error('no words to search for');
  const [first, ...rest] = terms;
  return rest.length ? { text: first!, not: { not: textQuery(rest) } } : { text: first! };
}

/** What searchFolders needs of an imapflow client (tests give a fake). */
export type SearchClient = Pick<ImapFlow, 'getMailboxLock' | 'search'> & { mailbox: ImapFlow['mailbox'] };

export interface FolderTarget {
  folderId: string;
  path: string;
  /** The stored UIDVALIDITY: the folder is searched only while the server's is the same. */
  uidvalidity: number | null;
}

export interface FolderMatch {
  folderId: string;
  uids: number[];
}

/**
 * Searches the folders in turn; each folder's UIDs are pushed into `into` as it answers, so
 * a caller that stops waiting keeps what came. Once `signal` is aborted no further command is
 * sent (one in flight finishes on its own and releases its lock).
 */
export async function searchFolders(
  c: SearchClient,
  targets: readonly FolderTarget[],
  terms: readonly string[],
  signal: AbortSignal,
  into: FolderMatch[],
): Promise<void> {
  const query = textQuery(terms);
  for (const t of targets) {
    if (signal.aborted || t.uidvalidity === null) return;
    const lock = await c.getMailboxLock(t.path);
    try {
      if (signal.aborted) return;
      const mb = c.mailbox;
      if (!mb || Number(mb.uidValidity) !== t.uidvalidity) continue;
      const found = await c.search(query, { uid: true });
      if (!Array.isArray(found)) continue;
      const uids = found.filter((u) => Number.isSafeInteger(u) && u > 0);
      uids.sort((a, b) => b - a);
      into.push({ folderId: t.folderId, uids: uids.slice(0, MAX_UIDS) });
    } finally {
      lock.release();
    }
  }
}
