// Full-text search without plaintext on disk: an index held in memory only, built from
// the sealed store after unlock and dropped on lock (the words of the texts and which
// messages hold them; not the texts themselves). Terms match as case-folded
// substrings of sender, recipients, subject, body and attachment names; all must match.
// matchRanges and snippetAround turn a hit into highlight ranges over the original text.
import type { FolderId } from '../../../shared/ipc/index.js';

interface Entry {
  id: string;
  folder: FolderId;
  date: number;
  /** Its place in the index's slots (what the postings name); a slot is not reused until clear(). */
  slot: number;
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

/**
 * The texts split at whitespace into words, each word once in a vocabulary and with a posting
 * list of the slots whose text holds it. A term holds no whitespace (queryTerms splits there),
 * so a text contains it exactly when one of the text's words does: the words of the vocabulary
 * that contain the term give, through their postings, every text that matches it and no other,
 * without reading a text. The postings are one sorted array (CSR: where each word's slots
 * begin, then all the slots) plus a log of (word, slot) pairs since, merged into it in bulk.
 */
export class SearchIndex {
  private readonly entries = new Map<string, Entry>();
  /** Every entry by its slot; undefined once removed or replaced. */
  private slots: (Entry | undefined)[] = [];
  private readonly wordIds = new Map<string, number>();
  private words: string[] = [];
  /** The last slot each word was logged for (a word said twice in one text is logged once). */
  private lastSlot = new Int32Array(1024);
  /** Where each word's slots begin in postings (words merged so far, plus one). */
  private starts = new Uint32Array(1);
  private postings = new Uint32Array(0);
  /** (word, slot) pairs not merged yet. */
  private log = new Uint32Array(2048);
  private logged = 0;
  /** The vocabulary as one string, words apart by a newline, and where each begins. */
  private vocab: { text: string; at: Int32Array } | null = null;

  /** @param mergeAt how many log entries are merged into the postings at once. */
  constructor(private readonly mergeAt = 1 << 20) {}

  get size(): number {
    return this.entries.size;
  }

  put(id: string, folder: FolderId, date: number, fields: string[]): void {
    const text = fold(fields.join('\n'));
    const old = this.entries.get(id);
    if (old) this.slots[old.slot] = undefined;
    const slot = this.slots.length;
    const e: Entry = { id, folder, date, slot };
    this.entries.set(id, e);
    this.slots.push(e);
    for (const word of text.split(/\s+/)) {
      if (!word) continue;
      let k = this.wordIds.get(word);
      if (k === undefined) {
        k = this.words.length;
        this.wordIds.set(word, k);
        this.words.push(word);
        if (this.lastSlot.length <= k) this.lastSlot = grow(this.lastSlot, this.lastSlot.length * 2);
        this.lastSlot[k] = -1;
        this.vocab = null;
      }
      if (this.lastSlot[k] === slot) continue;
      this.lastSlot[k] = slot;
      if (this.log.length < this.logged + 2) this.log = grow(this.log, this.log.length * 2);
      this.log[this.logged++] = k;
      this.log[this.logged++] = slot;
    }
    if (this.logged >= this.mergeAt) this.merge();
  }

  move(id: string, folder: FolderId): void {
    const e = this.entries.get(id);
    if (e) e.folder = folder;
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.slots[e.slot] = undefined;
  }

  clear(): void {
    this.entries.clear();
    this.slots = [];
    this.wordIds.clear();
    this.words = [];
    this.lastSlot = new Int32Array(1024);
    this.starts = new Uint32Array(1);
    this.postings = new Uint32Array(0);
    this.log = new Uint32Array(2048);
    this.logged = 0;
    this.vocab = null;
  }

  /** The log merged into the postings; slots removed or replaced since are dropped from them. */
  private merge(): void {
    const n = this.words.length;
    const { starts: oldStarts, postings: old, log, logged, slots } = this;
    const merged = oldStarts.length - 1;
    const alive = (s: number) => slots[s] !== undefined;
    const counts = new Uint32Array(n + 1);
    for (let k = 0; k < merged; k++) {
      const end = oldStarts[k + 1]!;
      let c = 0;
      for (let p = oldStarts[k]!; p < end; p++) if (alive(old[p]!)) c++;
      counts[k] = c;
    }
    for (let i = 0; i < logged; i += 2) if (alive(log[i + 1]!)) counts[log[i]!]!++;
    const starts = new Uint32Array(n + 1);
    for (let k = 0; k < n; k++) starts[k + 1] = starts[k]! + counts[k]!;
    const postings = new Uint32Array(starts[n]!);
    const fill = starts.slice(0, n);
    for (let k = 0; k < merged; k++) {
      const end = oldStarts[k + 1]!;
      let at = fill[k]!;
      for (let p = oldStarts[k]!; p < end; p++) {
        const s = old[p]!;
        if (alive(s)) postings[at++] = s;
      }
      fill[k] = at;
    }
    for (let i = 0; i < logged; i += 2) {
      const s = log[i + 1]!;
      if (alive(s)) postings[fill[log[i]!]!++] = s;
    }
    this.starts = starts;
    this.postings = postings;
    this.logged = 0;
    if (log.length > 2048) this.log = new Uint32Array(2048);
  }

  /** The words of the vocabulary that contain `term` (which holds no whitespace). */
  private wordsWith(term: string): number[] {
    if (!this.vocab) {
      const at = new Int32Array(this.words.length);
      let pos = 0;
      for (let k = 0; k < this.words.length; k++) {
        at[k] = pos;
        pos += this.words[k]!.length + 1;
      }
      this.vocab = { text: this.words.join('\n'), at };
    }
    const { text, at } = this.vocab;
    const found: number[] = [];
    for (let i = text.indexOf(term); i >= 0;) {
      // The word this match is in: the last that begins at or before it.
      let lo = 0;
      let hi = at.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (at[mid]! <= i) lo = mid;
        else hi = mid - 1;
      }
      found.push(lo);
      i = lo + 1 < at.length ? text.indexOf(term, at[lo + 1]!) : -1;
    }
    return found;
  }

  /**
   * Per slot, how many of `terms` its text contains, from the postings of the words that
   * contain each: slots holding all of them come out at terms.length.
   */
  private counted(terms: readonly string[]): Uint8Array | Uint32Array {
    if (this.logged > 1 << 16) this.merge();
    const seen = terms.length < 256 ? new Uint8Array(this.slots.length) : new Uint32Array(this.slots.length);
    const merged = this.starts.length - 1;
    terms.forEach((term, j) => {
      const ks = this.wordsWith(term);
      for (const k of ks) {
        if (k >= merged) continue;
        for (let p = this.starts[k]!; p < this.starts[k + 1]!; p++) {
          const s = this.postings[p]!;
          if (seen[s] === j) seen[s] = j + 1;
        }
      }
      if (!this.logged || !ks.length) return;
      const want = new Uint8Array(this.words.length);
      for (const k of ks) want[k] = 1;
      for (let i = 0; i < this.logged; i += 2) {
        const s = this.log[i + 1]!;
        if (want[this.log[i]!] && seen[s] === j) seen[s] = j + 1;
      }
    });
    return seen;
  }

  /** Every entry matching all of `terms` (in `folder`, if given), from the newest slot down; no text is read. */
  private each(terms: readonly string[], folder: FolderId | undefined, hit: (e: Entry) => void): void {
    const seen = this.counted(terms);
    const all = terms.length;
    for (let s = seen.length - 1; s >= 0; s--) {
      if (seen[s] !== all) continue;
      const e = this.slots[s];
      if (e && (!folder || e.folder === folder)) hit(e);
    }
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
    let total = 0;
    // Newest last, mostly (mail is filed as it comes): from the end, the best fill early and the rest are passed over.
    this.each(terms, folder, (e) => {
      total++;
      if (best.length === limit && !(e.date > best[limit - 1]![1] || (e.date === best[limit - 1]![1] && e.id < best[limit - 1]![0])))
        return;
      const hit: [string, number] = [e.id, e.date];
      let at = best.length;
      while (at > 0 && before(hit, best[at - 1]!)) at--;
      best.splice(at, 0, hit);
      if (best.length > limit) best.pop();
    });
    return { total, ids: best.map(([id]) => id) };
  }

  /** Matching ids, newest first. */
  query(q: string, folder?: FolderId): string[] {
    const terms = queryTerms(q);
    if (!terms.length) return [];
    const hits: [string, number][] = [];
    this.each(terms, folder, (e) => hits.push([e.id, e.date]));
    return hits.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }
}

/** A copy of `a` with room for `size` elements. */
function grow<T extends Uint32Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
