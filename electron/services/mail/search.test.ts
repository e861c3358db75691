import { describe, expect, it } from 'vitest';
import { fold, matchRanges, queryTerms, SearchIndex, snippetAround } from './search.js';

describe('SearchIndex', () => {
  it('matches every term, case- and accent-folded, newest first, within a folder', () => {
    const ix = new SearchIndex();
    ix.put('a', 'inbox', 1, ['Alice', 'Lunch on Friday', 'See you at the café']);
    ix.put('b', 'inbox', 2, ['Bob', 'Friday report', 'numbers attached']);
    ix.put('c', 'sent', 3, ['me', 'friday', 'cafe plans']);
    expect(ix.query('FRIDAY')).toEqual(['c', 'b', 'a']);
    expect(ix.query('friday cafe')).toEqual(['c', 'a']);
    expect(ix.query('friday cafe', 'inbox')).toEqual(['a']);
    expect(ix.query('nothing-like-this')).toEqual([]);
    ix.move('c', 'trash');
    expect(ix.query('cafe', 'sent')).toEqual([]);
    ix.remove('a');
    expect(ix.query('cafe')).toEqual(['c']);
    ix.clear();
    expect(ix.size).toBe(0);
  });

  it('gives highlight ranges in the original text, across folding that changes lengths', () => {
    const text = 'Café ﬁnance: the CAFE office';
    const r = matchRanges(text, queryTerms('cafe fin'));
    expect(r.map(([a, b]) => text.slice(a, b))).toEqual(['Café', 'ﬁn', 'CAFE']);
    expect(matchRanges('aaa', ['aa'])).toEqual([[0, 3]]);
    expect(matchRanges('', ['x'])).toEqual([]);
  });

  it('cuts an excerpt around the first match deep in a long text', () => {
    const body = `${'word '.repeat(100)}the Needle is here\n\nand more ${'tail '.repeat(60)}`;
    const s = snippetAround(body, queryTerms('needle'), 80)!;
    expect(s.text.startsWith('…')).toBe(true);
    expect(s.text.endsWith('…')).toBe(true);
    expect(s.text.length).toBeLessThanOrEqual(82);
    expect(s.ranges.map(([a, b]) => s.text.slice(a, b))).toEqual(['Needle']);
    // Some words before the match too, starting at a word.
    expect(s.text).toMatch(/^…word word .*word the Needle is here and more tail/);
    expect(snippetAround('nothing here', ['zzz'])).toBeUndefined();
  });
});

describe('matchRanges on plain ASCII', () => {
  it('gives the same ranges as the code point by code point path', () => {
    const ascii = 'Hello WORLD, hello again: HELLO';
    const r = matchRanges(ascii, queryTerms('hello world'));
    expect(r).toEqual([
      [0, 5],
      [6, 11],
      [13, 18],
      [26, 31],
    ]);
    // One non-ASCII letter sends the text down the general path; the ASCII offsets stay where they were.
    expect(matchRanges(`${ascii} é`, queryTerms('hello world'))).toEqual(r);
  });
});

describe('SearchIndex.top', () => {
  it('counts every hit and gives the newest ones in the order query() gives them', () => {
    const ix = new SearchIndex();
    const dates = [5, 3, 9, 9, 1, 7, 3, 8, 2, 6];
    dates.forEach((d, i) => ix.put(`m${i}`, i % 3 ? 'inbox' : 'sent', d, [i % 4 ? 'common word' : 'common rare']));
    for (const [q, folder] of [
      ['common', undefined],
      ['rare', undefined],
      ['common', 'inbox'],
      ['nothing', undefined],
    ] as const) {
      const all = ix.query(q, folder);
      for (const limit of [1, 3, 20]) expect(ix.top(q, folder, limit)).toEqual({ total: all.length, ids: all.slice(0, limit) });
    }
    expect(ix.top('common', undefined, 4).ids).toEqual(['m2', 'm3', 'm7', 'm5']);
  });
});

describe('SearchIndex against a plain scan', () => {
  it('finds exactly what includes() finds, for terms cut from the texts and random ones', () => {
    let x = 12345;
    const rand = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0), x % n);
    const alphabet = 'abcdeéfghijklmnopqrstuvwxyz0123456789.-@ ÿ中文ßΩ';
    const texts = Array.from({ length: 300 }, () => Array.from({ length: 20 + rand(200) }, () => alphabet[rand(alphabet.length)]).join(''));
    const ix = new SearchIndex();
    texts.forEach((t, i) => ix.put(`m${i}`, 'inbox', i, [t]));
    const folded = texts.map((t) => fold(t));
    for (let q = 0; q < 300; q++) {
      const src = folded[rand(folded.length)]!;
      const at = rand(src.length);
      const term =
        q % 3
          ? src.slice(at, at + 1 + rand(6)).trim()
          : Array.from({ length: 1 + rand(4) }, () => alphabet[rand(alphabet.length)])
              .join('')
              .trim();
      if (!term || /\s/.test(term)) continue;
      const expected = texts
        .map((_, i) => `m${i}`)
        .filter((_, i) => folded[i]!.includes(fold(term)))
        .reverse();
      expect(ix.query(term), term).toEqual(expected);
    }
  });
});

describe('SearchIndex word index against a plain scan', () => {
  it('counts and orders what includes() finds, through puts, replacements, moves, removals and merges', () => {
    let x = 777;
    const rand = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0), x % n);
    const alphabet = 'abcdeéfghijklmn.-@ 中ß\n\t';
    const make = () => Array.from({ length: 10 + rand(120) }, () => alphabet[rand(alphabet.length)]).join('');
    // A small merge size, so the postings are merged many times along the way (and queried half merged).
    const ix = new SearchIndex(64);
    const live = new Map<string, { folder: 'inbox' | 'sent'; date: number; text: string }>();
    for (let step = 0; step < 600; step++) {
      const id = `m${rand(150)}`;
      const op = rand(10);
      if (op < 6) {
        const v = { folder: rand(2) ? ('inbox' as const) : ('sent' as const), date: rand(50), text: make() };
        live.set(id, v);
        ix.put(id, v.folder, v.date, [v.text, make()].slice(0, 1));
      } else if (op < 8) {
        ix.remove(id);
        live.delete(id);
      } else if (live.has(id)) {
        const folder = live.get(id)!.folder === 'inbox' ? ('sent' as const) : ('inbox' as const);
        live.get(id)!.folder = folder;
        ix.move(id, folder);
      }
      if (step % 5) continue;
      const texts = [...live.values()].map((v) => fold(v.text));
      const src = texts[rand(texts.length)] ?? 'abc';
      const at = rand(src.length);
      const one = src.slice(at, at + 3 + rand(4));
      const q = rand(3) ? one : `${one} ${alphabet[rand(14)]}`;
      const terms = queryTerms(q);
      if (!terms.length) continue;
      for (const folder of [undefined, 'inbox' as const]) {
        const expected = [...live.entries()]
          .filter(([, v]) => (!folder || v.folder === folder) && terms.every((t) => fold(v.text).includes(t)))
          .sort(([a, va], [b, vb]) => vb.date - va.date || (a < b ? -1 : 1))
          .map(([k]) => k);
        expect(ix.query(q, folder), q).toEqual(expected);
        expect(ix.top(q, folder, 7), q).toEqual({ total: expected.length, ids: expected.slice(0, 7) });
      }
    }
    ix.clear();
    expect(ix.query('abc')).toEqual([]);
  });

  it('finds a term inside a word, across lines, with a short term beside it', () => {
    const ix = new SearchIndex();
    ix.put('a', 'inbox', 1, ['Ada Lovelace', 'quarterly-report.pdf', 'numbers 4711.']);
    ix.put('b', 'inbox', 2, ['Bob', 'report', 'see 47 11']);
    expect(ix.query('port')).toEqual(['b', 'a']);
    expect(ix.query('y-rep')).toEqual(['a']);
    expect(ix.query('4711')).toEqual(['a']);
    expect(ix.query('report 47')).toEqual(['b', 'a']);
    expect(ix.query('lovelace\nquarterly')).toEqual(['a']);
    expect(ix.query('e\nq')).toEqual(['a']);
    expect(ix.query('ace q')).toEqual(['a']);
    // More terms than one byte counts.
    expect(ix.query(Array.from({ length: 300 }, (_, i) => (i % 2 ? 'report' : 'rep')).join(' '))).toEqual(['b', 'a']);
    expect(ix.query(`${'rep '.repeat(299)}4711`)).toEqual(['a']);
  });
});
