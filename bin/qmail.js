#!/usr/bin/env node
// Runs the TypeScript source through tsx in a checkout (always current), and the built
// bundle in an installed package where tsx is absent.
import { runEntry } from './run-entry.js';

await runEntry('cli/main.ts', 'dist/node/cli.js');
