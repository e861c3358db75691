#!/usr/bin/env node
// Runs the TypeScript source through tsx in a checkout (always current), and the built
// bundle in an installed package where tsx is absent.
import { runEntry } from './run-entry.js';

await runEntry('server/kme/main.ts', 'dist/node/kme.js');
