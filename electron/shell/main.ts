// Electron's entry point. Deliberately thin: everything else is plain Node.
import * as electron from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startShell } from './shell.js';
import { defaultProfileDir, packageVersion } from '../services/app/paths.js';

const here = dirname(fileURLToPath(import.meta.url));
// Built layout: dist/electron/main.js, dist/electron/preload.cjs, dist/renderer/.
startShell(electron, {
  rendererDir: join(here, '..', 'renderer'),
  preloadPath: join(here, 'preload.cjs'),
  version: packageVersion(),
  // The same folder as host mode and the qmail command (QMAIL_PROFILE, else the per-OS one).
  profileDir: defaultProfileDir(),
});
