#!/usr/bin/env node
// npm start: opens the desktop window with Electron. Electron is an optional dependency:
// where its binary could not be downloaded npm leaves it out (or broken), and this says so
// in one sentence and runs the same app in host mode, served to the browser, instead.
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
  process.stdout.write(
    'Electron is not installed on this machine (it is optional), so QMail Desktop runs in host mode: open the address below in your browser.\n',
  );
  await import(pathToFileURL(join(root, 'dist', 'node', 'host.js')).href);
}
