// The fuzzer itself: coverage feedback finds a bug blind mutation cannot reach, the input
// is saved, the run fails; and the mutator stays within its length bound.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUZZ_DIR } from './corpus.js';
import { Mutator, Rng } from './mutate.js';

describe('fuzzer', () => {
  it('finds a bug behind four nested byte checks by coverage feedback, saves the input and fails the run', () => {
    const r = spawnSync(
      process.execPath,
      [
        join(FUZZ_DIR, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(FUZZ_DIR, 'run.ts'),
        '--target-module',
        join(FUZZ_DIR, 'engine', 'planted-target.ts'),
        '--seconds',
        '60',
        '--ci',
        '--until-crash',
        '--seed',
        '7',
      ],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('CRASH in planted: TypeError: the planted bug');
    const saved = /saved as (\S+)/.exec(r.stdout)![1]!;
    expect(Buffer.from(readFileSync(saved).subarray(0, 4)).toString('latin1')).toBe('QMAI');
  }, 120_000);

  it('mutates within the length bound and is repeatable from its seed', () => {
    const run = (seed: number) => {
      const m = new Mutator(new Rng(seed), 32, [Uint8Array.of(0x3e, 0x3e)]);
      const out: number[][] = [];
      let x: Uint8Array = Uint8Array.of(1, 2, 3);
      for (let i = 0; i < 2000; i++) {
        x = m.mutate(x, Uint8Array.of(9, 9, 9, 9));
        expect(x.length).toBeLessThanOrEqual(32);
        if (i % 100 === 0) out.push([...x]);
      }
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
