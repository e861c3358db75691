import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseLayout, parseSize, selftest } from './stripes.js';

describe('qmail stripes selftest', () => {
  it('reads sizes and layouts, and refuses what it cannot use', () => {
    expect(parseSize('1000')).toBe(1000);
    expect(parseSize('3MiB')).toBe(3 * 2 ** 20);
    expect(parseSize('1 GiB')).toBe(2 ** 30);
    for (const bad of ['', '-1', '1.5MiB', '2TiB', '65GiB', 'lots']) expect(() => parseSize(bad), bad).toThrow(InvalidArgumentError);
    expect(parseLayout('4+1')).toEqual({ k: 4, p: 1 });
    for (const bad of ['4', '4+', '0+1', '31+2', '4-1']) expect(() => parseLayout(bad), bad).toThrow(InvalidArgumentError);
  });

  it('brings a message back through stripe files with p of them missing', async () => {
    const r = await selftest(3 * 2 ** 20 + 5, { k: 5, p: 2 });
    expect(r).toMatchObject({ layout: '5+2', bytes: 3 * 2 ** 20 + 5, missing: [0, 1], ok: true });
    expect(r.sendMBps).toBeGreaterThan(0);
  });

  it('runs from the built CLI with the built crypto worker', () => {
    // Inside the project, so the bundle finds node_modules as dist/ does.
    const out = join('artifacts', 'build-test');
    rmSync(out, { recursive: true, force: true });
    try {
      const build = spawnSync(
        process.execPath,
        ['node_modules/vite/bin/vite.js', 'build', '--config', 'vite.node.config.ts', '--outDir', out, '--logLevel', 'error'],
        { encoding: 'utf8' },
      );
      expect(build.status, build.stderr).toBe(0);
      expect(existsSync(join(out, 'node', 'crypto-worker.js'))).toBe(true);
      const run = spawnSync(process.execPath, [join(out, 'node', 'cli.js'), 'stripes', 'selftest', '--size', '2MiB', '--layout', '4+1'], {
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ layout: '4+1', bytes: 2 ** 21, ok: true });
      // Without its worker script the path fails with one clear line, not a stack.
      rmSync(join(out, 'node', 'crypto-worker.js'));
      const broken = spawnSync(process.execPath, [join(out, 'node', 'cli.js'), 'stripes', 'selftest', '--size', '1MiB'], {
        encoding: 'utf8',
      });
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toMatch(
        /^qmail stripes: worker-failed: the crypto worker \(crypto-worker\.js\) is not next to .*npm run build/m,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
