// The project folder: the one holding qmail-desktop's package.json, found by walking up
// from this module. From source this module is one folder below it; bundled, it lands in
// whichever entry or chunk Vite chose (dist/node/, dist/node/chunks/, dist/electron/), so
// no fixed number of `..` is right everywhere. Everything that names a file of the project
// (bin/ scripts, dist/renderer, package.json) starts here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'qmail-desktop';

function readPackage(dir: string): { name?: string; version?: string } | null {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  } catch {
    return null;
  }
}

/** The nearest folder at or above `from`'s folder whose package.json is qmail-desktop's. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (readPackage(dir)?.name === NAME) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${NAME} package.json above ${dirname(from)}`);
    dir = up;
  }
}

/** A file of the project, e.g. projectFile('bin', 'qmail.js'). */
export function projectFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

export function packageVersion(): string {
  return readPackage(packageRoot())?.version ?? '0.0.0';
}
