#!/usr/bin/env node
// The qmail-server command: runs the TypeScript source in a checkout, the bundle when installed.
import { runEntry } from './run-entry.js';

await runEntry('server/main.ts', 'dist/node/server.js');
