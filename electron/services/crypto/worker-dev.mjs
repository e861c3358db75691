// Development/test entry for the crypto worker: registers the TypeScript loader inside
// the worker thread, then loads worker.ts. Built code loads dist/node/crypto-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
