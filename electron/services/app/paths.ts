import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The per-user profile folder, following each platform's convention. */
export function defaultProfileDir(): string {
  if (process.env.QMAIL_PROFILE) return process.env.QMAIL_PROFILE;
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'QMail Desktop', 'profile');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'QMail Desktop', 'profile');
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'qmail-desktop', 'profile');
}

/** The package root, found from source (electron/…) and from the build (dist/node/…). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'qmail-desktop') return dir;
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the qmail-desktop package root');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function rendererDir(): string {
  return join(packageRoot(), 'dist', 'renderer');
}
