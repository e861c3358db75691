// The mail-engine issue's rule that all SQL of the app lives behind electron/store/, checked
// by a tool: no file elsewhere in the app's main process or its CLI prepares or runs a
// statement on the profile database.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
/**
 * A statement prepared or run, or a pragma set, on something named like the profile database.
 * Transactions stay allowed: a job groups several store writes into one unit of work.
 */
const SQL = /\b(?:db|this\.db|[a-z]\.db|ctx\.db)\s*\.\s*(?:prepare|exec|pragma)\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

export function sqlOutsideStore(dirs: string[]): string[] {
  return dirs
    .flatMap((d) => sources(join(ROOT, d)))
    .filter((path) => SQL.test(readFileSync(path, 'utf8')))
    .map((path) => relative(ROOT, path));
}

describe('SQL home', () => {
  it('no file in electron/services, electron/host, electron/shell or cli runs SQL on the profile database', () => {
    expect(sqlOutsideStore(['electron/services', 'electron/host', 'electron/shell', 'cli'])).toEqual([]);
  });

  it('the check sees a statement where it should (electron/store holds them)', () => {
    expect(sqlOutsideStore(['electron/store']).length).toBeGreaterThan(5);
  });
});
