// Worker entry: the worker thread does not inherit the TypeScript loader of the process
// that started it, so it registers one before importing the fuzzing loop.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
