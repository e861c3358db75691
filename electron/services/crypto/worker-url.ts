// Where the crypto worker's script is. From source (tests, the dev loader) it is the
// TypeScript next to this file, started through worker-dev.mjs. In a build, this module is
// bundled into some entry or chunk (dist/node/*.js, dist/node/chunks/*.js,
// dist/electron/*.js) and the worker is its own entry, dist/node/crypto-worker.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CryptoError } from '../../../shared/crypto/errors.js';

const BUILT = ['./crypto-worker.js', '../crypto-worker.js', '../node/crypto-worker.js'];

export function cryptoWorkerUrl(base: string = import.meta.url): URL {
  if (base.endsWith('.ts')) return new URL('./worker-dev.mjs', base);
  for (const rel of BUILT) {
    const url = new URL(rel, base);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new CryptoError('worker-failed', `the crypto worker (crypto-worker.js) is not next to ${fileURLToPath(base)}: run "npm run build"`);
}
