// Search on the accounts' servers for the unified folders (docs/legacy.md, "Search"). The
// local index knows envelopes and the bodies held here; a word only in the body of an email
// never opened is found by asking each IMAP account's server (`UID SEARCH TEXT`) in the
// folders the search covers, bounded in folders and time, and the UIDs it answers are mapped
// to our rows (UIDVALIDITY checked by imap/search.ts). What the index already found is left
// out: these are the further rows, "found on the server". POP3 accounts keep no mail on a
// server we can search: their mail is searched locally only.
import type { FolderId } from '../../../shared/ipc/index.js';
import type { FolderRole } from '../../store/legacy.js';
import { serverTerms } from '../legacy/imap/search.js';
import type { LegacyService } from '../legacy/service.js';

/** How long one account's server may take (connecting included) before its answer is left out. */
export const SERVER_SEARCH_TIMEOUT_MS = 5_000;
/** Folders searched per account when the search is over every folder. */
export const MAX_SEARCH_FOLDERS = 5;
/** The order folders are searched in when the search is over every folder. */
const ROLES: readonly FolderRole[] = ['inbox', 'archive', 'sent', 'drafts', 'trash'];

export interface ServerAnswer {
  accountId: string;
  account: string;
  /** 'searched': every folder answered; 'timeout': not all in time (what came is used); 'failed': no answer (offline, refused). */
  outcome: 'searched' | 'timeout' | 'failed';
}

/** The rows the servers found that the local search did not, newest first (ties by id), at most `limit`. */
export function serverOnly(rows: readonly { id: string; date: number }[], local: ReadonlySet<string>, limit: number): string[] {
  const seen = new Set<string>();
  const out: { id: string; date: number }[] = [];
  for (const r of rows) {
    if (local.has(r.id) || seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
  }
  out.sort((a, b) => b.date - a.date || (a.id < b.id ? -1 : 1));
  return out.slice(0, Math.max(0, limit)).map((r) => r.id);
}

export class ServerSearch {
  private current: AbortController | undefined;

  constructor(private readonly d: { legacy: LegacyService; timeoutMs?: number }) {}

  /** Stops a search still waiting for servers (a newer one started, or the profile locks). */
  cancel(): void {
    this.current?.abort();
    this.current = undefined;
  }

  /**
   * Asks every IMAP account in the search (all, or `account`) that is not waiting for the user
   * to sign in again, in parallel; the ids of rows they matched beyond `local`. A newer search
   * supersedes this one: it then answers nothing.
   */
  async run(
    query: string,
    folder: FolderId | undefined,
    account: string | undefined,
    local: ReadonlySet<string>,
    limit: number,
  ): Promise<{ ids: string[]; servers: ServerAnswer[] }> {
    this.cancel();
    const mine = new AbortController();
    this.current = mine;
    const terms = serverTerms(query);
    const accounts = this.d.legacy
      .listAccounts()
      .filter(
        (a) =>
          a.incoming.kind === 'imap' &&
          (account === undefined || a.id === account) &&
          a.lastError?.code !== 'auth' &&
          a.lastError?.code !== 'oauth_revoked',
      );
    if (!terms.length || !accounts.length) return { ids: [], servers: [] };
    const roles = folder ? [folder] : ROLES;
    const answers = await Promise.all(
      accounts.map(async (a) => ({
        a,
        r: await this.d.legacy.searchServer(a.id, roles, terms, {
          timeoutMs: this.d.timeoutMs ?? SERVER_SEARCH_TIMEOUT_MS,
          maxFolders: MAX_SEARCH_FOLDERS,
          signal: mine.signal,
        }),
      })),
    );
    if (mine.signal.aborted) return { ids: [], servers: [] };
    if (this.current === mine) this.current = undefined;
    const rows = answers.flatMap(({ r }) => r.matches.flatMap((m) => this.d.legacy.store.byUids(m.folderId, m.uids)));
    return {
      ids: serverOnly(rows, local, limit),
      servers: answers.map(({ a, r }) => ({ accountId: a.id, account: a.name, outcome: r.outcome })),
    };
  }
}
