// Full-text search without plaintext on disk: an index held in memory only, built from
// the sealed store after unlock and dropped on lock. Terms match as case-folded
// substrings of sender, recipients, subject, body and attachment names; all must match.
// matchRanges and snippetAround turn a hit into highlight ranges over the original text.
import type { FolderId } from '../../../shared/ipc/index.js';

interface Entry {
  id: string;
  folder: FolderId;
  date: number;
  text: string;
  /** Which pairs of adjacent units the text holds (hashed into PAIR_BITS bits): see pairsOf. */
  pairs: Uint32Array;
}

const PAIR_BITS = 1024;

/**
 * The pairs of adjacent UTF-16 units of `s`, hashed into a bit set. Every pair of a term that
 * occurs in a text is a pair of that text, so a text whose set lacks one of the term's bits
 * cannot hold the term and is skipped without being scanned: most texts, for a word that is
 * not in them (a scan of 100,000 messages costs tens of milliseconds; the sets, a few).
 */
function pairsOf(s: string, into = new Uint32Array(PAIR_BITS / 32)): Uint32Array {
  for (let i = 1; i < s.length; i++) {
    const h = (s.charCodeAt(i - 1) * 31 + s.charCodeAt(i)) & (PAIR_BITS - 1);
    into[h >>> 5]! |= 1 << (h & 31);
  }
  return into;
}

/** The non-zero words of a query's pair set: their indexes and their bits. */
interface Need {
  at: Uint8Array;
  bits: Uint32Array;
}

/** Whether every bit the query needs is set in `have`. */
function covers(have: Uint32Array, need: Need): boolean {
  for (let k = 0; k < need.at.length; k++) {
    const bits = need.bits[k]!;
    if (((have[need.at[k]!]! & bits) >>> 0) !== bits) return false;
  }
  return true;
}

export function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The query's terms, folded; empty terms dropped. */
export function queryTerms(q: string): string[] {
  return fold(q).split(/\s+/).filter(Boolean);
}

/** [start, end) offsets into a string, in UTF-16 code units. */
export type Range = [number, number];

/**
 * Where any of the (folded) terms occurs in `text`, as ranges of the original string, sorted
 * and merged. Folding can change lengths (ﬁ → fi, é → e), so each code point is folded on its
 * own and the folded string remembers where each of its units came from.
 */
export function matchRanges(text: string, terms: readonly string[]): Range[] {
  if (!terms.length || !text) return [];
  const found: Range[] = [];
  if (ASCII.test(text)) {
    // ASCII folds to its lower case, one unit for one: the offsets are the text's own (and
    // folding code point by code point costs about a microsecond each, on every hit's body).
    const folded = text.toLowerCase();
    for (const t of terms) {
      for (let i = folded.indexOf(t); i >= 0; i = folded.indexOf(t, i + 1)) found.push([i, i + t.length]);
    }
    return merge(found);
  }
  let folded = '';
  const from: number[] = [];
  const to: number[] = [];
  let at = 0;
  for (const ch of text) {
    const f = fold(ch);
    for (let i = 0; i < f.length; i++) {
      from.push(at);
      to.push(at + ch.length);
    }
    folded += f;
    at += ch.length;
  }
  for (const t of terms) {
    for (let i = folded.indexOf(t); i >= 0; i = folded.indexOf(t, i + 1)) found.push([from[i]!, to[i + t.length - 1]!]);
  }
  return merge(found);
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

function merge(found: Range[]): Range[] {
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/**
 * A one-line excerpt of `text` around its first match (whitespace collapsed), at most about
 * `width` characters, with the matches inside it. Undefined when nothing matches.
 */
export function snippetAround(text: string, terms: readonly string[], width = 140): { text: string; ranges: Range[] } | undefined {
  const flat = text.replace(/\s+/g, ' ').trim();
  const ranges = matchRanges(flat, terms);
  if (!ranges.length) return undefined;
  const first = ranges[0]![0];
  let start = Math.max(0, first - Math.floor(width / 3));
  if (start > 0) {
    // Begin at a word: the first space inside the window, when it comes before the match.
    const space = flat.indexOf(' ', start);
    if (space >= 0 && space < first) start = space + 1;
  }
  const end = Math.min(flat.length, start + width);
  const lead = start > 0 ? '…' : '';
  const tail = end < flat.length ? '…' : '';
  const shift = lead.length - start;
  return {
    text: `${lead}${flat.slice(start, end)}${tail}`,
    ranges: ranges.filter(([a, b]) => a >= start && b <= end).map(([a, b]) => [a + shift, b + shift] as Range),
  };
}

/** The pairs every text must hold to match all of `terms`, as the non-zero words of their set. */
function pairsOfTerms(terms: readonly string[]): Need {
  const set = new Uint32Array(PAIR_BITS / 32);
  for (const t of terms) pairsOf(t, set);
  const at = Uint8Array.from([...set.keys()].filter((i) => set[i] !== 0));
  return { at, bits: Uint32Array.from(at, (i) => set[i]!) };
}

export class SearchIndex {
  private readonly entries = new Map<string, Entry>();
  /** The entries as an array, made again after a change: scanning an array beats iterating the map. */
  private list: Entry[] | null = null;

  private all(): Entry[] {
    return (this.list ??= [...this.entries.values()]);
  }

  get size(): number {
    return this.entries.size;
  }

  put(id: string, folder: FolderId, date: number, fields: string[]): void {
    const text = fold(fields.join('\n'));
    this.entries.set(id, { id, folder, date, text, pairs: pairsOf(text) });
    this.list = null;
  }

  move(id: string, folder: FolderId): void {
    const e = this.entries.get(id);
    if (e) e.folder = folder;
  }

  remove(id: string): void {
    this.entries.delete(id);
    this.list = null;
  }

  clear(): void {
    this.entries.clear();
    this.list = null;
  }

  /**
   * How many match, and the newest `limit` of them (newest first, as query() orders them):
   * one pass, no sort of every hit (a common word matches most of 100,000 messages).
   */
  top(q: string, folder: FolderId | undefined, limit: number): { total: number; ids: string[] } {
    const terms = queryTerms(q);
    if (!terms.length || limit < 1) return { total: 0, ids: [] };
    const best: [string, number][] = [];
    const before = (a: [string, number], b: [string, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
    const need = pairsOfTerms(terms);
    let total = 0;
    const all = this.all();
    // Newest last, mostly (mail is filed as it comes): from the end, the best fill early and the rest are passed over.
    for (let k = all.length - 1; k >= 0; k--) {
      const e = all[k]!;
      if (folder && e.folder !== folder) continue;
      if (!covers(e.pairs, need) || !terms.every((t) => e.text.includes(t))) continue;
      total++;
      if (best.length === limit && !(e.date > best[limit - 1]![1] || (e.date === best[limit - 1]![1] && e.id < best[limit - 1]![0]))) continue;
      const hit: [string, number] = [e.id, e.date];
      let at = best.length;
      while (at > 0 && before(hit, best[at - 1]!)) at--;
      best.splice(at, 0, hit);
      if (best.length > limit) best.pop();
    }
    return { total, ids: best.map(([id]) => id) };
  }

  /** Matching ids, newest first. */
  query(q: string, folder?: FolderId): string[] {
    const terms = queryTerms(q);
    if (!terms.length) return [];
    const hits: [string, number][] = [];
    const need = pairsOfTerms(terms);
    for (const [id, e] of this.entries) {
      if (folder && e.folder !== folder) continue;
      if (covers(e.pairs, need) && terms.every((t) => e.text.includes(t))) hits.push([id, e.date]);
    }
    return hits.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }
}
