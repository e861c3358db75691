// Every committed fuzz input — the seed corpora, what the fuzzer kept, and the crashers it
// found (fixed since) — run through its target: each ends in a value or the parser's typed
// error, and round trips hold. A parser change that breaks on any of them fails here.
import { describe, expect, it } from 'vitest';
import { corpusDir, crashersDir, readFolder } from './engine/corpus.js';
import { TARGET_NAMES, loadTarget } from './targets/index.js';

describe('fuzz corpora and crashers replay', () => {
  for (const name of TARGET_NAMES) {
    it(`${name}: every corpus and crasher input gives a value or the typed error`, async () => {
      const target = await loadTarget(name);
      const corpus = readFolder(corpusDir(name));
      expect(corpus.filter((f) => f.name.startsWith('seed-')).length, 'seed corpus').toBeGreaterThan(0);
      const failures: string[] = [];
      for (const f of [...corpus, ...readFolder(crashersDir(name))]) {
        try {
          target.fuzz(f.data);
        } catch (e) {
          if (!target.expected(e)) failures.push(`${f.name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
