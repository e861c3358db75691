// A target with a bug behind four nested byte comparisons: blind random inputs would need
// about 2^32 tries to reach it, coverage feedback some tens of thousands. fuzzer.test.ts runs the
// fuzzer on it to prove the feedback works end to end.
import type { FuzzTarget } from './target.js';

export class PlantedError extends Error {
  override readonly name = 'PlantedError';
}

export const target: FuzzTarget = {
  name: 'planted',
  about: 'a planted bug behind the bytes "QMAI" (tests the fuzzer itself)',
  sources: ['/fuzz/engine/planted-target'],
  fuzz(data) {
    if (data.length < 4) throw new PlantedError('short');
    if (data[0] !== 0x51) return;
    if (data[1] !== 0x4d) return;
    if (data[2] !== 0x41) return;
    if (data[3] !== 0x49) return;
    throw new TypeError('the planted bug');
  },
  expected: (e) => e instanceof PlantedError,
  maxLength: 8,
};
