// The unified folders' read side: qmail (`messages`) and the legacy accounts' mail
// (`legacy_messages` in folders of the same role) as one list, newest first, paged and
// counted from the clear columns alone (folder, role, date, unread/flag bits, ids). Opening
// the rows a page names stays with each store.
import type { FolderId } from '../../shared/ipc/index.js';
import type { Db } from './database.js';
import { Flag } from './legacy.js';

/** Which mail: all of it, qmail only, or one legacy account's (its id). */
export type Source = 'qmail' | { account: string } | undefined;

/** A row of a unified page: a qmail (`legacy` false) or a legacy message, by id. */
export interface UnifiedRef {
  id: string;
  legacy: boolean;
  date: number;
}

/** The legacy folders of a role (one of ours), optionally one account's. */
function legacyFolders(account: string | undefined): string {
  return `SELECT id FROM legacy_folders WHERE role = @role${account ? ' AND account_id = @account' : ''}`;
}

export class UnifiedStore {
  constructor(private readonly db: Db) {}

  /** How many legacy messages the folder of this role holds (all accounts, or one). */
  legacyCount(folder: FolderId, account?: string): number {
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM legacy_messages WHERE folder_id IN (${legacyFolders(account)})`)
        .get({ role: folder, ...(account ? { account } : {}) }) as { n: number }
    ).n;
  }

  /** Legacy totals and unread (no \Seen) per folder of ours. */
  legacyCounts(): Map<FolderId, { total: number; unread: number }> {
    const rows = this.db
      .prepare(
        `SELECT f.role AS role, COUNT(*) AS total, SUM(CASE WHEN (m.flags & ${Flag.seen}) = 0 THEN 1 ELSE 0 END) AS unread
         FROM legacy_messages m JOIN legacy_folders f ON f.id = m.folder_id
         WHERE f.role IN ('inbox', 'sent', 'drafts', 'archive', 'trash') GROUP BY f.role`,
      )
      .all() as { role: FolderId; total: number; unread: number | null }[];
    return new Map(rows.map((r) => [r.role, { total: r.total, unread: r.unread ?? 0 }]));
  }

  /**
   * One page of the folder, newest first (ties by id), over qmail and the legacy folders of
   * the same role. SQLite merges the two date-ordered index scans.
   */
  page(folder: FolderId, source: Source, offset: number, limit: number): { total: number; refs: UnifiedRef[] } {
    const account = typeof source === 'object' ? source.account : undefined;
    const withQmail = source === undefined || source === 'qmail';
    const withLegacy = source !== 'qmail';
    const qTotal = withQmail ? (this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE folder = ?').get(folder) as { n: number }).n : 0;
    const lTotal = withLegacy ? this.legacyCount(folder, account) : 0;
    const parts: string[] = [];
    if (withQmail && qTotal) parts.push('SELECT id, date, 0 AS legacy FROM messages WHERE folder = @role');
    if (withLegacy && lTotal)
      parts.push(`SELECT id, date, 1 AS legacy FROM legacy_messages WHERE folder_id IN (${legacyFolders(account)})`);
    if (!parts.length) return { total: 0, refs: [] };
    const rows = this.db
      .prepare(`${parts.join(' UNION ALL ')} ORDER BY date DESC, id LIMIT @limit OFFSET @offset`)
      .all({ role: folder, limit, offset, ...(account && withLegacy && lTotal ? { account } : {}) }) as {
      id: string;
      date: number;
      legacy: number;
    }[];
    return { total: qTotal + lTotal, refs: rows.map((r) => ({ id: r.id, date: r.date, legacy: r.legacy === 1 })) };
  }

  /** Every legacy message in one of our folders, with its account: what the search index is built from (clear columns only). */
  legacyRefs(): { id: string; date: number; folder: FolderId; accountId: string }[] {
    return this.db
      .prepare(
        `SELECT m.id AS id, m.date AS date, f.role AS folder, f.account_id AS accountId
         FROM legacy_messages m JOIN legacy_folders f ON f.id = m.folder_id
         WHERE f.role IN ('inbox', 'sent', 'drafts', 'archive', 'trash')`,
      )
      .all() as { id: string; date: number; folder: FolderId; accountId: string }[];
  }

  /** The legacy folders that are one of ours, by id: their account and which of our folders. */
  legacyFolders(): Map<string, { accountId: string; folder: FolderId }> {
    const rows = this.db
      .prepare(`SELECT id, account_id AS accountId, role FROM legacy_folders WHERE role IN ('inbox', 'sent', 'drafts', 'archive', 'trash')`)
      .all() as { id: string; accountId: string; role: FolderId }[];
    return new Map(rows.map((r) => [r.id, { accountId: r.accountId, folder: r.role }]));
  }

  /** Whether the id is a legacy message's. */
  isLegacy(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM legacy_messages WHERE id = ?').get(id) !== undefined;
  }
}
