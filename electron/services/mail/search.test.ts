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
    expect(r).toEqual([[0, 5], [6, 11], [13, 18], [26, 31]]);
    // One non-ASCII letter sends the text down the general path; the ASCII offsets stay where they were.
    expect(matchRanges(`${ascii} é`, queryTerms('hello world'))).toEqual(r);
  });
});

describe('SearchIndex.top', () => {
  it('counts every hit and gives the newest ones in the order query() gives them', () => {
    const ix = new SearchIndex();
    const dates = [5, 3, 9, 9, 1, 7, 3, 8, 2, 6];
    dates.forEach((d, i) => ix.put(`m${i}`, i % 3 ? 'inbox' : 'sent', d, [i % 4 ? 'common word' : 'common rare']));
    for (const [q, folder] of [['common', undefined], ['rare', undefined], ['common', 'inbox'], ['nothing', undefined]] as const) {
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
      const term = q % 3 ? src.slice(at, at + 1 + rand(6)).trim() : Array.from({ length: 1 + rand(4) }, () => alphabet[rand(alphabet.length)]).join('').trim();
      if (!term || /\s/.test(term)) continue;
      const expected = texts.map((_, i) => `m${i}`).filter((_, i) => folded[i]!.includes(fold(term))).reverse();
      expect(ix.query(term), term).toEqual(expected);
    }
  });
});
