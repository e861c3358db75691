// Corpus and crasher files: fuzz/corpus/<target>/ (seeds named seed-*, and inputs the
// fuzzer kept, named by content hash) and fuzz/crashers/<target>/ (regression inputs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FUZZ_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function corpusDir(target: string): string {
  return join(FUZZ_DIR, 'corpus', target);
}
export function crashersDir(target: string): string {
  return join(FUZZ_DIR, 'crashers', target);
}

export function hashName(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').slice(0, 16);
}

export interface CorpusFile {
  name: string;
  path: string;
  data: Uint8Array;
}

/** Every file in a folder, sorted by name; none when the folder does not exist. */
export function readFolder(dir: string): CorpusFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.') && !d.name.endsWith('.md'))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const path = join(dir, name);
      return { name, path, data: new Uint8Array(readFileSync(path)) };
    });
}

/** Writes `data` under its hash (with a prefix) unless that file exists; returns the path. */
export function saveInput(dir: string, data: Uint8Array, prefix = ''): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${prefix}${hashName(data)}`);
  if (!existsSync(path)) writeFileSync(path, data);
  return path;
}

export function isSeed(name: string): boolean {
  return name.startsWith('seed-');
}
