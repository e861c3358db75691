import { describe, expect, it } from 'vitest';
import { countOf } from './format.js';

describe('countOf', () => {
  it('puts the noun in the right number', () => {
    expect(countOf(1, 'message')).toBe('1 message');
    expect(countOf(0, 'message')).toBe('0 messages');
    expect(countOf(2, 'match', 'matches')).toBe('2 matches');
    expect(countOf(1000, 'message')).toBe('1000 messages');
  });
});
