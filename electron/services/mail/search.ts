// Full-text search without plaintext on disk: an index held in memory only, built from
// the sealed store after unlock and dropped on lock. Terms match as case-folded
// substrings of sender, recipients, subject, body and attachment names; all must match.
import type { FolderId } from '../../../shared/ipc/index.js';

interface Entry {
  folder: FolderId;
  date: number;
  text: string;
}

export function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export class SearchIndex {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  put(id: string, folder: FolderId, date: number, fields: string[]): void {
    this.entries.set(id, { folder, date, text: fold(fields.join('\n')) });
  }

  move(id: string, folder: FolderId): void {
    const e = this.entries.get(id);
    if (e) e.folder = folder;
  }

  remove(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Matching ids, newest first. */
  query(q: string, folder?: FolderId): string[] {
    const terms = fold(q).split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    const hits: [string, number][] = [];
    for (const [id, e] of this.entries) {
      if (folder && e.folder !== folder) continue;
      if (terms.every((t) => e.text.includes(t))) hits.push([id, e.date]);
    }
    return hits.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }
}
