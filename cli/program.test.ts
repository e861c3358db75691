import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildProgram } from './program.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

describe('qmail CLI', () => {
  it('prints its version and help from the real entry point', () => {
    const version = spawnSync(process.execPath, ['bin/qmail.js', '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = spawnSync(process.execPath, ['bin/qmail.js', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: qmail/m);
  });

  it('fails clearly on an unknown command', () => {
    const r = spawnSync(process.execPath, ['bin/qmail.js', 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/qmail --help/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('is declared as a package bin', () => {
    expect(pkg.bin.qmail).toBe('bin/qmail.js');
    expect(buildProgram().name()).toBe('qmail');
  });
});
