// Proves each process-boundary rule in eslint.config.js fires on a bad import (and stays
// quiet on a good one), so the boundaries are checked by a tool, not by memory.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function messages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.message);
}

const cases: Array<[string, string, RegExp]> = [
  ['shared/cbdf/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", /Node built-ins/],
  ['shared/cbdf/x.ts', "import fs from 'fs';\nexport const x = fs;", /Node built-ins/],
  ['shared/cbdf/x.ts', "import { app } from 'electron';\nexport const x = app;", /electron/],
  ['shared/cbdf/x.ts', 'export const x = () => document.title;', /DOM and host globals/],
  ['shared/cbdf/x.ts', 'export const x = () => Buffer.alloc(1);', /Uint8Array/],
  ['shared/cbdf/x.ts', "import { a } from '../../renderer/src/a.js';\nexport const x = a;", /renderer/],
  ['shared/cbdf/x.ts', 'export const x = () => Math.random();', /getRandomValues/],
  ['renderer/src/x.ts', "import { join } from 'node:path';\nexport const x = join;", /Node built-ins/],
  ['renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;", /electron/],
  ['renderer/src/x.ts', "import { s } from '../../electron/services/app/services.js';\nexport const x = s;", /shared\/ipc/],
  ['electron/services/x.ts', "import { r } from '../../renderer/src/r.js';\nexport const x = r;", /never imports renderer/],
  ['electron/services/x.ts', "import { app } from 'electron';\nexport const x = app;", /Only electron\/shell/],
  ['electron/shell/x.ts', "import { r } from '../../renderer/src/r.js';\nexport const x = r;", /never imports renderer/],
  ['server/x.ts', 'export const x = () => Math.random();', /getRandomValues/],
  ['server/x.ts', "import { s } from '../electron/services/app/services.js';\nexport const x = s;", /never imports electron/],
  ['server/kme/x.ts', "import type { S } from '../../electron/services/app/services.js';\nexport type X = S;", /never imports electron/],
  ['server/kme/x.test.ts', "import { c } from '../../electron/services/qkd/client.js';\nexport const x = c;", /never imports electron/],
  ['server/x.ts', "import { n } from '../dev-network/launcher.js';\nexport const x = n;", /never imports dev-network/],
  ['shared/cbdf/x.ts', "import { s } from '../../server/node.js';\nexport const x = s;", /must not import server/],
  [
    'shared/cbdf/x.test.ts',
    "import { s } from '../../electron/services/app/services.js';\nexport const x = s;",
    /must not import electron/,
  ],
  ['renderer/src/x.ts', "import { c } from '../../cli/program.js';\nexport const x = c;", /only shared\/ and its own/],
  ['renderer/src/x.test.ts', "import { s } from '../../server/node.js';\nexport const x = s;", /only shared\/ and its own/],
  [
    'electron/services/mail/x.ts',
    "import { n } from '../../../dev-network/embedded.js';\nexport const x = n;",
    /only electron\/shell and electron\/host open dev-network/,
  ],
];

describe('process boundaries are enforced by lint', () => {
  it.each(cases)('%s: %s is refused', async (file, code, expected) => {
    const found = await messages(file, code);
    expect(
      found.some((m) => expected.test(m)),
      `got: ${JSON.stringify(found)}`,
    ).toBe(true);
  });

  it.each([
    ['shared/cbdf/x.ts', "import { crc32 } from '../bytes/index.js';\nexport const x = crc32;"],
    ['renderer/src/x.ts', "import { requests } from '../../shared/ipc/index.js';\nexport const x = requests;"],
    ['electron/shell/x.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['electron/services/x.ts', "import { join } from 'node:path';\nexport const x = join;"],
    // A package's own server entry is not the server/ folder.
    ['renderer/src/x.test.tsx', "import { renderToString } from 'react-dom/server';\nexport const x = renderToString;"],
    ['server/x.test.ts', "import { tempDir } from '../tests/support/tmp.js';\nexport const x = tempDir;"],
    ['electron/host/x.ts', "import { n } from '../../dev-network/embedded.js';\nexport const x = n;"],
    ['dev-network/x.ts', "import { s } from '../electron/services/app/services.js';\nexport const x = s;"],
  ])('%s: a permitted import passes', async (file, code) => {
    expect(await messages(file, code)).toEqual([]);
  });
});
