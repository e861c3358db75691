// The main-process services have no folder-level import cycle (tools/folder-cycles.ts), and
// the check finds one when there is one.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCycle, folderCycles, folderEdges } from './folder-cycles.js';
import { tempDir } from '../tests/support/tmp.js';

const tmp = tempDir('qmail-cycles-');
afterAll(() => tmp.remove());

function tree(files: Record<string, string>): string {
  const root = join(tmp.path, String(Math.random()).slice(2));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('folder-level import cycles', () => {
  it('electron/services has none', () => {
    const edges = folderEdges(join(import.meta.dirname, '..', 'electron', 'services'));
    expect(edges.length).toBeGreaterThan(5);
    expect(folderCycles(edges).map((c) => describeCycle(c, edges))).toEqual([]);
  });

  it('finds a cycle through three folders, naming an import for each edge, and ignores tests and packages', () => {
    const root = tree({
      'a/one.ts': "import { b } from '../b/two.js';\nimport 'node:fs';\n",
      'b/two.ts': "export { c } from '../c/three.js';\n",
      'c/three.ts': "import type { x } from '../a/one.js';\n",
      'c/three.test.ts': "import '../b/two.js';\n",
      'd/four.ts': "import '../a/one.js';\n",
    });
    const edges = folderEdges(root);
    const cycles = folderCycles(edges);
    expect(cycles).toEqual([['a', 'b', 'c']]);
    expect(describeCycle(cycles[0]!, edges)).toBe(
      'a → b (a/one.ts → ../b/two.js); b → c (b/two.ts → ../c/three.js); c → a (c/three.ts → ../a/one.js)',
    );
  });

  it('a tree whose folders only import downwards has none', () => {
    const root = tree({
      'top/x.ts': "import '../low/y.js';\nimport './z.js';\n",
      'top/z.ts': '',
      'low/y.ts': "import '../root.js';\n",
      'root.ts': '',
    });
    expect(folderCycles(folderEdges(root))).toEqual([]);
  });
});
