#!/usr/bin/env node
// npm start: opens the desktop window with Electron. Where the Electron binary is not
// installed (its download is blocked on some machines), says so and runs the same app in
// the browser instead.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    // The electron package exports the path of its binary, and throws when it is missing.
    const path = require('electron');
    return typeof path === 'string' ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (binary) {
  const child = spawn(binary, [join(root, 'dist', 'electron', 'main.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  process.stdout.write('The Electron binary is not installed on this machine, so QMail Desktop will open in your browser instead.\n');
  await import(pathToFileURL(join(root, 'dist', 'node', 'host.js')).href);
}
