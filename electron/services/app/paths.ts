import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../server/package-root.js';

export { packageRoot, packageVersion } from '../../../server/package-root.js';

/** The per-user profile folder, following each platform's convention. */
export function defaultProfileDir(): string {
  if (process.env.QMAIL_PROFILE) return process.env.QMAIL_PROFILE;
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'QMail Desktop', 'profile');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'QMail Desktop', 'profile');
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'qmail-desktop', 'profile');
}

export function rendererDir(): string {
  return join(packageRoot(), 'dist', 'renderer');
}
