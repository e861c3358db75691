import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, packageVersion, projectFile } from './package-root.js';
import { tempDir } from '../tests/support/tmp.js';

describe('packageRoot', () => {
  it('finds the project from source', () => {
    expect(projectFile('bin', 'qmail-server.js')).toBe(join(packageRoot(), 'bin', 'qmail-server.js'));
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('finds it from any depth of a build, and skips other packages on the way', () => {
    const tmp = tempDir('qmail-root-');
    try {
      const root = join(tmp.path, 'app');
      const chunks = join(root, 'dist', 'node', 'chunks');
      mkdirSync(chunks, { recursive: true });
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'qmail-desktop', version: '9.8.7' }));
      // A package.json of some other package between the bundle and the root.
      writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
      for (const from of [
        join(chunks, 'x-abc.js'),
        join(root, 'dist', 'node', 'host.js'),
        join(root, 'dist', 'electron', 'main.js'),
        join(root, 'server', 'network', 'index.ts'),
      ]) {
        expect(packageRoot(from), from).toBe(root);
      }
      expect(() => packageRoot(join(tmp.path, 'elsewhere', 'x.js'))).toThrow(/cannot find the qmail-desktop package\.json/);
    } finally {
      tmp.remove();
    }
  });
});
