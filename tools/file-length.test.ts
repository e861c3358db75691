// The mail-engine issue's rule, checked by a tool rather than by memory: a file under
// electron/services longer than 400 lines says why near its top.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const LIMIT = 400;
const REASON = /Longer than 400 lines on purpose: \S/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(e.name) ? [path] : [];
  });
}

function unexplainedLongFiles(dir: string): string[] {
  return sources(dir)
    .filter((path) => {
      const lines = readFileSync(path, 'utf8').split('\n');
      return lines.length > LIMIT && !REASON.test(lines.slice(0, 25).join('\n'));
    })
    .map((path) => relative(ROOT, path));
}

describe('file length', () => {
  it(`every file in electron/services over ${LIMIT} lines says why at its top`, () => {
    expect(unexplainedLongFiles(join(ROOT, 'electron/services'))).toEqual([]);
  });
});
