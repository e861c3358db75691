import { describe, expect, it } from 'vitest';
import { SearchIndex } from './search.js';

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
});
