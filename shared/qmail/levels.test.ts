import { describe, expect, it } from 'vitest';
import { isLevelName, isQuantum, LEVEL_ALGORITHM, LEVEL_LABELS, LEVEL_NAME, LEVEL_NUMBER, LEVELS } from './levels.js';

describe('security levels', () => {
  it('name and number map both ways, and every level has its label and algorithm', () => {
    for (const l of LEVELS) {
      expect(LEVEL_NAME[LEVEL_NUMBER[l]]).toBe(l);
      expect(LEVEL_LABELS[l].long).toMatch(new RegExp(`^Level ${LEVEL_NUMBER[l]}:`));
      expect(LEVEL_ALGORITHM[l]).not.toBe('');
    }
    expect(LEVEL_NAME[5]).toBeUndefined();
  });

  it('knows only L1 to L4, and only L1 and L2 as quantum', () => {
    expect(['L1', 'L2', 'L3', 'L4', 'L5', 'l1', 'plain', ''].filter(isLevelName)).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect(LEVELS.filter(isQuantum)).toEqual(['L1', 'L2']);
    expect(isQuantum('plain')).toBe(false);
  });
});
